"""Benchmark: everylayer.patch.packages versus ansible.builtin.apt / ansible.builtin.dnf on the lab's hosts.

    .venv/bin/python benchmarks/packages/run.py [--rounds 3] [--json OUT]

Prints a Markdown table (for docs/benchmarks.md) after the JSON figures.

Run from the repo root, as root, with the lab up (EVERYLAYER_LAB_DIR / EVERYLAYER_LAB_INVENTORY_DIR /
EVERYLAYER_LAB_PORT_BASE select a separate lab instance, as for python -m lab). For each manager (apt, dnf) and each of its lab hosts at once:
- scan:  builtin check-mode upgrade (apt upgrade=dist / dnf name=* state=latest, update_cache) vs state=scanned;
- patch: builtin upgrade vs state=patched, every host reset to baseline (python -m lab reset) before each run.
Each figure is the median wall time of ``rounds`` ansible-playbook runs, the compared runs interleaved (builtin,
ours, then ours, builtin...) after one warm-up run; the same runs of a no-op playbook give the fixed Ansible
overhead, reported so that the ratio of the task work alone can be read too.
Hosts are reset at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv" / "bin"
STATE = Path(os.environ.get("EVERYLAYER_LAB_DIR", "/var/tmp/everylayer-lab")) / "state.json"
INVENTORY = (
    Path(os.environ.get("EVERYLAYER_LAB_INVENTORY_DIR", REPO / "inventories" / "lab" / "generated")) / "hosts.yml"
)

TASKS = {
    ("apt", "builtin", "scan"): {"ansible.builtin.apt": {"upgrade": "dist", "update_cache": True}},
    ("apt", "builtin", "patch"): {"ansible.builtin.apt": {"upgrade": "dist", "update_cache": True}},
    ("dnf", "builtin", "scan"): {"ansible.builtin.dnf": {"name": "*", "state": "latest", "update_cache": True}},
    ("dnf", "builtin", "patch"): {"ansible.builtin.dnf": {"name": "*", "state": "latest", "update_cache": True}},
    ("any", "everylayer", "scan"): {"everylayer.patch.packages": {"state": "scanned"}},
    ("any", "everylayer", "patch"): {"everylayer.patch.packages": {"state": "patched"}},
    ("any", "noop", "noop"): {"ansible.builtin.meta": "noop"},
}
NOOP = ("any", "noop", "noop")


def playbook(hosts: list[str], task: dict, check: bool) -> str:
    play = [
        {
            "name": "bench",
            "hosts": ",".join(hosts),
            "gather_facts": False,
            "tasks": [dict(name="bench task", check_mode=check, **task)],
        }
    ]
    return json.dumps(play)


def run_playbook(hosts: list[str], task: dict, check: bool, workdir: Path) -> float:
    """Wall time of one ansible-playbook run of ``task`` on ``hosts`` (in parallel: forks >= hosts)."""
    book = workdir / "bench.yml"
    book.write_text(playbook(hosts, task, check))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    argv = [str(VENV / "ansible-playbook"), "-i", str(INVENTORY), str(book)]
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark run failed ({task}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def reset(hosts: list[str]) -> None:
    for host in hosts:
        subprocess.run([str(VENV / "python"), "-m", "lab", "reset", host], cwd=REPO, check=True, capture_output=True)


def interleaved(hosts, pairs, check_of, rounds, workdir, reset_each):
    """Median wall time per key; the keys run in turn within each round (order alternating between rounds),
    so that load from other work on the machine falls on both sides alike."""
    times = {key: [] for key in pairs}
    for index in range(rounds):
        for key in pairs if index % 2 == 0 else list(reversed(pairs)):
            if reset_each:
                reset(hosts)
            times[key].append(run_playbook(hosts, TASKS[key], check_of[key], workdir))
    return {key: (statistics.median(values), values) for key, values in times.items()}


def markdown(report: dict) -> str:
    rows = [
        "| manager (hosts) | step | ansible.builtin | everylayer.patch.packages | ratio | ratio without the no-op overhead |",
        "|---|---|---|---|---|---|",
    ]
    for manager, f in report["managers"].items():
        for kind, builtin in (("scan", "check-mode upgrade"), ("patch", "upgrade")):
            rows.append(
                f"| {manager} ({len(f['hosts'])}) | {kind} ({builtin} vs state={'scanned' if kind == 'scan' else 'patched'})"
                f" | {f[f'builtin_{kind}']:.2f} s | {f[f'everylayer_{kind}']:.2f} s | {f[f'{kind}_ratio']:.2f}"
                f" | {f[f'{kind}_ratio_without_overhead']:.2f} |"
            )
    noop = ", ".join(f"{m} {f['noop']:.2f} s" for m, f in report["managers"].items())
    return (
        "\n".join(rows)
        + f"\n\nNo-op playbook on the same hosts (fixed overhead): {noop}; medians of {report['rounds']} rounds."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    if not STATE.exists():
        sys.exit("the lab is not up: run `.venv/bin/python -m lab up` as root first")
    lab_hosts = json.loads(STATE.read_text())["hosts"]
    report = {"rounds": args.rounds, "managers": {}}
    with tempfile.TemporaryDirectory(prefix="bench-packages-") as tmp:
        workdir = Path(tmp)
        for manager in ("apt", "dnf"):
            hosts = sorted(n for n, h in lab_hosts.items() if h["manager"] == manager and not h.get("stopped"))
            if not hosts:
                continue
            reset(hosts)
            figures = {"hosts": hosts}
            run_playbook(hosts, TASKS[NOOP], False, workdir)  # warm-up: ssh connections, fact cache
            scans = interleaved(
                hosts,
                [NOOP, (manager, "builtin", "scan"), ("any", "everylayer", "scan")],
                {NOOP: False, (manager, "builtin", "scan"): True, ("any", "everylayer", "scan"): False},
                args.rounds,
                workdir,
                False,
            )
            patches = interleaved(
                hosts,
                [(manager, "builtin", "patch"), ("any", "everylayer", "patch")],
                {(manager, "builtin", "patch"): False, ("any", "everylayer", "patch"): False},
                args.rounds,
                workdir,
                True,
            )
            for (_, who, kind), (median, values) in {**scans, **patches}.items():
                label = "noop" if who == "noop" else f"{who}_{kind}"
                figures[label] = median
                figures[label + "_runs"] = [round(v, 2) for v in values]
            reset(hosts)
            noop = figures["noop"]
            for kind in ("scan", "patch"):
                ours, theirs = figures[f"everylayer_{kind}"], figures[f"builtin_{kind}"]
                figures[f"{kind}_ratio"] = round(ours / theirs, 2)
                figures[f"{kind}_ratio_without_overhead"] = round(max(ours - noop, 0.01) / max(theirs - noop, 0.01), 2)
            report["managers"][manager] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in figures.items()}
    text = json.dumps(report, indent=2)
    print(text)
    print()
    print(markdown(report))
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()

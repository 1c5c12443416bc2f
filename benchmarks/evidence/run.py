#!/usr/bin/env python3
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evidence callback overhead: one playbook of N tasks x 6 hosts, run with no callback, with a no-op notification
callback that reads every result and records nothing (what ansible-core charges for any enabled callback), with
evidence (SQLite), with evidence (PostgreSQL, a real server started here) and with ARA's offline SQLite client when
it is installed in the same Python environment. ``--rounds N`` runs the variants N times, interleaved (every variant
once per round), and reports the median of each. Prints a Markdown table of wall times and ratios to the run with
no callback.

    python benchmarks/evidence/run.py [--tasks 500] [--mode action|module] [--rounds 1] [--only VARIANT ...]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))


def write_playbook(path: Path, tasks: int, mode: str) -> None:
    action = "bench_change" if mode == "action" else "evidence_probe"
    lines = ["---", "- name: Evidence benchmark", "  hosts: all", "  gather_facts: false", "  tasks:"]
    for i in range(1, tasks + 1):
        lines += [f"    - name: change {i}", f"      {action}:", f"        component: pkg-{i}"]
    path.write_text("\n".join(lines) + "\n")


def base_env(work: Path) -> dict:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(("ANSIBLE_", "EVERYLAYER_EVIDENCE_", "ARA_")):
            del env[key]
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_ACTION_PLUGINS=str(HERE / "action_plugins"),
        ANSIBLE_LIBRARY=str(REPO / "tests" / "integration" / "evidence" / "library"),
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_FORKS="6",
        HOME=str(work),
    )
    return env


def ara_env(work: Path):
    try:
        out = subprocess.run(
            [sys.executable, "-m", "ara.setup.callback_plugins"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return {
        "ANSIBLE_CALLBACK_PLUGINS": out.stdout.strip(),
        "ANSIBLE_CALLBACKS_ENABLED": "ara_default",
        "ARA_API_CLIENT": "offline",
        "ARA_BASE_DIR": str(work / "ara"),
        "ARA_DATABASE_NAME": str(work / "ara" / "ansible.sqlite"),
    }


def timed(cmd, env, log: Path):
    """Wall seconds, CPU seconds of ansible-playbook and its forks, and the callback's own recording seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(log, "w") as handle:
        proc = subprocess.run(cmd, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=str(REPO), check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}); see {log}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = re.search(r"\(([0-9.]+) s recording\)", log.read_text())
    return elapsed, cpu, float(match.group(1)) if match else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--mode", choices=["action", "module"], default="action")
    parser.add_argument("--only", nargs="*", help="run only these variants")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; the table shows medians")
    args = parser.parse_args()
    from helpers.postgres import PostgresServer

    work = Path(tempfile.mkdtemp(prefix="everylayer-bench-"))
    playbook = work / "bench.yml"
    write_playbook(playbook, args.tasks, args.mode)
    cmd = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(HERE / "inventory.yml"), str(playbook)]
    evidence = {"ANSIBLE_CALLBACKS_ENABLED": "everylayer.patch.evidence"}
    pg = PostgresServer().start()
    noop = {"ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"), "ANSIBLE_CALLBACKS_ENABLED": "noop_notify"}
    variants = [
        ("no callback", {}),
        ("no-op callback", noop),
        ("evidence (SQLite)", dict(evidence, EVERYLAYER_EVIDENCE_STORE=str(work / "evidence.sqlite"))),
        ("evidence (PostgreSQL)", dict(evidence, EVERYLAYER_EVIDENCE_STORE=pg.dsn)),
    ]
    ara = ara_env(work)
    variants.append(("ARA 1.x offline SQLite", ara))
    chosen = [(name, extra) for name, extra in variants if not args.only or name in args.only]
    runs = {name: [] for name, _extra in chosen}
    try:
        for round_no in range(args.rounds):
            for name, extra in chosen:
                if extra is None:
                    continue
                env = dict(base_env(work), **extra)
                seconds = timed(cmd, env, work / f"{round_no}-{len(runs[name])}-{name.split()[0]}.log")
                runs[name].append(seconds)
                print(f"round {round_no + 1}, {name}: {seconds}", file=sys.stderr, flush=True)
    finally:
        pg.stop()
    rows = []
    for name, extra in chosen:
        if extra is None:
            rows.append((name, None, "not installed in this Python environment"))
            continue
        busy = [b for _w, _c, b in runs[name] if b is not None]
        measured = (
            statistics.median(w for w, _c, _b in runs[name]),
            statistics.median(c for _w, c, _b in runs[name]),
            round(statistics.median(busy), 2) if busy else None,
        )
        rows.append((name, measured, ""))
    wall0, cpu0, _ = rows[0][1]
    results = args.tasks * 6
    print(
        f"\n{args.tasks} tasks x 6 hosts = {results} task results ({args.mode} tasks), "
        f"{'median of ' + str(args.rounds) + ' interleaved rounds' if args.rounds > 1 else 'one run each'}, "
        f"{os.cpu_count()} CPUs\n"
    )
    print(
        "| variant | wall (s) | wall ratio | CPU (s) | CPU ratio | callback recording (s) | recording / wall of no callback |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, measured, note in rows:
        if measured is None:
            print(f"| {name} | - | - | - | - | - | {note} |")
            continue
        wall, cpu, busy = measured
        share = f"{busy / wall0 * 100:.1f}%" if busy is not None else "-"
        print(
            f"| {name} | {wall:.1f} | {wall / wall0:.3f} | {cpu:.1f} | {cpu / cpu0:.3f} | {busy if busy is not None else '-'} | {share} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

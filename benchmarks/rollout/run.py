"""Benchmark: the everylayer.patch rollout against the plain serial-batch playbook a user would write.

    .venv/bin/python benchmarks/rollout/run.py [--hosts 50] [--forks 10] [--order plain,plain_package,rollout]
        [--rounds N] [--profile] [--variant NAME=COLLECTIONS_DIR] [--json OUT] [--keep DIR]

Prints the figures as JSON (wall time and the controller's CPU time, user + system of ansible-playbook and its
workers, of each run: the CPU time is the steadier figure on a loaded machine), then a Markdown table (for docs/benchmarks.md); exits non-zero if a run failed.

Run from the repo root, as root, with the lab up (EVERYLAYER_LAB_DIR / EVERYLAYER_LAB_INVENTORY_DIR /
EVERYLAYER_LAB_PORT_BASE select a separate lab instance, as for python -m lab). In ONE invocation:
- picks ``--hosts`` Linux hosts of the lab, keeping the lab's waves (its pilot hosts plus one per package manager
  that has none, then staged and full hosts in the lab's proportions, apt/dnf/zypper mixed), and writes one
  inventory with wave_pilot/wave_staged/wave_full groups and each host's ``asset`` record, used by every run;
- plain: three plays with the rollout's default ``serial`` batches (pilot 1; staged [1, 10%, 25%]; full [25%, 50%]),
  ``gather_facts: false``, one upgrade task per manager (``ansible.builtin.apt upgrade=dist update_cache=true``,
  ``ansible.builtin.dnf name='*' state=latest update_cache=true``, and for zypper, which has no builtin module,
  ``ansible.builtin.command zypper --non-interactive update``); no checks, no evidence, no reboot;
- plain_package: the same, but apt and dnf hosts upgrade in one ``ansible.builtin.package`` task (as the rollout
  patches every manager of a batch in one task), zypper as above;
- rollout: ``playbooks/rollout.yml`` (pilot -> staged -> full, prechecks, postchecks, the pilot manifest frozen and
  installed by the later waves, gates) with the evidence callback on SQLite, every pending update
  (no filters), ``reboot_policy=never`` (the plain playbooks do not reboot either);
- each ``--variant``: the same rollout from another copy of the collection (e.g. a proposed change to the roles);
- every host is reset to its baseline (python -m lab reset) before each run and at the end;
- ``--rounds N`` runs the whole order N times, every second round in reverse (A B B A ...), so that a machine
  getting slower or faster during the invocation weighs on every run alike: each round gives its own ratios (the
  runs of one round against each other), and the figures are the medians over the rounds.
Each run must succeed and leave no lab update pending inside the chroots (except, for a rollout, versions its
evidence records as newer than the frozen manifest); a rollout's evidence must verify and hold a change record
for every host. ``--profile`` adds a timing callback (callback_plugins/bench_timer.py) to every run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENV = REPO / ".venv" / "bin"
INVENTORY_DIR = Path(os.environ.get("EVERYLAYER_LAB_INVENTORY_DIR") or REPO / "inventories" / "lab" / "generated")
SERIAL = {"pilot": 1, "staged": [1, "10%", "25%"], "full": ["25%", "50%"]}
UPGRADE = {
    "apt": {"ansible.builtin.apt": {"upgrade": "dist", "update_cache": True}},
    "dnf": {"ansible.builtin.dnf": {"name": "*", "state": "latest", "update_cache": True}},
    "zypper": {"ansible.builtin.command": {"argv": ["zypper", "--non-interactive", "update"]}},
}
# Exit codes of zypper update that mean success (see plugins/module_utils/_packages/zypper.py).
ZYPPER_OK = "result.rc in [0, 100, 101, 102, 103]"


def pick_hosts(data: dict, count: int) -> dict[str, str]:
    """host -> wave: the lab's pilot hosts (plus one per package manager that has none), then staged and full hosts in the lab's proportions, managers mixed."""
    os_assets = [a for a in data["assets"] if a.get("layers") == ["os"] and a.get("wave")]
    assets_by_name = {a["name"]: a for a in os_assets}
    by_wave: dict[str, list[dict]] = {"pilot": [], "staged": [], "full": []}
    for asset in os_assets:
        by_wave[asset["wave"]].append(asset)
    if count > len(os_assets):
        sys.exit(f"the lab has {len(os_assets)} Linux hosts, {count} asked: python -m lab up --hosts {count}")
    picked = {a["name"]: "pilot" for a in by_wave["pilot"]}
    # The rollout freezes one manifest per package manager from its pilot hosts; a manager without a pilot host
    # would get no manifest (and nothing installed) in the later waves, so every manager gets a pilot host.
    for asset in list(by_wave["staged"]):
        manager = asset["platform"]["package_manager"]
        if manager not in {assets_by_name[h]["platform"]["package_manager"] for h in picked}:
            picked[asset["name"]] = "pilot"
            by_wave["staged"].remove(asset)
    rest = count - len(picked)
    staged_share = len(by_wave["staged"]) / max(len(by_wave["staged"]) + len(by_wave["full"]), 1)
    want = {"staged": round(rest * staged_share), "full": rest - round(rest * staged_share)}
    for wave, wanted in want.items():
        # round-robin over the managers so that a small run still mixes apt, dnf and zypper
        queues: dict[str, list[str]] = {}
        for asset in by_wave[wave]:
            queues.setdefault(asset["platform"]["package_manager"], []).append(asset["name"])
        left = wanted
        while left > 0 and any(queues.values()):
            for names in queues.values():
                if names and left > 0:
                    picked[names.pop(0)] = wave
                    left -= 1
    return picked


def write_inventory(path: Path, data: dict, waves: dict[str, str]) -> None:
    assets = {a["name"]: a for a in data["assets"]}
    groups: dict[str, dict] = {f"wave_{w}": {"hosts": {}} for w in SERIAL}
    for host, wave in waves.items():
        asset = assets[host]
        hostvars = dict(asset["vars"])
        hostvars["asset"] = {
            "name": host,
            "layers": asset["layers"],
            "platform": asset["platform"],
            "maintenance_window": "always",
        }
        groups[f"wave_{wave}"]["hosts"][host] = hostvars
    path.write_text(yaml.safe_dump({"all": {"children": groups}}, sort_keys=True))


# plain_package: apt and dnf hosts of a batch upgrade in ONE task (ansible.builtin.package, name='*' state=latest,
# its backend picked per host by `use`), as the rollout's single packages task does; plain runs one task per manager,
# so a batch's apt hosts finish before its dnf hosts start.
PACKAGE_TASK = {
    "name": "Upgrade every package (apt, dnf)",
    "ansible.builtin.package": {
        "name": "*",
        "state": "latest",
        "update_cache": True,
        "use": "{{ asset.platform.package_manager }}",
    },
    "when": "asset.platform.package_manager in ['apt', 'dnf']",
}


def plain_playbook(path: Path, one_task: bool) -> None:
    plays = []
    for wave, serial in SERIAL.items():
        tasks = [dict(PACKAGE_TASK)] if one_task else []
        for manager, task in UPGRADE.items():
            if one_task and manager != "zypper":
                continue
            step = dict(name=f"Upgrade every package ({manager})", **task)
            step["when"] = f"asset.platform.package_manager == '{manager}'"
            if manager == "zypper":
                step.update(register="result", changed_when="result.rc != 0", failed_when=f"not ({ZYPPER_OK})")
            tasks.append(step)
        plays.append({"name": f"Wave {wave}", "hosts": f"wave_{wave}", "gather_facts": False, "serial": serial})
        plays[-1]["tasks"] = tasks
    path.write_text(yaml.dump(plays, Dumper=_NoAliases, sort_keys=False))


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def lab(*args: str) -> None:
    proc = subprocess.run(
        [str(VENV / "python"), "-m", "lab", *args], cwd=REPO, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"python -m lab {' '.join(args)} failed: {proc.stdout}{proc.stderr}")


class RunFailed(Exception):
    pass


def run(name: str, argv: list[str], env: dict, workdir: Path) -> tuple[float, float]:
    """The run's wall time and the controller's CPU time (user + system of ansible-playbook and its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    (workdir / f"{name}.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RunFailed(f"{name} run failed (rc {proc.returncode}):\n{proc.stdout[-3000:]}")
    return elapsed, cpu


def pending(data: dict, hosts: list[str]) -> dict[str, int]:
    """Updates pending from the lab repository, read inside each host's chroot (metadata refreshed first)."""
    argv_of = {
        "apt": [["apt-get", "-qq", "update"], ["apt-get", "-s", "-o", "Debug::NoLocking=1", "dist-upgrade"]],
        "dnf": [["dnf", "-q", "check-update"]],
        "zypper": [["zypper", "--non-interactive", "list-updates"]],
    }
    result = {}
    for host in hosts:
        info = data["lab"]["hosts"][host]
        for argv in argv_of[info["manager"]]:
            proc = subprocess.run(["chroot", info["root"], *argv], capture_output=True, text=True, check=False)
        lines = proc.stdout.splitlines()
        if info["manager"] == "apt":
            result[host] = sum(1 for line in lines if line.startswith("Inst "))
        elif info["manager"] == "dnf":
            result[host] = sum(1 for line in lines if len(line.split()) == 3 and not line.startswith("Obsoleting"))
        else:
            result[host] = sum(1 for line in lines if line.startswith("v "))
    return result


def evidence_figures(store: Path) -> dict:
    sys.path.insert(0, str(REPO / ".collections"))
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import verify_store
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store

    per_host: dict[str, int] = {}
    held_back: dict[str, int] = {}  # newer than the frozen manifest (published after pilot): left pending on purpose
    kinds: dict[str, int] = {}
    with open_store(str(store)) as db:
        records = list(db.records())
    for record in records:
        kinds[record.kind] = kinds.get(record.kind, 0) + 1
        data = record.data or {}
        changes = [c for c in data.get("changes", []) or [] if c.get("kind") == "package"]
        if record.kind == "change" and changes:
            per_host[record.host] = per_host.get(record.host, 0) + len(changes)
        for item in data.get("pending", []) or [] if record.kind == "change" else []:
            if "not in the manifest" in str((item.get("details") or {}).get("reason", "")):
                held_back[record.host] = held_back.get(record.host, 0) + 1
    verified = verify_store(str(store))
    return {
        "records": len(records),
        "kinds": kinds,
        "packages_per_host": per_host,
        "held_back": held_back,
        "verified": verified.get("ok"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument(
        "--order", default="plain,plain_package,rollout", help="the runs, in this order (comma-separated)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the order this many times, every second round reversed; figures are medians over the rounds",
    )
    parser.add_argument("--profile", action="store_true", help="time every task (callback_plugins/bench_timer.py)")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=COLLECTIONS_DIR",
        help="also run the rollout of another copy of the collection (DIR/ansible_collections/everylayer/patch), "
        "e.g. to measure a change to the roles; NAME joins the runs after --order",
    )
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--keep", help="keep the inventory, playbook, logs and evidence in this directory")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    lab_json = INVENTORY_DIR / "lab.json"
    if not lab_json.exists():
        sys.exit(f"{lab_json} is missing: bring the lab up first (python -m lab up --hosts {args.hosts})")
    data = json.loads(lab_json.read_text())
    waves = pick_hosts(data, args.hosts)
    hosts = sorted(waves)
    with tempfile.TemporaryDirectory(prefix="bench-rollout-") as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        inventory = workdir / "inventory.yml"
        write_inventory(inventory, data, waves)
        plain_playbook(workdir / "plain.yml", one_task=False)
        plain_playbook(workdir / "plain_package.yml", one_task=True)
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_FORKS=str(args.forks))
        env["ANSIBLE_NOCOLOR"] = "1"
        if args.profile:
            env.update(ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"), BENCH_TIMER_DIR=str(workdir))
            env["ANSIBLE_CALLBACKS_ENABLED"] = "bench_timer"
        runs = {
            name: ([str(VENV / "ansible-playbook"), "-i", str(inventory), str(workdir / f"{name}.yml")], env, None)
            for name in ("plain", "plain_package")
        }
        collections = {"rollout": None}
        for spec in args.variant:
            name, _, path = spec.partition("=")
            collections[name] = Path(path).resolve()
        for name, root in collections.items():
            store = workdir / f"evidence-{name}.sqlite"
            book = (
                (root / "ansible_collections" / "everylayer" / "patch" if root else REPO) / "playbooks" / "rollout.yml"
            )
            extra = {"change_id": "CHG-BENCH-1", "reboot_policy": "never", "rollout_manifest_dir": str(workdir / name)}
            # staged and full need an approval record (older collections given as variants ignore it)
            extra["rollout_approval"] = {
                "approver": "bench",
                "approved_at": "2026-01-05T09:00:00Z",
                "change_id": "CHG-BENCH-1",
            }
            runenv = dict(env, EVERYLAYER_EVIDENCE_STORE=str(store))
            runenv["ANSIBLE_CALLBACKS_ENABLED"] = "everylayer.patch.evidence" + (",bench_timer" if args.profile else "")
            if root:
                runenv["ANSIBLE_COLLECTIONS_PATH"] = str(root)
            argv = [str(VENV / "ansible-playbook"), "-i", str(inventory), str(book), "-e", json.dumps(extra)]
            runs[name] = (argv, runenv, store)
        order = args.order.split(",") + [n for n in collections if n not in args.order.split(",")]
        figures: dict = {"hosts": len(hosts), "forks": args.forks, "waves": {}, "serial": SERIAL, "order": order}
        figures["rounds"] = args.rounds
        for wave in SERIAL:
            figures["waves"][wave] = sum(1 for w in waves.values() if w == wave)
        lab("reset", *hosts)
        baseline = pending(data, hosts)
        figures["pending_per_host_at_baseline"] = {"min": min(baseline.values()), "max": max(baseline.values())}
        failures = {}
        walls: dict[str, list[float]] = {name: [] for name in order}  # one per round
        cpus: dict[str, list[float]] = {name: [] for name in order}
        for round_no in range(args.rounds):
            for name in order if round_no % 2 == 0 else list(reversed(order)):
                if name in failures:
                    continue  # failed once: left out of the figures
                try:
                    wall, cpu, ev = one_run(name, runs[name], hosts, data, workdir)
                except RunFailed as exc:  # keep the other runs' figures; the benchmark still fails at the end
                    failures[name] = str(exc)
                    continue
                walls[name].append(wall)
                cpus[name].append(cpu)
                if ev is not None:
                    figures["packages_per_host"] = ev.pop("packages_per_host")
                    figures[f"{name}_evidence"] = ev
                if args.profile and (workdir / f"timer-{name}.json").exists():  # the last round's
                    figures[f"profile_{name}"] = json.loads((workdir / f"timer-{name}.json").read_text())
        order = [n for n in order if n not in failures]
        figures["failed_runs"] = failures
        lab("reset", *hosts)
        plains = [n for n in order if n.startswith("plain")]
        for name in order:
            figures[f"{name}_s"] = round(statistics.median(walls[name]), 2)
            figures[f"{name}_cpu_s"] = round(statistics.median(cpus[name]), 2)
            if args.rounds > 1:
                figures[f"{name}_runs_s"] = [round(w, 2) for w in walls[name]]
        fastest = min(plains, key=lambda n: figures[f"{n}_s"]) if plains else None
        for name in order:
            for plain in plains:
                # the ratio of each round (runs of the same round against each other), then their median
                per_round = [w / p for w, p in zip(walls[name], walls[plain], strict=True)]
                figures[f"{name}_ratio_to_{plain}"] = round(statistics.median(per_round), 3)
                if args.rounds > 1:
                    figures[f"{name}_ratios_to_{plain}"] = [round(r, 3) for r in per_round]
        figures["baseline"] = fastest
        figures["ratio"] = figures.get(f"rollout_ratio_to_{fastest}")
        figures["machine"] = machine()
    text = json.dumps(figures, indent=2)
    print(text)
    print()
    print(markdown(figures, order))
    if args.json:
        Path(args.json).write_text(text + "\n")
    if figures["failed_runs"]:
        sys.exit("failed runs (logs in --keep DIR): " + "; ".join(figures["failed_runs"].values()))


def one_run(name, spec, hosts, data, workdir) -> tuple[float, float, dict | None]:
    """Run ``name`` once from the hosts' baseline and check what it left: (wall, CPU, a rollout's evidence figures
    with ``packages_per_host`` as min/max, or None); raises RunFailed."""
    argv, runenv, store = spec
    if store is not None:
        store.unlink(missing_ok=True)
    lab("reset", *hosts)
    wall, cpu = run(name, argv, dict(runenv, BENCH_TIMER_NAME=name), workdir)
    left = {h: n for h, n in pending(data, hosts).items() if n}
    ev = evidence_figures(store) if store is not None else {"held_back": {}}
    # The lab's package repository may be shared with other lab instances: a version published there
    # after pilot (another test of the frozen manifest) is rightly not installed by staged/full.
    left = {h: n for h, n in left.items() if n > ev["held_back"].get(h, 0)}
    if left:
        raise RunFailed(f"{name}: updates still pending afterwards: {left}")
    if store is None:
        return wall, cpu, None
    counts = sorted(ev.pop("packages_per_host").values())
    if len(counts) != len(hosts) or not ev["verified"]:
        raise RunFailed(f"{name}: evidence has package changes for {len(counts)}/{len(hosts)} hosts: {ev}")
    return wall, cpu, dict(ev, packages_per_host={"min": counts[0], "max": counts[-1]})


def machine() -> dict:
    ansible = subprocess.run(
        [str(VENV / "ansible"), "--version"], capture_output=True, text=True, check=False
    ).stdout.split("\n")
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line), "0")
    return {
        "cpus": os.cpu_count(),
        "ram_gb": round(int(mem) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "ansible": ansible[0],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


LABELS = {
    "plain": "plain playbook (one upgrade task per manager)",
    "plain_package": "plain playbook (apt + dnf in one `package` task)",
    "rollout": "everylayer.patch rollout",
}


def markdown(f: dict, order: list[str]) -> str:
    waves = ", ".join(f"{w} {n}" for w, n in f["waves"].items())
    pk = f.get("packages_per_host", {"min": "?", "max": "?"})
    plains = [n for n in order if n.startswith("plain")]
    rows = [
        f"{f['hosts']} hosts ({waves}), forks {f['forks']}, {pk['min']}-{pk['max']} packages updated per host",
        "",
        "| run | wall time | controller CPU |" + "".join(f" ratio to {p} |" for p in plains),
        "|---|---|---|" + "---|" * len(plains),
    ]
    for name in order:
        label = LABELS.get(name, f"everylayer.patch rollout ({name})")
        ratios = "".join(f" {f[f'{name}_ratio_to_{p}']:.2f} |" for p in plains)
        rows.append(f"| {label} | {f[name + '_s']:.1f} s | {f[name + '_cpu_s']:.1f} s |{ratios}")
    return "\n".join(rows)


if __name__ == "__main__":
    main()

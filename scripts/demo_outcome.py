"""Check the story `make demo` tells, from the evidence of its last rollout run, and print it per wave.

Usage: demo_outcome.py STORE INVENTORY_JSON FAULT_HOST   (INVENTORY_JSON: `ansible-inventory --list` of the demo)
Exit 0 when the rollout went the way the demo promises: staged and full ran under their approval records, the
baseline expedited a KEV-listed update and honoured the exception, every gate passed, FAULT_HOST failed and was rolled
back, no host failed without a rollback, and every OS host, network device and Windows host of every wave was
patched, rolled back or deferred (outside its window). Exit 1 with the reason otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".collections"))

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store  # noqa: E402
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.gate import host_outcomes  # noqa: E402

WAVES = ("pilot", "staged", "full")


def last_rollout(records: list) -> list:
    """The records of the newest run that recorded a gate decision (the rollout, not the report)."""
    runs = [r.run_id for r in records if r.kind == "decision" and r.data["decision"].get("kind") == "gate"]
    if not runs:
        raise SystemExit("demo: the evidence has no rollout run (no gate decision recorded)")
    return [r for r in records if r.run_id == runs[-1]]


def demo_hosts(inventory: dict) -> dict:
    """host -> wave for the hosts the demo rolls out (OS hosts, network devices and Windows hosts)."""
    layers = (
        set(inventory.get("layer_os", {}).get("hosts", []))
        | set(inventory.get("layer_network", {}).get("hosts", []))
        | set(inventory.get("layer_windows", {}).get("hosts", []))
    )
    return {
        host: wave for wave in WAVES for host in inventory.get(f"wave_{wave}", {}).get("hosts", []) if host in layers
    }


def governed(run: list) -> list:
    """Print what the baseline decided per host and the waves' approvals; the problems if the governed story is
    missing (no KEV-expedited install, no exception honoured, a later wave without its approval record)."""
    found = [r.data["decision"] for r in run if r.kind == "decision"]
    approvals = {d["wave"]: d for d in found if d.get("kind") == "approval"}
    for wave, approval in sorted(approvals.items()):
        print(f"  approval {wave}: {approval['approver']} at {approval['approved_at']} for {approval['change_id']}")
    expedited, excepted = [], []
    for decision in found:
        baseline = decision.get("baseline")
        if not isinstance(baseline, dict):
            continue
        print(f"  baseline {decision['host']}: {baseline.get('summary')}")
        expedited += [f"{decision['host']}:{i['component']}" for i in baseline["approved"] if i.get("expedited")]
        excepted += [f"{decision['host']}:{i['component']} ({i['exception']})" for i in baseline["excepted"]]
    print(f"  KEV-expedited: {', '.join(expedited) or 'none'}; excepted: {', '.join(excepted) or 'none'}")
    problems = [] if expedited else ["no update was expedited by the KEV rule"]
    problems += [] if excepted else ["no exception was honoured"]
    problems += [f"wave {w} ran without an approval record" for w in WAVES[1:] if w not in approvals]
    return problems


def main(store: str, inventory_json: str, fault_host: str) -> int:
    hosts = demo_hosts(json.loads(Path(inventory_json).read_text()))
    with open_store(store) as db:
        run = last_rollout(list(db.records()))
    result = host_outcomes(run, hosts)  # the same reading the rollout's gates make
    gates = {
        r.data["decision"]["wave"]: r.data["decision"]
        for r in run
        if r.kind == "decision" and r.data["decision"].get("kind") == "gate"
    }
    print(f"rollout run {run[0].run_id}")
    for wave in WAVES:
        members = sorted(h for h, w in hosts.items() if w == wave)
        gate = gates.get(wave)
        verdict = (
            ""
            if gate is None
            else f"  gate: {'passed' if str(gate['passed']).lower() == 'true' else 'FAILED'} ({gate['success_rate']})"
        )
        print(f"  {wave:7} " + ", ".join(f"{h}={result[h]}" for h in members) + verdict)
    frozen = [
        r.data["decision"] for r in run if r.kind == "decision" and r.data["decision"].get("kind") == "manifest_frozen"
    ]
    windows = {k: v for d in frozen for k, v in (d.get("manifest") or {}).items() if k.startswith("windows")}
    for group, updates in windows.items():  # the Windows hosts' share: exact update ids, as pilot installed them
        print(
            f"  frozen {group}: " + ", ".join(f"{kb}={update_id[:8]}..." for kb, update_id in sorted(updates.items()))
        )
    problems = []
    if result.get(fault_host) != "rolled_back":
        problems.append(f"{fault_host} should have been rolled back, it is {result.get(fault_host)}")
    problems += [f"{h} is {o}" for h, o in sorted(result.items()) if o not in ("patched", "rolled_back", "deferred")]
    # every host starts from its baseline: a patched host must have changed something
    changed = {r.host for r in run if r.kind == "change" and r.data.get("changes") and not r.data.get("simulated")}
    problems += [f"{h} changed nothing" for h, o in sorted(result.items()) if o == "patched" and h not in changed]
    problems += [f"gate after {w} failed" for w, g in gates.items() if str(g["passed"]).lower() != "true"]
    problems += governed(run)
    if problems:
        print("demo: the rollout did not go as expected: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"demo: as expected - {fault_host} failed and was rolled back, the budget held, every wave completed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))

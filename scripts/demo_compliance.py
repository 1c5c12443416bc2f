"""Print the compliance summary of `make demo` from its evidence store (read only), as of now.

Usage: demo_compliance.py TITLE STORE INVENTORY_JSON POLICY KEV EXCEPTIONS
(INVENTORY_JSON: `ansible-inventory --list` of the demo; POLICY, KEV, EXCEPTIONS: scripts/demo_governance and the
demo's exceptions file). Every asset-layer of the asset map: the Linux hosts are scanned by the demo, the network
devices and the Windows host by the rollout's prechecks, the BMCs not at all (unknown: never scanned counts against
the rate). docs/governance.md, "Compliance and metrics", defines every figure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".collections"))

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store  # noqa: E402
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.compliance import compliance  # noqa: E402
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.exceptions import (  # noqa: E402
    load_exceptions,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.feeds import Intel  # noqa: E402
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.policy import load_policy  # noqa: E402


def plain(value):
    """ansible-inventory's JSON marks strings from the sources as {"__ansible_unsafe": text}: the text."""
    if isinstance(value, dict):
        return (
            value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else {k: plain(v) for k, v in value.items()}
        )
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def assets(inventory: dict) -> dict:
    """host -> its asset record, for every host of the asset map."""
    hostvars = inventory.get("_meta", {}).get("hostvars", {})
    return {host: plain(own["asset"]) for host, own in hostvars.items() if isinstance(own.get("asset"), dict)}


def waves(inventory: dict) -> dict:
    """host -> its wave (the wave_<name> groups), for deployments per wave."""
    return {
        host: group.removeprefix("wave_")
        for group, members in inventory.items()
        if group.startswith("wave_")
        for host in (members or {}).get("hosts", [])
    }


def show(title: str, result: dict) -> None:
    summary = result["summary"]
    rate = summary["compliance_rate"]
    print(f"{title} (as of {result['as_of']})")
    print(
        f"  compliance rate {'-' if rate is None else f'{rate:.0%}'} of {summary['total']} asset-layers; "
        + ", ".join(f"{state} {n}" for state, n in summary["counts"].items() if n)
    )
    print(
        f"  KEV exposure: {summary['kev_exposure']} pending"
        + (f" ({', '.join(summary['kev_open'])})" if summary["kev_open"] else "")
    )
    if summary["overdue_by_tier"]:
        print("  overdue by tier: " + ", ".join(f"{t} {n}" for t, n in summary["overdue_by_tier"].items()))
    for row in result["assets"]:
        statuses = {}
        for item in row["items"]:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
        tiers = {}
        for item in row["items"]:
            tiers[item["tier"]] = tiers.get(item["tier"], 0) + 1
        pending = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) or "nothing pending"
        ranked = " ".join(f"{t}:{n}" for t, n in sorted(tiers.items()))
        print(f"  {row['host']:16} {row['state']:10} {pending}" + (f"  [{ranked}]" if ranked else ""))
    deployments = result.get("deployments") or {}
    for wave, figures in sorted((deployments.get("per_wave") or {}).items()):
        print(f"  deployments {wave}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    for exc in result["exceptions_expiring"]:
        print(f"  exception {exc['id']} ({exc['owner']}) expires {exc['expires']}, in {exc['days_left']} day(s)")


def main(title: str, store: str, inventory_json: str, policy: str, kev: str, exceptions: str) -> int:
    inventory = json.loads(Path(inventory_json).read_text())
    with open_store(store, readonly=True) as db:
        records = list(db.records())
    result = compliance(
        records,
        load_policy(path=policy),
        Intel(kev=kev),
        assets(inventory),
        load_exceptions(path=exceptions),
        waves=waves(inventory),
        trend=False,
    )
    show(title, result)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 7:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Priority in the asset map: each host's most urgent pending update (tier P1..P4, SLA deadline) from the scans
recorded in the evidence store, ranked by the governance policy (docs/governance.md, docs/assets.md).

The pending data is the evidence's, not the asset sources': the latest scan of each host and layer, minus what an
applied change fixed since. It is read at every inventory parse (never cached: it changes with each scan and patch).
"""

from __future__ import annotations

import os

from .record import AssetInputError

KEYS = {"store", "policy", "exceptions", "osv", "kev", "epss", "as_of"}
VAR = "asset_priority"


def _path(value, basedir):
    """A file option relative to the inventory configuration; URLs, DSNs and absolute paths as they are."""
    if not value or "://" in str(value) or "=" in str(value):
        return value
    return os.path.join(basedir, os.path.expanduser(str(value)))


def check_config(config):
    """The ``priority`` option: a mapping of KEYS (or empty: priority off)."""
    if not config:
        return None
    if not isinstance(config, dict):
        raise AssetInputError("priority: must be a mapping (store, policy, exceptions, osv, kev, epss, as_of)")
    unknown = sorted(set(config) - KEYS)
    if unknown:
        raise AssetInputError(f"priority: unknown option(s) {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})")
    return config


def priorities(assets, config, basedir):
    """``{host: (asset_priority, [groups])}`` for the hosts of ``assets`` (``{host: asset record}``).

    Groups: ``priority_p1`` .. ``priority_p4`` (the host's most urgent pending update not covered by an exception),
    ``priority_none`` (scanned recently, nothing to patch), ``priority_unknown`` (no scan within the policy's
    ``unknown_after_days``), and ``compliance_<state>``. No scan of any host of the map is an error."""
    # imported here: the governance and evidence packages are needed only when priority is configured
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import (  # noqa: PLC0415
        resolve_store,
    )
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import (  # noqa: PLC0415
        open_store,
    )
    from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import (  # noqa: PLC0415
        EvidenceError,
    )
    from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import (  # noqa: PLC0415
        GovernanceError,
    )
    from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.compliance import (  # noqa: PLC0415
        compliance,
    )
    from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.exceptions import (  # noqa: PLC0415
        load_exceptions,
    )
    from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.feeds import Intel  # noqa: PLC0415
    from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.policy import (  # noqa: PLC0415
        load_policy,
    )

    osv = config.get("osv") or []
    osv = [osv] if isinstance(osv, str) else list(osv)
    try:
        store = resolve_store(_path(config.get("store"), basedir) if config.get("store") else None)
        policy = load_policy(path=_path(config["policy"], basedir)) if config.get("policy") else load_policy()
        exceptions = load_exceptions(path=_path(config["exceptions"], basedir)) if config.get("exceptions") else None
        if exceptions is not None:
            exceptions.check(config.get("as_of"))  # an expired exception is an error here too
        intel = Intel(
            [_path(p, basedir) for p in osv], _path(config.get("kev"), basedir), _path(config.get("epss"), basedir)
        )
        with open_store(store, readonly=True) as opened:
            records = [r for r in opened.records() if not r.host or r.host in assets]
        if not any(r.kind == "change" and r.data.get("scan") for r in records):
            raise AssetInputError(
                f"priority: the evidence store has no scan of any of the {len(assets)} host(s) of the map, so no "
                "priority is known (run playbooks/scan.yml with the evidence callback on, or remove priority:)"
            )
        result = compliance(records, policy, intel, assets, exceptions, now=config.get("as_of"), trend=False)
    except (GovernanceError, EvidenceError) as exc:
        raise AssetInputError(f"priority: {exc}") from None
    rows = {}
    for row in result["assets"]:
        rows.setdefault(row["host"], []).append(row)
    return {host: _host(rows.get(host, []), result["as_of"]) for host in assets}


def _host(rows, as_of):
    """One host's ``asset_priority`` and groups from its compliance rows (one per layer)."""
    known = [r for r in rows if r["state"] != "unknown"]
    open_items = [i for r in known for i in r["items"] if i["status"] != "excepted"]
    open_items.sort(key=lambda i: (i["tier"], i["deadline"]))
    tier = open_items[0]["tier"] if open_items else None
    order = ("compliant", "excepted", "due_soon", "unknown", "overdue")
    state = max((r["state"] for r in rows), key=order.index) if rows else "unknown"
    value = {
        "tier": tier,
        "state": state,
        "as_of": as_of,
        "source": "evidence",
        "last_scan": max((r["last_scan"] for r in known), default=None),
        "next_deadline": open_items[0]["deadline"] if open_items else None,
        "overdue": sum(1 for i in open_items if i["overdue"]),
        "kev": sorted({c for i in open_items for c in i["kev_cves"]}),
        "counts": {t: sum(1 for i in open_items if i["tier"] == t) for t in ("P1", "P2", "P3", "P4")},
        "layers": {
            str(r["layer"]): {
                "state": r["state"],
                "last_scan": r["last_scan"],
                "pending": len(r["items"]),
                "tier": min((i["tier"] for i in r["items"] if i["status"] != "excepted"), default=None),
            }
            for r in rows
        },
    }
    group = f"priority_{tier.lower()}" if tier else ("priority_none" if known else "priority_unknown")
    return value, [group, f"compliance_{state}"]

# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Risk and priority: each pending update of an asset gets its advisories' highest CVSS, KEV entries, highest
EPSS, the asset's criticality and exposure, and from the policy's first matching rule a tier (P1..P4) and an SLA
deadline. docs/governance.md explains the rules."""

from __future__ import annotations

from datetime import timedelta

from ansible_collections.everylayer.patch.plugins.module_utils._change import highest_severity

from .common import GovernanceError, to_date, today
from .policy import TIERS

#: the asset map's platform keys that name a platform, in its order (plugin_utils/_assets/record.py platform_keys)
PLATFORM_NAMES = ("name", "distribution", "network_os", "bmc_vendor")


def platform_name(asset):
    """The platform a baseline's ``match.platform`` is compared with: the asset's ``platform`` when it is a name, else
    its ``name``, ``distribution``, ``network_os`` or ``bmc_vendor`` (the first given; the asset map gives
    ``distribution`` for OS and Windows hosts). risk_rank, baseline_evaluate, compliance_summary and the rollout all
    read it here."""
    platform = (asset if isinstance(asset, dict) else {}).get("platform")
    if not isinstance(platform, dict):
        return platform or None
    return next((platform[key] for key in PLATFORM_NAMES if platform.get(key)), None)


def _asset_facts(asset):
    asset = asset if isinstance(asset, dict) else {}
    return {
        "asset": asset.get("name"),
        "criticality": asset.get("criticality") or None,
        "exposure": asset.get("exposure") or None,
        "platform": platform_name(asset),
    }


def _matches(when, facts):
    """True when every condition of a rule holds for the item's facts."""
    for key, want in (when or {}).items():
        if key == "kev" and bool(facts["kev"]) != want:
            return False
        if key == "zero_day" and bool(facts["zero_day"]) != want:
            return False
        if key == "cvss_min" and (facts["cvss"] is None or facts["cvss"] < want):
            return False
        if key == "epss_min" and (facts["epss"] is None or facts["epss"] < want):
            return False
        if key in ("severity", "exposure", "criticality", "layer") and facts[key] not in want:
            return False
    return True


def _pending(pending):
    """(layer, entries) of a change record (``layer``, ``pending``) or a bare list of pending entries."""
    if isinstance(pending, dict):
        return pending.get("layer"), pending.get("pending") or []
    if isinstance(pending, list):
        return None, pending
    raise GovernanceError("risk_rank: the input must be a change record (layer, pending) or a list of pending entries")


def rank_item(entry, asset, intel, policy, layer=None, now=None, first_seen=None):
    """One pending entry with its risk facts, tier, SLA days and deadline."""
    if not isinstance(entry, dict) or not entry.get("component"):
        raise GovernanceError(f"risk_rank: a pending entry needs a component, not {entry!r}")
    advisories = [str(a) for a in entry.get("advisories") or []]
    known = intel.about(advisories) if intel else {"cvss": None, "kev": [], "epss": None, "severities": []}
    cvss = known["cvss"]
    zero_day = bool((entry.get("details") or {}).get("zero_day")) or any(
        name in (policy["zero_day"] or []) for a in advisories for name in (intel.names(a) if intel else {a})
    )
    severity = highest_severity([entry.get("severity"), *(known["severities"]), cvss and cvss["severity"]])
    details = entry.get("details") or {}
    facts = dict(
        _asset_facts(asset),
        component=entry["component"],
        layer=layer or entry.get("layer"),
        advisories=advisories,
        severity=severity or "unknown",
        cvss=cvss and cvss["base_score"],
        cvss_vector=cvss and cvss["vector"],
        kev=bool(known["kev"]),
        kev_due=known["kev"][0]["due_date"] if known["kev"] else None,
        kev_cves=[k["cve"] for k in known["kev"]],
        epss=known["epss"] and known["epss"]["epss"],
        epss_percentile=known["epss"] and known["epss"]["percentile"],
        zero_day=zero_day,
        classification=details.get("classification"),
        vendor_severity=details.get("msrc_severity"),  # the vendor's own word (Windows: Important, Moderate...)
        # a Windows update's release date (WUA LastDeploymentChangeTime) is its publication
        published=entry.get("published") or details.get("release_date") or known.get("published"),
    )
    rule = next((r for r in policy["rules"] if _matches(r.get("when"), facts)), None)
    tier = rule["tier"] if rule else policy["default_tier"]
    sla = rule.get("sla_days", policy["tiers"][tier]) if rule else policy["tiers"][tier]
    if facts["criticality"] in (policy["raise_for_criticality"] or []) and tier != TIERS[0]:
        tier = TIERS[TIERS.index(tier) - 1]
        sla = min(sla, policy["tiers"][tier])
    start = to_date(first_seen, "first_seen", entry["component"]) if first_seen else today(now)
    deadline = start + timedelta(days=sla)
    if policy["kev_due_date"] and facts["kev_due"]:
        deadline = min(deadline, to_date(facts["kev_due"], "KEV dueDate", facts["kev_cves"][0]))
    facts.update(
        tier=tier,
        rule=rule.get("name") if rule else "default",
        sla_days=sla,
        first_seen=start.isoformat(),
        deadline=deadline.isoformat(),
        overdue=today(now) > deadline,
    )
    return facts


def rank(pending, asset=None, intel=None, policy=None, now=None, first_seen=None, layer=None):
    """``{"priority", "groups", "counts", "items"}`` for one asset's pending updates, the most urgent first.

    ``first_seen`` maps a component to the date it was first seen pending (the evidence knows); else today."""
    record_layer, entries = _pending(pending)
    items = [
        rank_item(e, asset, intel, policy, layer or record_layer, now, (first_seen or {}).get(e.get("component")))
        for e in entries
    ]
    items.sort(key=lambda i: (TIERS.index(i["tier"]), i["deadline"], -(i["cvss"] or 0), i["component"]))
    counts = {tier: sum(1 for i in items if i["tier"] == tier) for tier in TIERS}
    priority = items[0]["tier"] if items else None
    return {
        "priority": priority,
        "groups": [f"priority_{priority.lower()}"] if priority else [],
        "counts": counts,
        "kev": sorted({c for i in items for c in i["kev_cves"]}),
        "overdue": sum(1 for i in items if i["overdue"]),
        "items": items,
    }


RISK_FIELDS = (
    "severity",
    "cvss",
    "cvss_vector",
    "kev",
    "kev_due",
    "kev_cves",
    "epss",
    "epss_percentile",
    "zero_day",
    "published",
    "tier",
    "rule",
    "sla_days",
    "first_seen",
    "deadline",
    "overdue",
)


def fleet(results, assets=None, intel=None, policy=None, now=None, first_seen=None):
    """The scan report's risk view of several hosts' scans (``{host: change record}``).

    Each host keeps its scan's keys (manager, reboot state...) and gets ``priority``, ``counts``, ``kev``,
    ``overdue``, its asset's ``criticality`` and ``exposure``, and ``pending`` with every entry's ``risk`` (the
    facts, tier and deadline of rank_item), most urgent first. ``groups`` maps ``priority_p1``.. to host names.
    ``first_seen`` maps a host to ``{component: date}`` (the evidence's scans); else each clock starts ``now``."""
    if not isinstance(results, dict) or not results:
        raise GovernanceError("no scan result to rank: no host was scanned (or every scan failed)")
    hosts, groups, counts = {}, {f"priority_{t.lower()}": [] for t in TIERS}, dict.fromkeys(TIERS, 0)
    for host in sorted(results, key=str):
        result = results[host]
        if not isinstance(result, dict) or not isinstance(result.get("pending"), list):
            raise GovernanceError(f"host {host}: not a scan's change record (it has no pending list)")
        asset = dict((assets or {}).get(host) or {})
        asset["name"] = asset.get("name") or host
        since = (first_seen or {}).get(host) or {}
        pending = []
        for entry in result["pending"]:
            item = rank_item(entry, asset, intel, policy, result.get("layer"), now, since.get(entry.get("component")))
            pending.append(dict(entry, risk={key: item[key] for key in RISK_FIELDS}))
        pending.sort(key=lambda e: (TIERS.index(e["risk"]["tier"]), e["risk"]["deadline"], -(e["risk"]["cvss"] or 0)))
        tiers = {tier: sum(1 for e in pending if e["risk"]["tier"] == tier) for tier in TIERS}
        priority = pending[0]["risk"]["tier"] if pending else None
        if priority:
            groups[f"priority_{priority.lower()}"].append(host)
        for tier, n in tiers.items():
            counts[tier] += n
        facts = _asset_facts(asset)
        hosts[host] = {
            **{k: v for k, v in result.items() if k not in ("pending", "changes", "invocation")},
            "priority": priority,
            "counts": tiers,
            "kev": sorted({c for e in pending for c in e["risk"]["kev_cves"]}),
            "overdue": sum(1 for e in pending if e["risk"]["overdue"]),
            "criticality": facts["criticality"],
            "exposure": facts["exposure"],
            "pending": pending,
        }
    return {
        "as_of": today(now).isoformat(),
        "hosts": hosts,
        "groups": groups,
        "counts": counts,
        "kev_exposure": sum(1 for h in hosts.values() for e in h["pending"] if e["risk"]["kev"]),
        "overdue": sum(h["overdue"] for h in hosts.values()),
    }

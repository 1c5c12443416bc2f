# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The governance baseline inside a rollout: which of a host's pending updates its wave installs now.

With ``rollout_baseline`` set, an OS or Windows host's plan scans the host (what is pending, read now, never
forecast), ranks each update (``_governance/risk.py``) and decides it under the policy's baselines for its layer and
the exceptions (``_governance/baseline.py``). The approved updates become the host's patch selection: in a freezing
wave the scan's candidate versions of the approved packages - for a Windows host the approved updates' ids, ``{KB:
update id}`` - (a manifest, so exactly what was read and approved is installed), in a later wave the frozen
manifest's entries the host's baseline approves. The rest - waiting, rejected, excepted - is
recorded with its reason in the plan's decision. ``expedited_only`` makes an out-of-cadence (emergency) rollout:
only what the expedite rule approved is installed. Without ``rollout_baseline`` nothing here runs.
"""

from __future__ import annotations

import os

from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.baseline import evaluate
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError, today
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.exceptions import load_exceptions
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.feeds import Intel
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.policy import load_policy
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.risk import platform_name, rank

from .plan import PlanError

KEYS = ("policy", "osv", "kev", "epss", "now", "first_seen", "scan", "windows_scan", "expedited_only")
#: the windows_updates options a Windows host's scan takes from ``rollout_baseline.windows_scan``
WINDOWS_SCAN_KEYS = (
    "category_names",
    "security_only",
    "min_severity",
    "accept_list",
    "reject_list",
    "server_selection",
)
ITEM_KEYS = ("component", "severity", "tier", "advisories", "reason", "approves_on", "exception", "expedited")


class Governance:
    """The loaded policy, exceptions and advisory feeds of ``rollout_baseline`` / ``rollout_exceptions``."""

    def __init__(self, policy, exceptions, intel, now, first_seen, scan, expedited_only=False, windows_scan=None):
        self.expedited_only = expedited_only
        self.windows_scan = windows_scan or {}
        self.policy = policy
        self.exceptions = exceptions
        self.intel = intel
        self.now = now
        self.first_seen = first_seen
        self.scan = scan

    def names(self):
        return [b["name"] for b in self.policy["baselines"] or []]

    def expiring(self):
        if self.exceptions is None:
            return []
        return self.exceptions.expiring(self.policy["exceptions_expiring_days"], self.now)


_CACHE = {}


def _stamp(path):
    return os.stat(path).st_mtime_ns if isinstance(path, str) and os.path.exists(path) else None


def load(baseline, exceptions=None):
    """The Governance of the settings, or None when ``baseline`` is empty; PlanError naming the setting and field.

    An expired or unapproved exception is an error here (GovernanceError's text names its file, line and field)."""
    if not baseline:
        if exceptions:
            raise PlanError(
                "rollout_exceptions is set but rollout_baseline is not: exceptions are honoured by the baseline "
                "evaluation (give rollout_baseline.policy, docs/governance.md)"
            )
        return None
    if not isinstance(baseline, dict):
        raise PlanError(f"rollout_baseline: expected a mapping ({', '.join(KEYS)}), got {str(baseline)[:80]!r}")
    unknown = sorted(set(map(str, baseline)) - set(KEYS))
    if unknown:
        raise PlanError(f"rollout_baseline: unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
    if not baseline.get("policy"):
        raise PlanError("rollout_baseline.policy: required, the governance policy file (or mapping) with baselines")
    scan = baseline.get("scan") or {}
    if not isinstance(scan, dict) or "state" in scan:
        raise PlanError("rollout_baseline.scan: a mapping of everylayer.patch.packages options for the scan (no state)")
    windows_scan = baseline.get("windows_scan") or {}
    if not isinstance(windows_scan, dict) or set(map(str, windows_scan)) - set(WINDOWS_SCAN_KEYS):
        raise PlanError(
            "rollout_baseline.windows_scan: a mapping of the everylayer.patch.windows_updates options of a Windows "
            f"host's scan: {', '.join(WINDOWS_SCAN_KEYS)}"
        )
    for key, value in windows_scan.items():
        if key in ("category_names", "accept_list", "reject_list") and not isinstance(value, list):
            raise PlanError(f"rollout_baseline.windows_scan.{key}: expected a list, got {str(value)[:80]!r}")
        if key == "security_only" and not isinstance(value, bool):
            raise PlanError(f"rollout_baseline.windows_scan.{key}: expected true or false, got {value!r}")
    osv = baseline.get("osv") or []
    osv = [osv] if isinstance(osv, str) else list(osv)
    key = (
        repr(baseline.get("policy")),
        _stamp(baseline.get("policy")),
        repr(exceptions),
        _stamp(exceptions),
        tuple((p, _stamp(p)) for p in osv),
        (baseline.get("kev"), _stamp(baseline.get("kev"))),
        (baseline.get("epss"), _stamp(baseline.get("epss"))),
    )
    try:
        if key not in _CACHE:
            _CACHE.clear()
            policy = baseline["policy"]
            policy = load_policy(path=policy) if isinstance(policy, str) else load_policy(data=policy)
            if not policy["baselines"]:
                raise GovernanceError(
                    f"policy {baseline['policy'] if isinstance(baseline['policy'], str) else '(mapping)'} has no "
                    "baselines: with rollout_baseline set nothing would be approved"
                )
            loaded = None
            if exceptions:
                loaded = (
                    load_exceptions(path=exceptions)
                    if isinstance(exceptions, str)
                    else load_exceptions(data=exceptions)
                )
            intel = Intel(osv=osv, kev=baseline.get("kev") or None, epss=baseline.get("epss") or None)
            _CACHE[key] = (policy, loaded, intel)
        policy, loaded, intel = _CACHE[key]
        now = today(baseline.get("now") or None).isoformat()
        if loaded is not None:
            loaded.check(now)
    except GovernanceError as exc:
        raise PlanError(f"rollout_baseline: {exc}") from None
    flags = {key: baseline.get(key, key == "first_seen") for key in ("first_seen", "expedited_only")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise PlanError(f"rollout_baseline.{key}: expected true or false, got {value!r}")
    return Governance(
        policy, loaded, intel, now, flags["first_seen"], dict(scan), flags["expedited_only"], dict(windows_scan)
    )


def _asset(asset, host):
    """The asset as the ranking reads it: with its name (its platform is read by risk.platform_name)."""
    asset = dict(asset or {})
    asset.setdefault("name", host)
    return asset


def _brief(item):
    return {key: item[key] for key in ITEM_KEYS if item.get(key) not in (None, [], "")}


def select(gov, scan, asset, host, freezing, share, first_seen=None, layer="os"):
    """The host's patch selection under the baseline, from its scan (a change record with ``pending``).

    ``share`` is the host's part of the frozen manifest (later waves); ``layer`` the host's (``os`` or ``windows``:
    the baselines of that layer decide). Returns ``{"manifest", "deferred", "decision"}``: ``manifest`` what the
    patch installs (package -> version; Windows: KB -> update id), ``deferred`` the reason nothing is installed now
    (or None), ``decision`` what the evidence keeps (every item with its reason)."""
    pending = scan.get("pending")
    if not isinstance(pending, list):
        raise PlanError(f"baseline: the scan of {host} returned no pending list")
    try:
        ranked = rank(scan, _asset(asset, host), gov.intel, gov.policy, gov.now, first_seen or {}, layer=layer)
        decided = evaluate(ranked, gov.policy, gov.exceptions, gov.now)
    except GovernanceError as exc:
        raise PlanError(f"baseline: {exc}") from None
    if layer == "windows":  # what windows_updates installs: the update id (update_ids), not id.revision
        candidates = {e["component"]: (e.get("details") or {}).get("id") for e in pending if e.get("component")}
    else:
        candidates = {entry["component"]: entry.get("after") for entry in pending if entry.get("component")}
    if gov.expedited_only:  # an out-of-cadence rollout: only what the expedite rule approved goes now
        held = [
            dict(i, reason=f"{i['reason']}; not expedited: this rollout installs expedited updates only")
            for i in decided["approved"]
            if not i.get("expedited")
        ]
        decided["approved"] = [i for i in decided["approved"] if i.get("expedited")]
        decided["waiting"] = held + decided["waiting"]
    approved = [item["component"] for item in decided["approved"]]
    untested = []
    if freezing:
        manifest = {name: candidates[name] for name in approved if candidates.get(name)}
    else:
        manifest = {name: version for name, version in (share or {}).items() if name in approved}
        untested = sorted(name for name in approved if name not in manifest)
    decision = {
        "as_of": gov.now,
        "baseline": _baseline_name(gov, asset, host, layer),
        "approved": [dict(_brief(i), version=manifest.get(i["component"])) for i in decided["approved"]],
        "waiting": [_brief(i) for i in decided["waiting"]],
        "rejected": [_brief(i) for i in decided["rejected"]],
        "excepted": [_brief(i) for i in decided["excepted"]],
        "expiring": decided["expiring"],
    }
    if untested:
        decision["not_frozen"] = untested  # approved here, but no freezing wave tested them: not installed
    counts = ", ".join(
        f"{len(decision[k])} {k}" for k in ("approved", "waiting", "rejected", "excepted") if decision[k]
    )
    expedited = sum(1 for i in decided["approved"] if i.get("expedited"))
    summary = f"{counts or 'nothing pending'}" + (f" ({expedited} expedited)" if expedited else "")
    deferred = None
    if not pending:
        deferred = "baseline: nothing pending on the host"
    elif not manifest:
        why = "nothing approved that a freezing wave tested" if not freezing and untested else "nothing approved now"
        deferred = f"baseline: {why} ({summary})"
    decision["summary"] = summary
    return {"manifest": manifest, "deferred": deferred, "decision": decision}


def _baseline_name(gov, asset, host, layer="os"):
    asset = _asset(asset, host)
    baseline = gov.policy.baseline_for(layer, platform_name(asset), asset.get("name"))
    return baseline["name"] if baseline else None

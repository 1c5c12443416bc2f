# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Governance filters: risk_rank (tier and SLA of each pending update), baseline_evaluate (what a rollout may
install now and why the rest waits), compliance_summary (compliance and metrics from the evidence store).
docs/governance.md describes them, the policy file and every metric."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import config as evidence_config
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import resolve_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.store import EvidenceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.baseline import evaluate
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.compliance import compliance
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.compliance import pending_since as _since
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.exceptions import load_exceptions
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.feeds import Intel
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.policy import load_policy
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.risk import fleet, rank

_INTEL = {}  # one read of the feeds per controller process, not per host: keyed by paths and their mtimes


def _stamp(location):
    return os.stat(location).st_mtime_ns if location and os.path.exists(location) else None


def intel(osv=None, kev=None, epss=None):
    osv = [osv] if isinstance(osv, str) else list(osv or [])
    key = (tuple((p, _stamp(p)) for p in osv), (kev, _stamp(kev)), (epss, _stamp(epss)))
    if key not in _INTEL:
        _INTEL.clear()
        _INTEL[key] = Intel(osv=osv, kev=kev, epss=epss)
    return _INTEL[key]


def _policy(policy):
    return load_policy(path=policy) if isinstance(policy, str) else load_policy(data=policy)


def _exceptions(exceptions):
    if exceptions is None:
        return None
    return load_exceptions(path=exceptions) if isinstance(exceptions, str) else load_exceptions(data=exceptions)


def risk_rank(pending, asset=None, policy=None, osv=None, kev=None, epss=None, now=None, first_seen=None, host=None):
    """``{priority, groups, counts, kev, overdue, items}`` of a scan's change record (or its pending list).

    ``asset`` is the asset map's ``asset`` variable (criticality, exposure, platform); ``host`` names it when the
    asset has no name; ``policy`` a policy file path or mapping; ``osv`` (paths), ``kev``, ``epss`` the feeds."""
    try:
        asset = dict(asset or {})
        asset.setdefault("name", host)
        return rank(pending, asset, intel(osv, kev, epss), _policy(policy), now=now, first_seen=first_seen)
    except GovernanceError as exc:
        raise AnsibleFilterError(f"risk_rank: {exc}") from None


def _first_seen(hosts, first_seen, store):
    """Per host ``{component: date}`` from the evidence's scans, ``{}`` for today, or what the caller passed."""
    if isinstance(first_seen, dict):
        return first_seen, "given"
    mode = first_seen or "auto"
    if mode not in ("auto", "evidence", "today"):
        raise GovernanceError(f"first_seen must be auto, evidence, today or a mapping, not {mode!r}")
    if mode == "today":
        return {}, "today"
    if mode == "auto":
        marker = evidence_config.read_marker()
        if not (marker and marker.get("recording")):
            return {}, "today"  # no evidence recorded by this run: the clocks start today (the report says so)
    try:
        with open_store(resolve_store(store), readonly=True) as opened:
            records = [r for r in opened.records() if r.host in hosts]
    except EvidenceError as exc:
        raise GovernanceError(f"first_seen from the evidence store: {exc}") from None
    return {host: _since(records, host) for host in hosts}, "evidence"


def risk_report(
    results, assets=None, policy=None, osv=None, kev=None, epss=None, now=None, first_seen="auto", store=None
):
    """The fleet's scan results ranked: ``{as_of, hosts, groups, counts, kev_exposure, overdue, first_seen, feeds,
    policy}`` (docs/governance.md, "The scan report"). ``results`` maps host names to their scan's change record,
    ``assets`` host names to their ``asset`` variable."""
    try:
        loaded = _policy(policy)
        feeds = intel(osv, kev, epss)
        since, clock = _first_seen(list(results or {}), first_seen, store)
        out = fleet(results, assets or {}, feeds, loaded, now=now, first_seen=since)
    except GovernanceError as exc:
        raise AnsibleFilterError(f"risk_report: {exc}") from None
    out["first_seen"] = clock
    out["feeds"] = feeds.summary()
    out["policy"] = policy if isinstance(policy, str) else "inline" if policy else "default"
    return out


def baseline_evaluate(ranked, policy=None, exceptions=None, now=None):
    """``{approved, waiting, rejected, excepted, expiring, install}`` of risk_rank's result under the policy's
    baselines and the exceptions (a file path or a list); an expired or unapproved exception fails the task."""
    try:
        return evaluate(ranked, _policy(policy), _exceptions(exceptions), now=now)
    except GovernanceError as exc:
        raise AnsibleFilterError(f"baseline_evaluate: {exc}") from None


def compliance_summary(
    assets, store=None, policy=None, exceptions=None, osv=None, kev=None, epss=None, now=None, since=None
):
    """Compliance states, rates and metrics (docs/governance.md) from the evidence store (read only).

    ``assets`` maps host names to their ``asset`` variable (e.g. ``hostvars | dict2items`` reduced, or a dict);
    ``store`` is the evidence store (default: the evidence callback's setting)."""
    try:
        with open_store(resolve_store(store), readonly=True) as opened:
            return compliance(
                opened.records(since=since),
                _policy(policy),
                intel(osv, kev, epss),
                assets or {},
                _exceptions(exceptions),
                now=now,
            )
    except (GovernanceError, EvidenceError) as exc:
        raise AnsibleFilterError(f"compliance_summary: {exc}") from None


def pending_since(host, layer=None, store=None):
    """``{component: "YYYY-MM-DD"}`` first seen pending on ``host`` by the scans in the evidence store (read only),
    for risk_rank's ``first_seen``: the SLA clock then starts at the first scan, not today."""
    try:
        with open_store(resolve_store(store), readonly=True) as opened:
            return _since(opened.records(host=host), host, layer)
    except (GovernanceError, EvidenceError) as exc:
        raise AnsibleFilterError(f"pending_since: {exc}") from None


class FilterModule:
    def filters(self):
        return {
            "risk_rank": risk_rank,
            "risk_report": risk_report,
            "baseline_evaluate": baseline_evaluate,
            "compliance_summary": compliance_summary,
            "pending_since": pending_since,
        }

# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence report's compliance overview (report v2): the governance policy, exceptions and advisory data the
``evidence_report`` action is given, applied to the whole store's history as of a day (docs/governance.md)."""

from __future__ import annotations

from datetime import timedelta

from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.common import GovernanceError, today
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.compliance import compliance
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.exceptions import load_exceptions
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.feeds import Intel
from ansible_collections.everylayer.patch.plugins.plugin_utils._governance.policy import Policy, load_policy

# the action's options that ask for an overview (any one of them, or compliance: true)
OPTIONS = ("policy", "exceptions", "osv", "kev", "epss", "as_of", "due_soon_days", "unknown_after_days", "assets")


def wanted(args):
    """True when the task asks for a compliance overview: ``compliance: true``, or any governance option given
    while ``compliance`` is left unset. ``compliance: false`` turns it off."""
    if args.get("compliance") is not None:
        return bool(args["compliance"])
    return any(args.get(name) not in (None, [], {}) for name in OPTIONS)


def overview(records, args):
    """The compliance dict of ``compliance()`` for ``records`` (the store's history) up to the end of ``as_of``,
    with ``sources``: what it was computed from. Governance errors name the option."""
    policy = load_policy(path=args.get("policy")) if args.get("policy") else load_policy()
    overrides = {k: args[k] for k in ("due_soon_days", "unknown_after_days") if args.get(k) is not None}
    if overrides:
        policy = Policy(dict(policy.data, **overrides), policy.source)
    exceptions = load_exceptions(path=args["exceptions"]) if args.get("exceptions") else None
    intel = Intel(osv=args.get("osv") or (), kev=args.get("kev"), epss=args.get("epss"))
    day = today(args.get("as_of"))
    end = (day + timedelta(days=1)).isoformat()
    upto = [r for r in records if r.recorded_at < end]  # as of that day: later records do not count
    if not any(r.kind == "change" and r.data.get("scan") for r in upto):
        raise GovernanceError(
            f"no scan is recorded in the evidence up to {day.isoformat()}: compliance is measured against scans "
            "(run playbooks/scan.yml with the evidence callback on first); compliance: false leaves the overview out"
        )
    result = compliance(upto, policy, intel, args.get("assets") or {}, exceptions, now=day)
    result["sources"] = {
        "policy": args.get("policy") or "default policy",
        "exceptions": args.get("exceptions"),
        "due_soon_days": policy["due_soon_days"],
        "unknown_after_days": policy["unknown_after_days"],
        **intel.summary(),
        "assets": len(args.get("assets") or {}),
        "records": len(upto),
    }
    return result

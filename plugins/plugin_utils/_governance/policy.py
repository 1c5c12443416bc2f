# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The governance policy file: priority rules (tier and SLA), baselines, compliance windows.

docs/governance.md describes every key. Loaded once, checked whole: a wrong key names the file, field and line."""

from __future__ import annotations

import copy

from .common import GovernanceError, Source, load_yaml

TIERS = ("P1", "P2", "P3", "P4")
SEVERITY_KEYS = ("critical", "high", "medium", "low", "unknown")
WHEN_KEYS = {"kev", "cvss_min", "epss_min", "severity", "exposure", "criticality", "layer", "zero_day"}
BASELINE_KEYS = {"name", "match", "approve_after_days", "approve", "reject", "expedite"}
EXPEDITE_KEYS = {"kev", "zero_day", "epss_min", "cvss_min"}

DEFAULT = {
    "tiers": {"P1": 7, "P2": 30, "P3": 60, "P4": 90},
    "rules": [
        {"name": "kev-internet", "when": {"kev": True, "exposure": ["internet"]}, "tier": "P1", "sla_days": 2},
        {"name": "kev", "when": {"kev": True}, "tier": "P1"},
        {"name": "critical-internet", "when": {"cvss_min": 9.0, "exposure": ["internet"]}, "tier": "P1"},
        {"name": "likely-exploited", "when": {"epss_min": 0.5}, "tier": "P2", "sla_days": 14},
        {"name": "critical-or-high", "when": {"severity": ["critical", "high"]}, "tier": "P2"},
        {"name": "medium", "when": {"severity": ["medium"]}, "tier": "P3"},
    ],
    "default_tier": "P4",
    "raise_for_criticality": ["critical"],
    "kev_due_date": False,
    "due_soon_days": 7,
    "unknown_after_days": 7,
    "exceptions_expiring_days": 14,
    "zero_day": [],
    "baselines": [],
}


class Policy:
    def __init__(self, data=None, source: Source | None = None):
        self.source = source
        self.data = copy.deepcopy(DEFAULT)
        self.data.update(data or {})
        self._check()

    def where(self, *keys):
        return self.source.where(*keys) if self.source else "policy"

    def __getitem__(self, key):
        return self.data[key]

    def _fail(self, keys, text):
        field = ".".join(str(k) if not isinstance(k, int) else f"[{k}]" for k in keys).replace(".[", "[")
        raise GovernanceError(f"policy: {self.where(*keys)}: {field}: {text}")

    def _check(self):
        data = self.data
        unknown = set(data) - set(DEFAULT) - {"version"}
        if unknown:
            self._fail((sorted(unknown)[0],), f"unknown key (known: {', '.join(sorted(DEFAULT))})")
        tiers = data["tiers"]
        if not isinstance(tiers, dict) or set(tiers) - set(TIERS):
            self._fail(("tiers",), f"must map tiers {', '.join(TIERS)} to SLA days")
        for tier, days in tiers.items():
            self._days(days, ("tiers", tier))
        if data["default_tier"] not in TIERS:
            self._fail(("default_tier",), f"{data['default_tier']!r} is not one of {', '.join(TIERS)}")
        if not isinstance(data["rules"], list):
            self._fail(("rules",), "must be a list of rules")
        for index, rule in enumerate(data["rules"]):
            keys = ("rules", index)
            if not isinstance(rule, dict) or rule.get("tier") not in TIERS:
                self._fail(keys, f"each rule needs a tier ({', '.join(TIERS)})")
            if set(rule) - {"name", "when", "tier", "sla_days"}:
                self._fail(keys, f"unknown key {sorted(set(rule) - {'name', 'when', 'tier', 'sla_days'})[0]!r}")
            if "sla_days" in rule:
                self._days(rule["sla_days"], (*keys, "sla_days"))
            self._when(rule.get("when") or {}, (*keys, "when"), WHEN_KEYS)
        for key in ("due_soon_days", "unknown_after_days", "exceptions_expiring_days"):
            self._days(data[key], (key,))
        for index, baseline in enumerate(data["baselines"] or []):
            self._baseline(baseline, ("baselines", index))

    def _days(self, value, keys):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self._fail(keys, f"{value!r} is not a number of days (an integer >= 0)")

    def _when(self, when, keys, allowed):
        if not isinstance(when, dict):
            self._fail(keys, "must be a mapping of conditions")
        for key, value in when.items():
            if key not in allowed:
                self._fail((*keys, key), f"unknown condition (known: {', '.join(sorted(allowed))})")
            if key.endswith("_min") and (isinstance(value, bool) or not isinstance(value, (int, float))):
                self._fail((*keys, key), f"{value!r} is not a number")
            if key in ("kev", "zero_day") and not isinstance(value, bool):
                self._fail((*keys, key), f"{value!r} is not true/false")
            if key in ("severity", "exposure", "criticality", "layer") and not isinstance(value, list):
                self._fail((*keys, key), "must be a list")

    def _baseline(self, baseline, keys):
        if not isinstance(baseline, dict) or not baseline.get("name"):
            self._fail(keys, "each baseline needs a name")
        if set(baseline) - BASELINE_KEYS:
            self._fail((*keys, sorted(set(baseline) - BASELINE_KEYS)[0]), "unknown key")
        match = baseline.get("match") or {}
        if not isinstance(match, dict) or set(match) - {"layer", "platform", "assets"}:
            self._fail((*keys, "match"), "match takes layer, platform and assets lists")
        delays = baseline.get("approve_after_days", {})
        if not isinstance(delays, dict):
            self._fail((*keys, "approve_after_days"), "must map severities or classifications to days")
        for name, days in delays.items():
            self._days(days, (*keys, "approve_after_days", name))
        for key in ("approve", "reject"):
            if not isinstance(baseline.get(key, []), list):
                self._fail((*keys, key), "must be a list of patterns")
        self._when(baseline.get("expedite") or {}, (*keys, "expedite"), EXPEDITE_KEYS)

    def baseline_for(self, layer, platform, asset_name):
        """The first baseline whose match fits (every list given must contain the value; globs for assets)."""
        from fnmatch import fnmatchcase  # noqa: PLC0415

        for baseline in self.data["baselines"] or []:
            match = baseline.get("match") or {}
            if match.get("layer") and layer not in match["layer"]:
                continue
            if match.get("platform") and platform not in match["platform"]:
                continue
            if match.get("assets") and not any(fnmatchcase(str(asset_name), p) for p in match["assets"]):
                continue
            return baseline
        return None


def load_policy(path=None, data=None) -> Policy:
    """The policy of a YAML file (``path``), of a mapping (``data``, e.g. a playbook variable) or the default."""
    if path:
        source = load_yaml(path, "policy")
        return Policy(source.data, source)
    if data is not None and not isinstance(data, dict):
        raise GovernanceError("policy: must be a mapping (see docs/governance.md)")
    return Policy(data)

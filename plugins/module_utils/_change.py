# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The change record: the one builder every patch module uses for its result.

The contract is schemas/change_record.schema.json (documented in docs/change-record.md)::

    from ansible_collections.everylayer.patch.plugins.module_utils._change import change, diff, record, rollback

    c = change("lab-agent", "package", "1.0-1", "1.1-1", advisories=["CVE-2026-0001"], severity="Important")
    result = dict(changed=True, msg="1 package updated")
    result.update(record("os", [c], pending=[], reboot_required=False,
                         rollback=rollback("packages", {"manager": "apt", "packages": {"lab-agent": "1.0-1"}})))
    # or, with nothing to undo: rollback=rollback("none")
    result["diff"] = diff([c])

Runs on the target's Python (3.8+): no third-party imports.
"""

from __future__ import annotations

LAYERS = ("os", "windows", "network", "firmware")
KINDS = ("package", "update", "image", "firmware")
STRATEGIES = ("packages", "transaction", "image", "firmware", "kb", "none")
# Lowest first: a minimum-severity filter keeps entries whose rank is >= the minimum's rank.
SEVERITIES = ("low", "medium", "high", "critical")

# Vendor words for severity (dnf/yum updateinfo, zypper patches, Debian/Ubuntu urgency, MSRC, CVSS words).
_SEVERITY_ALIASES = {
    "critical": "critical",
    "urgent": "critical",
    "emergency": "critical",
    "high": "high",
    "important": "high",
    "medium": "medium",
    "moderate": "medium",
    "low": "low",
    "minor": "low",
    "negligible": "low",
}


class ChangeRecordError(ValueError):
    """A builder argument does not fit the change-record contract (a bug in the calling module)."""


def normalize_severity(value):
    """Map a vendor severity word to critical/high/medium/low; None for unknown/unspecified/empty."""
    if value is None:
        return None
    word = str(value).strip().lower()
    return _SEVERITY_ALIASES.get(word)


def severity_rank(value):
    """0 for unknown, 1 (low) .. 4 (critical): for sorting and minimum-severity filters."""
    sev = normalize_severity(value)
    return SEVERITIES.index(sev) + 1 if sev else 0


def highest_severity(values):
    """The highest normalised severity among ``values``; None when none is known."""
    best = None
    for value in values:
        if severity_rank(value) > severity_rank(best):
            best = normalize_severity(value)
    return best


def _version(value, what):
    if value is None:
        return None
    text = str(value)
    if not text:
        raise ChangeRecordError(f"{what} must be a non-empty version string or None")
    return text


def change(component, kind, before, after, *, advisories=(), severity=None, reboot_required=False, details=None):
    """One entry of ``changes`` or ``pending``.

    ``before`` is None for a new install, ``after`` None for a removal. ``severity`` may be a vendor word
    (Important, moderate...): it is normalised. ``advisories`` keeps the first occurrence of each id, in order.
    ``details`` is an optional free-form dict of layer-specific facts.
    """
    if not component:
        raise ChangeRecordError("component must be a non-empty string")
    if kind not in KINDS:
        raise ChangeRecordError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    seen = []
    for raw in advisories or ():
        advisory = str(raw).strip()
        if advisory and advisory not in seen:
            seen.append(advisory)
    entry = {
        "component": str(component),
        "kind": kind,
        "before": _version(before, "before"),
        "after": _version(after, "after"),
        "advisories": seen,
        "severity": normalize_severity(severity),
        "reboot_required": bool(reboot_required),
    }
    if details:
        entry["details"] = dict(details)
    return entry


def rollback(strategy, data=None):
    """A ``rollback`` block: how to undo this change later, even from another run."""
    if strategy not in STRATEGIES:
        raise ChangeRecordError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    return {"strategy": strategy, "data": dict(data or {})}


_make_rollback = rollback


def record(layer, changes, pending, reboot_required, rollback, *, simulated=False):
    """The change-record keys to merge into the module result (``result.update(record(...))``).

    ``reboot_required`` is the asset's state; it is forced True when any change asks for a reboot.
    ``rollback`` is the dict from :func:`rollback` (or an equivalent dict).
    ``simulated`` is True in check mode: ``changes`` then lists what the task would change, and nothing changed.
    """
    if layer not in LAYERS:
        raise ChangeRecordError(f"layer must be one of {', '.join(LAYERS)}, not {layer!r}")
    changes = list(changes or ())
    if not isinstance(rollback, dict) or "strategy" not in rollback:
        raise ChangeRecordError("rollback must be a dict made by rollback(strategy, data)")
    block = _make_rollback(rollback["strategy"], rollback.get("data"))
    return {
        "layer": layer,
        "changes": changes,
        "pending": list(pending or ()),
        "reboot_required": bool(reboot_required) or any(c.get("reboot_required") for c in changes),
        "rollback": block,
        "simulated": bool(simulated),
    }


def diff(changes, header="versions"):
    """An Ansible ``diff`` dict showing one ``component version`` line per change, before and after."""
    before_lines = []
    after_lines = []
    for item in sorted(changes, key=lambda c: c["component"]):
        if item.get("before") is not None:
            before_lines.append(f"{item['component']} {item['before']}")
        if item.get("after") is not None:
            after_lines.append(f"{item['component']} {item['after']}")
    return {
        "before_header": header + " before",
        "after_header": header + " after",
        "before": "".join(line + "\n" for line in before_lines),
        "after": "".join(line + "\n" for line in after_lines),
    }

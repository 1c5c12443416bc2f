# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters used by the rollout playbooks."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.maintenance import PolicyError, decide
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import PlanError, freeze, host_plan


def window_decision(window_name, policy, now=None, groups=None):
    """``{"allowed": bool, "reason": str}`` for a host's maintenance window under ``policy``."""
    try:
        return decide(window_name, policy, now, groups or ())
    except PolicyError as exc:
        raise AnsibleFilterError(f"window policy: {exc}") from None


def freeze_manifest(hosts):
    """The manifest pilot tested, from the pilot hosts' variables (see plugin_utils/_rollout/plan.py: freeze)."""
    try:
        return freeze(hosts)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc)) from None


def rollout_plan(asset, wave, window, manifest, manifest_group, targets=None, host=None, require_pilot_target=False):
    """One host's plan in a rollout wave (see plugin_utils/_rollout/plan.py: host_plan)."""
    try:
        return host_plan(asset, wave, window, manifest, manifest_group, targets, host, require_pilot_target)
    except PlanError as exc:
        raise AnsibleFilterError(f"rollout plan: {exc}") from None


def change_versions(changes, side="after", kind="package"):
    """``{component: version}`` of the ``kind`` changes of a change record, on its ``before`` or ``after`` side.

    Postcheck reads the ``after`` side (what the host must run now), rollback the ``before`` side (what it ran).
    """
    if side not in ("before", "after"):
        raise AnsibleFilterError(f"change_versions: side must be before or after, not {side!r}")
    return {c["component"]: c.get(side) for c in changes or [] if c.get("kind", "package") == kind and "component" in c}


def version_mismatches(devices, expected, suffix=""):
    """What does not run its expected version: ``["BIOS runs 2.2.4, not 2.3.0", ...]``; empty when all match.

    ``devices`` is a scan's ``devices`` list (``id``, ``version``), ``expected`` component -> version (or a mapping
    with ``version``, as a firmware rollback block's ``components``). The postcheck and rollback roles compare
    firmware with this one filter.
    """
    found = {d.get("id"): d.get("version") for d in devices or [] if isinstance(d, dict)}
    problems = []
    for component, entry in (expected or {}).items():
        want = entry.get("version") if isinstance(entry, dict) else entry
        have = found.get(component)
        if have != want:
            problems.append(f"{component} runs {have if have is not None else '?'}{suffix}, not {want}")
    return problems


class FilterModule:
    def filters(self):
        return {
            "window_decision": window_decision,
            "freeze_manifest": freeze_manifest,
            "rollout_plan": rollout_plan,
            "change_versions": change_versions,
            "version_mismatches": version_mismatches,
        }

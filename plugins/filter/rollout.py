# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters used by the rollout playbooks."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.windows import PolicyError, decide


def window_decision(window_name, policy, now=None, groups=None):
    """``{"allowed": bool, "reason": str}`` for a host's maintenance window under ``policy``."""
    try:
        return decide(window_name, policy, now, groups or ())
    except PolicyError as exc:
        raise AnsibleFilterError(f"window policy: {exc}") from None


def freeze_manifest(hosts):
    """Build ``{key: {package: version}}`` from the pilot hosts' variables.

    ``hosts`` are hostvars of the pilot hosts; only hosts whose ``rollout_outcome`` is ``patched`` count, keyed by
    their ``rollout_manifest_key`` (the package manager or platform). Two pilot hosts of one key that installed
    different versions of a package are an error: the manifest would not be what pilot tested.
    """
    manifest = {}
    for host in hosts or []:
        if host.get("rollout_outcome") != "patched":
            continue
        key = host.get("rollout_host_manifest_key") or host.get("rollout_manifest_key") or "any"
        entries = manifest.setdefault(key, {})
        for change in (host.get("apply_result") or {}).get("changes") or []:
            if change.get("after") is None or change.get("kind", "package") != "package":
                continue
            current = entries.get(change["component"])
            if current is not None and current != change["after"]:
                raise AnsibleFilterError(
                    f"pilot hosts installed different versions of {change['component']} for {key}: "
                    f"{current} and {change['after']}; the manifest cannot be frozen"
                )
            entries[change["component"]] = change["after"]
    return manifest


def change_versions(changes, side="after", kind="package"):
    """``{component: version}`` of the ``kind`` changes of a change record, on its ``before`` or ``after`` side.

    Postcheck reads the ``after`` side (what the host must run now), rollback the ``before`` side (what it ran).
    """
    if side not in ("before", "after"):
        raise AnsibleFilterError(f"change_versions: side must be before or after, not {side!r}")
    return {c["component"]: c.get(side) for c in changes or [] if c.get("kind", "package") == kind and "component" in c}


class FilterModule:
    def filters(self):
        return {
            "window_decision": window_decision,
            "freeze_manifest": freeze_manifest,
            "change_versions": change_versions,
        }

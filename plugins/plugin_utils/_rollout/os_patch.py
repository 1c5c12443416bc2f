# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""An OS host's patch inside its rollout plan task: the module call, and whether the host is done after it.

Every task of the rollout costs the controller a worker process per host, skipped or not (docs/benchmarks.md), so
the plan task of an OS host that is patched now (``rollout_host_plan`` with ``os_patch``) runs
``everylayer.patch.packages state=patched`` itself, with the checks before and after in the same module call, and
says whether the host is done. ``roles/apply/tasks/os.yml`` is the same call as a task of its own (the apply role's
``os`` entry point, for playbooks outside the rollout); ``tests/unit/plugins/action/test_rollout_os_patch.py``
renders both and holds them to the same module arguments.
"""

from __future__ import annotations

PACKAGES = "everylayer.patch.packages"
#: the filters a manifest replaces (the packages module refuses them beside a manifest)
FILTERS = ("names", "security_only", "severity", "advisories")
REBOOT_POLICIES = ("when_required", "always", "never")


def module_args(settings: dict, manifest: dict) -> dict:
    """The packages module's arguments for ``settings`` (os_patch) and the host's share of the frozen manifest.

    As roles/apply/tasks/os.yml passes them: the manifest when there is one (later waves), else the filters (a
    freezing wave); empty settings are left to the module's defaults."""
    args = {"state": "patched", "lock_timeout": settings.get("lock_timeout", 120)}
    if manifest:
        args["manifest"] = dict(manifest)
    else:  # a freezing wave: the filters select (security_only always given, as os.yml gives it)
        args.update((key, settings[key]) for key in FILTERS if settings.get(key))
        args["security_only"] = bool(settings.get("security_only"))
    args.update((key, settings[key]) for key in ("exclude", "precheck", "postcheck") if settings.get(key))
    return args


def needs_role_steps(result: dict, reboot_policy: str) -> bool:
    """Whether a patched OS host still goes through the roles: to reboot (then be verified again by the postcheck
    role). Its patch's own postcheck verified it otherwise, and it is done."""
    if reboot_policy == "always":
        return True
    return reboot_policy == "when_required" and bool(result.get("reboot_required"))

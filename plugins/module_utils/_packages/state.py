# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Before anything is planned: is the package database in a state to plan on (and repair it when asked), and is
the controller that started the module still there."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.module_utils import _change
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError


class Forecast(Exception):
    """Check mode with ``repair``: the repair would come first, so no update plan can be made yet."""


def guard(runner, what):
    """Refuse to start ``what`` when the controller that started this module is gone (nobody would watch or
    record the transaction): asked after the lock wait, right before anything is changed."""
    reason = runner.controller_gone() if runner.controller_gone else None
    if reason:
        raise PackagesError(f"the controller is gone ({reason}): {what} not started, nothing was changed")


def check(runner, installed, reinstalled=()):
    """Broken package state (interrupted dpkg, half-installed packages, rpm database errors) found before
    anything is planned. Refused unless ``repair`` is set; repaired (not in check mode) when it is.
    ``reinstalled``: packages a rollback installs anyway (a half-configured one is what it repairs).
    Returns the installed versions to plan on; raises Forecast in check mode when a repair would come first."""
    backend = runner.backend
    problems = backend.problems(ignore=set(reinstalled)) if hasattr(backend, "problems") else []
    runner.extra["package_state"] = {"healthy": not problems, "problems": problems}
    if not problems:
        return installed
    if not runner.params.get("repair"):
        raise PackagesError(
            f"the package state is broken, nothing was planned or changed: {'; '.join(problems)}. "
            "Repair it first (dpkg --configure -a, apt-get install -f, rpm --rebuilddb) or set repair: true",
            runner._result("package state broken", [], [], _change.rollback("none"), changed=False),
        )
    if runner.check_mode:
        runner.extra["repaired"] = []
        raise Forecast(
            f"would repair the package state first ({'; '.join(problems)}); the update plan is only known after that"
        )
    guard(runner, "the repair")
    done = backend.repair()
    installed = backend.installed()
    still = backend.problems(ignore=set(reinstalled))
    runner.extra["package_state"] = {"healthy": not still, "problems": still, "before_repair": problems}
    runner.extra["repaired"] = done
    if still:
        raise PackagesError(
            f"repair ({', '.join(done)}) did not fix the package state: {'; '.join(still)}",
            runner._result("repair failed", [], [], _change.rollback("none")),
        )
    return installed


def not_also_changed(pending, changes):
    """A dependency the selection pulled in is a change, not also pending: drop it from ``pending`` when it
    reached its candidate; when it moved to another version, pending starts from that version."""
    moved = {c["component"]: c["after"] for c in changes}
    kept = []
    for entry in pending:
        name = entry["component"]
        if name not in moved:
            kept.append(entry)
        elif moved[name] is not None and moved[name] != entry["after"]:
            kept.append(dict(entry, before=moved[name]))
    return kept

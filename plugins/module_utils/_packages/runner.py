# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The states of the packages module (scanned, patched, downloaded, rolled_back) over any backend, as change records."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.module_utils import _change
from ansible_collections.everylayer.patch.plugins.module_utils._packages import (
    common,
    detect,
    download,
    gates,
    liveness,
    locks,
    reboot,
    state,
)
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError


def make_backend(module, manager, lock_timeout):
    # Imported here so that a host only loads the backend it uses (dnf's bindings exist only on dnf hosts).
    if manager == "apt":
        from ansible_collections.everylayer.patch.plugins.module_utils._packages.apt import AptBackend  # noqa: PLC0415

        return AptBackend(module, lock_timeout)
    if manager == "dnf":
        from ansible_collections.everylayer.patch.plugins.module_utils._packages.dnf import DnfBackend  # noqa: PLC0415

        return DnfBackend(module, lock_timeout)
    from ansible_collections.everylayer.patch.plugins.module_utils._packages.zypper import (  # noqa: PLC0415
        ZypperBackend,
    )

    return ZypperBackend(module, lock_timeout)


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


class Runner:
    """One module run: validated parameters in, the module result (with its change record) out."""

    def __init__(self, backend, params, check_mode=False, diff=False, run_command=None, controller_gone=None):
        self.backend = backend
        self.params = params
        self.check_mode = check_mode
        self.want_diff = diff
        self.run_command = run_command  # argv -> (rc, out, err): the precheck's and postcheck's commands
        self.controller_gone = controller_gone  # () -> reason or None: asked right before any transaction
        self.updates = {}
        self.extra = {}  # result keys every state adds (package_state, repaired)

    # --- helpers ----------------------------------------------------------------------------------

    def _pending_entry(self, entry, reason=None):
        details = {}
        if entry.get("source"):
            details["source"] = entry["source"]
        if entry.get("security"):
            details["security"] = True
        if entry.get("held"):
            details["held"] = True
        if entry.get("advisory_data") in ("unknown", "advisory_source"):
            details["advisory_data"] = entry["advisory_data"]
        if reason:
            details["reason"] = reason
        return _change.change(
            entry["name"],
            "package",
            entry["current"],
            entry["candidate"],
            advisories=entry["advisories"],
            severity=entry["severity"],
            reboot_required=entry["reboot"],
            details=details,
        )

    def _change_entry(self, name, before, after, reboot=False):
        known = self.updates.get(name)
        if known and known["candidate"] == after:
            return _change.change(
                name,
                "package",
                before,
                after,
                advisories=known["advisories"],
                severity=known["severity"],
                reboot_required=reboot or known["reboot"],
            )
        return _change.change(name, "package", before, after, reboot_required=reboot)

    def _rollback_block(self, before, after, transaction=None):
        if not before and not after:
            return _change.rollback("none")
        data = {"manager": self.backend.name, "packages": before, "after": after}
        if self.backend.strategy == "transaction":
            data["transaction"] = transaction
        return _change.rollback(self.backend.strategy, data)

    def _result(self, msg, changes, pending, rollback, reboot=None, **extra):
        state, reboot_pkgs = self.backend.reboot_state() if reboot is None else reboot
        result = {"changed": bool(changes), "msg": msg, "manager": self.backend.name, "reboot_packages": reboot_pkgs}
        result.update(self.extra)
        result.update(extra)
        if self.extra.get("repaired") and not self.check_mode:
            result["changed"] = True
        result.update(_change.record("os", changes, pending, state, rollback, simulated=self.check_mode))
        if self.want_diff:
            result["diff"] = _change.diff(result["changes"])
        return result

    def _prepare(self, wait_for_locks):
        if wait_for_locks and not self.check_mode:
            locks.wait(self.backend.locks, self.params.get("lock_timeout") or 0)
        if self.params.get("update_cache"):
            self.backend.refresh()
        installed = self.backend.installed()
        return installed

    def _guard(self, what):
        state.guard(self, what)

    def _apply_and_measure(self, before, targets, apply):
        """Run ``apply``; return (changes, before-versions, after-versions, error) from the real package state."""
        self._guard("the transaction")
        error = None
        try:
            apply()
        except PackagesError as exc:
            error = exc
        after = self.backend.installed()
        # Only real version changes: a target left half-configured at its old version is a failed package, not
        # a change (no "tzdata X -> X").
        names = sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))
        reboot_names = set(self._reboot_names(names))
        self._restarts([n for n in names if n not in reboot_names and after.get(n) is not None])
        changes = [self._change_entry(n, before.get(n), after.get(n), n in reboot_names) for n in names]
        return changes, {n: before.get(n) for n in names}, {n: after.get(n) for n in names}, error, after

    def _reboot_names(self, names):
        """The changed packages that need a reboot: the shared rules (reboot.py), the backend's own judgement
        (rpm installhint provides) and the distribution's list (reboot-required.pkgs); recorded in the marker."""
        if hasattr(self.backend, "reboot_names"):
            asking = set(self.backend.reboot_names(names))
        else:
            asking = {n for n in names if reboot.needs_reboot(n)}
        # the packages listed as asking for a reboot, without the reboot state (read once, for the result)
        asking |= set(names) & set(self.backend.reboot_packages())
        if asking and hasattr(self.backend, "mark_reboot"):
            self.backend.mark_reboot(sorted(asking))
        return sorted(asking)

    def _planned_reboot_names(self, plan):
        """Check mode: the planned installs/updates (packages new in the plan too, e.g. the linux-image-<abi> a
        kernel metapackage pulls in) that the shared reboot rules name; the backend's own judgement for those
        already installed. Writes no marker."""
        names = sorted(n for n, (_b, a) in plan.items() if a is not None)
        asking = {n for n in names if reboot.needs_reboot(n)}
        installed = [n for n in names if plan[n][0] is not None]
        if installed and hasattr(self.backend, "reboot_names"):
            asking |= set(self.backend.reboot_names(installed))
        return asking

    def _restarts(self, names):
        """Services shipped by changed packages that need no reboot: restarting them is enough."""
        if not names or not hasattr(self.backend, "files"):
            return
        units = set()
        for files in self.backend.files(names).values():
            units.update(reboot.services(files))
        self.extra["restart_required"] = sorted(units)

    # --- states -----------------------------------------------------------------------------------

    def scanned(self):
        installed = self._prepare(wait_for_locks=False)
        problems = self.backend.problems() if hasattr(self.backend, "problems") else []
        self.extra["package_state"] = {"healthy": not problems, "problems": problems}
        broken = f"package state broken: {'; '.join(problems)}; " if problems else ""
        try:
            entries = self.backend.updates(installed)
        except PackagesError as exc:
            if not problems:
                raise
            return self._result(f"{broken}pending updates not listed: {exc.msg}", [], [], _change.rollback("none"))
        pending = [self._pending_entry(e) for e in sorted(entries, key=lambda e: e["name"])]
        security = sum(1 for e in entries if e["security"])
        unknown = sum(1 for e in entries if e.get("advisory_data") == "unknown")
        msg = f"{broken}{_plural(len(pending), 'pending update')} ({security} security"
        msg += f", {unknown} with unknown advisories and severity)" if unknown else ")"
        return self._result(msg, [], pending, _change.rollback("none"), unknown_advisory_data=unknown)

    def patched(self):
        """Precheck (first: before the lock wait and the cache refresh), patch, postcheck; one module call."""
        checked = {}
        if self.params.get("precheck") is not None:
            checked["precheck"] = gates.precheck(self.params["precheck"], self.run_command)
        try:
            result = self._patch()
        except PackagesError as exc:
            exc.result.update(checked)
            raise
        result.update(checked)
        if self.params.get("postcheck") is not None:
            result["postcheck"] = gates.postcheck(self.params["postcheck"], result, self.check_mode, self.run_command)
        return result

    def _patch(self):
        installed = self._prepare(wait_for_locks=True)
        try:
            installed = state.check(self, installed)
        except state.Forecast as forecast:
            return self._result(str(forecast), [], [], _change.rollback("none"), changed=True)
        entries = self.backend.updates(installed)
        self.updates = {e["name"]: e for e in entries}
        manifest = self.params.get("manifest")
        if manifest is not None:
            held = self.backend.held() | {e["name"] for e in entries if e["held"]}
            targets = common.manifest_targets(manifest, installed, held, self.params.get("exclude") or ())
            left_out = [
                (e, "not in the manifest at this version") for e in entries if manifest.get(e["name"]) != e["candidate"]
            ]
            gone = self.backend.missing(targets)
            if gone:
                raise PackagesError(
                    "manifest: no repository offers "
                    + ", ".join(f"{n} {v}" for n, v in gone)
                    + " (nothing was changed)"
                )
        else:
            targets, left_out, unknown = common.select_counting(entries, self.params)
            if self.params.get("advisories") or self.params.get("severity"):
                self.extra["decided_on_unknown"] = unknown
        pending = [self._pending_entry(e, reason) for e, reason in sorted(left_out, key=lambda x: x[0]["name"])]
        if not targets:
            return self._result(
                f"nothing to patch ({_plural(len(pending), 'pending update')} left out)",
                [],
                pending,
                _change.rollback("none"),
            )
        if self.check_mode:
            plan = self.backend.simulate(targets)
            asking = self._planned_reboot_names(plan)
            changes = [self._change_entry(n, b, a, n in asking) for n, (b, a) in sorted(plan.items())]
            rollback = self._rollback_block({n: b for n, (b, a) in plan.items()}, {n: a for n, (b, a) in plan.items()})
            pending = state.not_also_changed(pending, changes)
            return self._result(f"would update {_plural(len(changes), 'package')}", changes, pending, rollback)
        changes, old, new, error, after = self._apply_and_measure(
            installed, targets, lambda: self.backend.apply(targets)
        )
        pending = state.not_also_changed(pending, changes)
        tid = self.backend.transaction() if hasattr(self.backend, "transaction") else None
        rollback = self._rollback_block(old, new, tid)
        broken = self.backend.broken()
        failed = sorted(n for n, v in targets.items() if after.get(n) != v or n in broken)
        result = self._result(f"updated {_plural(len(changes), 'package')}", changes, pending, rollback)
        if error or failed:
            done = [c["component"] for c in changes if c["component"] not in failed]
            result["failed_packages"] = failed
            outcome = "the rollback block restores the old set" if changes else "nothing to roll back"
            raise PackagesError(
                f"patch failed: {', '.join(failed) or 'the package manager'} did not reach the target version"
                f" ({error.msg if error else 'no error reported'}); changed: {', '.join(done) or 'nothing'}; {outcome}",
                result,
            )
        return result

    def downloaded(self):
        """Fetch the set ``patched`` would install into the package manager's cache; install nothing."""
        return download.downloaded(self)

    def rolled_back(self):
        strategy, data = common.check_rollback(self.params.get("rollback"))
        if strategy == "none" or not data.get("packages"):
            return self._result("nothing to roll back", [], [], _change.rollback("none"))
        if data.get("manager") != self.backend.name:
            raise PackagesError(
                f"rollback: the block was written by {data.get('manager')!r} but this host uses {self.backend.name}"
            )
        installed = self._prepare(wait_for_locks=True)
        try:
            installed = state.check(self, installed, reinstalled=data["packages"])
        except state.Forecast as forecast:
            return self._result(str(forecast), [], [], _change.rollback("none"), changed=True)
        broken = self.backend.broken()
        todo = {n: v for n, v in data["packages"].items() if installed.get(n) != v or n in broken}
        if not todo:
            return self._result("already at the recorded versions", [], [], _change.rollback("none"))
        gone = self.backend.missing(todo)
        if gone:
            raise PackagesError(
                "rollback: the old version is no longer obtainable from any repository: "
                + ", ".join(f"{n} {v}" for n, v in gone)
                + " (nothing was changed)"
            )
        if self.check_mode:
            plan = self.backend.simulate(todo)
            changes = [_change.change(n, "package", b, a) for n, (b, a) in sorted(plan.items())]
            rollback = self._rollback_block({n: b for n, (b, a) in plan.items()}, {n: a for n, (b, a) in plan.items()})
            return self._result(f"would restore {_plural(len(changes), 'package')}", changes, [], rollback)
        changes, old, new, error, after = self._apply_and_measure(
            installed, todo, lambda: self.backend.restore(todo, data)
        )
        rollback = _change.rollback("packages", {"manager": self.backend.name, "packages": old, "after": new})
        if not changes:
            rollback = _change.rollback("none")
        result = self._result(f"restored {_plural(len(changes), 'package')}", changes, [], rollback)
        wrong = sorted(n for n, v in todo.items() if after.get(n) != v)
        if error or wrong:
            raise PackagesError(
                f"rollback incomplete: {', '.join(f'{n} is {after.get(n)} not {todo[n]}' for n in wrong) or ''}"
                f" ({error.msg if error else 'no error reported'})",
                result,
            )
        return result


def failure_result(exc, check_mode=False):
    """The module result for a PackagesError: its partial result, or an empty change record (nothing changed)."""
    result = dict(exc.result)
    result.pop("msg", None)
    if "layer" not in result:
        result.update(_change.record("os", [], [], False, _change.rollback("none"), simulated=check_mode))
    return result


def run(module):
    """Validate the parameters, pick the backend and run the requested state; return the module result."""
    params = dict(module.params)
    common.check_bounds(params)
    common.check_patterns(params.get("names"), "names")
    common.check_patterns(params.get("exclude"), "exclude")
    common.check_advisories(params.get("advisories"))
    gates.check_options(params)
    params["manifest"] = common.check_manifest(params.get("manifest"))
    if params["manifest"] is not None and (
        params.get("names") or params.get("security_only") or params.get("advisories") or params.get("severity")
    ):
        raise PackagesError(
            "manifest installs exactly its versions: do not combine it with names, security_only, "
            "advisories or severity (exclude is allowed)"
        )
    manager = detect.choose(params.get("manager") or "auto")
    if (
        manager == "apt"
        and params.get("apt_changelogs") is False
        and (params.get("advisories") or params.get("severity"))
        and (params.get("unknown_severity") or "fail") == "fail"
        and not params.get("advisory_source")
    ):
        raise PackagesError(
            "apt_changelogs=false leaves apt updates without advisory ids and severity (unknown): "
            "the advisories and severity filters cannot select them (read the changelogs, give advisory_source, "
            "or set unknown_severity to include or exclude)"
        )
    # Taken now, at the module's start: the connection's processes that must still exist before a transaction.
    ancestors = liveness.snapshot()
    backend = make_backend(module, manager, params.get("lock_timeout") or 0)

    def run_command(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    runner = Runner(
        backend,
        params,
        check_mode=module.check_mode,
        diff=module._diff,
        run_command=run_command,
        controller_gone=lambda: liveness.gone(ancestors),
    )
    try:
        return getattr(runner, params["state"])()
    finally:
        for warning in getattr(backend, "warnings", ()):
            module.warn(warning)
        if hasattr(backend, "close"):
            backend.close()

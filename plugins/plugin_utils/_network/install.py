# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IOS-XE install mode: the device boots ``flash:packages.conf`` (a package set), not a bundle.

Boot variables and ``write memory`` play no part: the runbook stages with ``install add file``, upgrades with
``install activate auto-abort-timer`` (the device reloads; the timer rolls it back by itself if nobody
commits), checks version, stack members and post-checks, then ``install commit``. A failed check abandons
the activation with ``install rollback to committed``. Space is freed with ``install remove inactive``.
Rolling back a committed upgrade uses the device's rollback points: the newest point of ``show install rollback``
whose package set (``show install rollback id N``) runs the previous version, by ``install rollback to id N``
(committed if the device leaves it activated only). Without such a point, the previous bundle is added again
(add, activate, commit) while it is on flash.
"""

from __future__ import annotations

import re

from . import NetworkImageError, parsers, record
from .parsers import normalize_version, same_version

ANSWERS = ((r"\[y/n\]", "y"),)


def handlers(runbook) -> dict:
    flow = InstallMode(runbook)
    return {"staged": flow.stage, "upgraded": flow.upgrade, "rolled_back": flow.roll_back}


def package_runs(package: dict, version: str) -> bool:
    """Does an IMG row of 'show install summary' run ``version``? The parser reads the version from the row's name
    (17.09.04a.0.6 -> 17.09.04a); a row whose version it cannot read matches nothing."""
    return same_version(package.get("version"), version)


def bundle_for(files: dict, version: str) -> str | None:
    """The bundle on flash for ``version``: Cisco names them <platform>.<version>.SPA.bin."""
    want = ".".join(normalize_version(version))
    for name in sorted(files):
        if name.endswith(".bin") and want in ".".join(normalize_version(name)):
            return name
    return None


class InstallMode:
    def __init__(self, runbook) -> None:
        self.rb = runbook

    @property
    def s(self):
        return self.rb.s

    # -- reading -------------------------------------------------------------------------------------
    def summary(self) -> dict:
        self.rb.current = "install_summary"
        return parsers.install_summary(self.s.send("show install summary"))

    def package(self, summary: dict, version: str) -> dict | None:
        return next((p for p in summary["packages"] if p["type"] == "IMG" and package_runs(p, version)), None)

    def rollback(self, before: dict) -> dict:
        data = record.rollback(self.rb.p, before)
        data["data"].update(mode="install", file=bundle_for(before["files"], before["version"]))
        return data

    # -- acting --------------------------------------------------------------------------------------
    def install(self, command: str, step: str, timeout: float = 1800) -> str:
        """One install command that answers in place; anything but SUCCESS fails with the device's words."""
        self.rb.current = step
        out = self.s.send(command, minimum=timeout)
        text = parsers.clean(out)
        if not re.search(r"\bSUCCESS:", text) or re.search(r"\bFAILED:", text):
            said = [line.strip() for line in text.splitlines() if "FAILED" in line or "rror" in line]
            raise NetworkImageError(
                f"{command!r} did not succeed: {' / '.join(said) or text.strip()[-300:]}",
                command=command,
                changed=any(s["step"].startswith("install_") for s in self.rb.steps),
            )
        self.rb.step(step, command=command)
        return out

    def reload_into(self, command: str, step: str, before: dict) -> dict:
        """An install command that reloads the device (activate, rollback): answer y, wait, read the facts."""
        self.rb.current = step
        self.rb.step(step, command=command)
        saw_down = self.s.interact(command, ANSWERS)
        return self.rb.wait_for_reload(before, saw_down)

    def make_room(self, before: dict) -> dict:
        """Short of space: remove inactive package sets first (install remove inactive), then delete_images."""
        need = self.rb.image_size() - before["files"].get(self.rb.dest(), 0)
        if before["free"] is not None and before["free"] > need:
            return before
        self.rb.current = "install_remove"
        self.rb.step("install_remove", command="install remove inactive", reason="not enough free space")
        out = self.s.confirm("install remove inactive", timeout=self.rb.o["command_timeout"])
        if not re.search(r"\bSUCCESS:", parsers.clean(out)):
            raise NetworkImageError(f"'install remove inactive' did not succeed: {out.strip()[-300:]}", changed=True)
        listing = self.rb.p.storage(self.s)
        return dict(before, files=listing["files"], free=listing["free"], total=listing["total"])

    # -- states --------------------------------------------------------------------------------------
    def stage(self, before: dict) -> dict:
        target = self.rb.o["version"]
        if same_version(before["version"], target):
            return record.result(
                False, f"already running {before['version']} (install mode)", before=before, after=before
            )
        dest = self.rb.dest()
        change = record.image_change(dest, before["version"], target, reboot_required=True)
        rollback = self.rollback(before)
        self.rb.change, self.rb.rollback_data = change, rollback
        summary = self.summary()
        added = self.package(summary, target)
        if self.rb.check_mode:
            verb = "would activate" if added else "would add"
            return self.rb.forecast(f"{verb} {dest} ({target}) in install mode", before, change, rollback)
        self.rb.backup()
        changed = False
        if added is None:
            before = self.make_room(before)
            changed = self.rb.ensure_space(before) or changed
            changed = self.rb.ensure_image(dest) or changed
            self.install(f"install add file {self.rb.p.path(dest)}", "install_add")
            changed = True
        done = f"added {dest} ({target})" if changed else f"{target} is already added"
        return record.result(
            changed,
            f"{done} (install mode); activate to run it",
            before=before,
            after=before,
            changes=[change] if changed else [],
            pending=[] if changed else [change],
            rollback=rollback,
            reboot_required=True,
        )

    def upgrade(self, before: dict) -> dict:
        target = self.rb.o["version"]
        staged = self.stage(before)
        if staged["changes"] == [] and same_version(before["version"], target):
            return staged
        if self.rb.check_mode:
            change = record.image_change(self.rb.dest(), before["version"], target)
            msg = f"would upgrade {before['version']} -> {target} (install add, activate, commit)"
            return self.rb.forecast(msg, before, change, staged["rollback"])
        return self.activate(before, target, staged["rollback"], self.rb.dest())

    def activate(self, before: dict, target: str, rollback: dict, component: str) -> dict:
        timer = self.rb.o.get("install_auto_abort_timer")
        command = f"install activate auto-abort-timer {timer}" if timer else "install activate"
        snapshot = self.rb.p.snapshot(self.s) if self.rb.o["postcheck"] else None
        after = self.reload_into(command, "install_activate", before)
        change = record.image_change(component, before["version"], after["version"])
        if not same_version(after["version"], target):
            raise NetworkImageError(
                f"the device came back on {after['version']}, not {target}: the activation did not take; "
                "the committed package set still runs",
                changed=True,
                pending=[record.image_change(component, after["version"], target)],
                rollback=rollback,
            )
        try:
            self.rb.check_members(target, changes=[change], rollback=rollback)
            self.rb.postcheck(snapshot, changes=[change], rollback=rollback)
        except NetworkImageError as exc:
            self.reload_into("install rollback to committed", "install_rollback", after)
            raise NetworkImageError(
                f"{exc}; not committed: rolled back to the committed package set ({before['version']})",
                changed=True,
                pending=[change],
                rollback=rollback,
            ) from exc
        self.install("install commit", "install_commit")
        msg = f"upgraded {before['version']} -> {after['version']} (install mode, committed)"
        return record.result(True, msg, before=before, after=after, changes=[change], rollback=rollback)

    def roll_back(self, before: dict) -> dict:
        data = self.rb.o.get("rollback") or {}
        version = data.get("version")
        if not version:
            raise NetworkImageError("state=rolled_back needs rollback.version (the rollback.data of the upgrade)")
        if same_version(before["version"], version):
            return record.result(False, f"already running {version} (install mode)", before=before, after=before)
        summary = self.summary()
        rollback = self.rollback(before)
        change = record.image_change(data.get("file") or "packages.conf", before["version"], version)
        self.rb.change, self.rb.rollback_data = change, rollback
        committed = next((p for p in summary["packages"] if p["state"] == "committed" and p["type"] == "IMG"), None)
        uncommitted = bool(summary["activated"]) and committed is not None and package_runs(committed, version)
        bundle = data.get("file") if data.get("file", "").endswith(".bin") else bundle_for(before["files"], version)
        point = None if uncommitted else self.rollback_point(summary, version)
        if point is None and not uncommitted and (not bundle or bundle not in before["files"]):
            raise NetworkImageError(
                f"cannot roll back to {version}: it is not the committed package set, no rollback point "
                f"(show install rollback) runs it, and its bundle ({bundle or 'unknown'}) is no longer on flash "
                "(install remove inactive deletes it)"
            )
        if uncommitted:
            how = "install rollback to committed"
        elif point is not None:
            how = f"install rollback to id {point}"
        else:
            how = f"install add file {self.rb.p.path(bundle)}"
        if self.rb.check_mode:
            return self.rb.forecast(f"would roll back to {version} ({how})", before, change, rollback)
        self.rb.backup()
        if uncommitted:
            after = self.reload_into("install rollback to committed", "install_rollback", before)
            if not same_version(after["version"], version):
                raise NetworkImageError(
                    f"rollback failed: the device runs {after['version']}, not {version}", changed=True
                )
            return record.result(
                True,
                f"rolled back {before['version']} -> {after['version']} (to committed)",
                before=before,
                after=after,
                changes=[change],
                rollback=rollback,
            )
        if point is not None:
            return self.roll_back_to_point(before, version, point, how, change, rollback)
        self.install(how, "install_add")
        return self.activate(before, version, rollback, bundle)

    def rollback_point(self, summary: dict, version: str) -> int | None:
        """The newest rollback point whose committed image runs ``version``; None when the device lists none, or
        when that version's package is no longer installed (``install remove inactive`` removed it: the point
        cannot be rolled back to)."""
        if not any(p["type"] == "IMG" and package_runs(p, version) for p in summary["packages"]):
            return None
        self.rb.current = "install_rollback_points"
        listing = self.s.send("show install rollback", check=False)
        if self.rb.p.device_error(listing, head_only=True):
            return None
        for number in parsers.install_rollback_points(listing):
            detail = parsers.install_summary(self.s.send(f"show install rollback id {number}", check=False))
            if any(p["type"] == "IMG" and package_runs(p, version) for p in detail["packages"]):
                return number
        return None

    def roll_back_to_point(
        self, before: dict, version: str, point: int, how: str, change: dict, rollback: dict
    ) -> dict:
        """``install rollback to id N`` reloads into the point's set; commit it if the device left it uncommitted."""
        after = self.reload_into(how, "install_rollback_id", before)
        if not same_version(after["version"], version):
            raise NetworkImageError(
                f"{how!r} did not take: the device runs {after['version']}, not {version}",
                command=how,
                changed=True,
                pending=[change],
                rollback=rollback,
            )
        summary = self.summary()
        if any(package_runs(p, version) for p in summary["packages"] if p["state"] == "activated"):
            self.install("install commit", "install_commit")
        return record.result(
            True,
            f"rolled back {before['version']} -> {after['version']} ({how}, committed)",
            before=before,
            after=after,
            changes=[change],
            rollback=rollback,
        )

# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image runbook: pre-checks, transfer with hash checks, boot variable, reload, post-checks.

``Runbook.run()`` returns the task result (change record included). Every step appends to
``self.steps`` so a failure says how far the device got.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import NoReturn

from . import NetworkImageError, install, record
from .parsers import same_version
from .session import TRANSPORT_ERRORS
from .steps import ImageSteps

#: steps after which the device is no longer as it was
WRITE_STEPS = (
    "delete_images",
    "transfer",
    "boot",
    "save",
    "reload",
    "install_add",
    "install_activate",
    "install_commit",
    "install_rollback",
    "install_remove",
)


def words(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


class Runbook(ImageSteps):
    def __init__(self, platform, session, options: dict, check_mode: bool = False) -> None:
        self.p = platform
        self.s = session
        self.o = options
        self.check_mode = check_mode
        self.steps: list[dict] = []
        self.warnings: list[str] = []
        self.result: dict = {"transfer": None, "postcheck": None, "backup_path": None}
        self.before: dict | None = None
        #: the change under way and how to undo it, known as soon as decided: a failure still carries them
        self.change: dict | None = None
        self.rollback_data: dict | None = None
        #: the step being worked on (set by the steps that type commands), for failure messages
        self.current: str | None = None

    def step(self, name: str, **detail: object) -> None:
        self.current = None
        self.steps.append({"step": name, "at": round(time.time(), 3), **detail})

    # -- entry point ----------------------------------------------------------------------------
    def run(self) -> dict:
        state = self.o["state"]
        try:
            self.current = "connect"
            self.s.connect()
            self.current = "facts"
            before = self.p.facts(self.s)
            self.before = before
            self.step("facts", version=before["version"], image=before["image"], boot=before["boot"])
            handler = {
                "scanned": self.scan,
                "staged": self.stage,
                "upgraded": self.upgrade,
                "rolled_back": self.roll_back,
            }
            if before.get("boot_mode") == "install":
                handler.update(install.handlers(self))
            result = handler[state](before)
        except NetworkImageError as exc:
            details = dict(exc.details)
            details.setdefault("step", self.doing)
            result = self.failure(str(exc), details)
        except TRANSPORT_ERRORS as exc:  # pylint: disable=catching-non-exception
            msg = f"lost the SSH session to the device in step {self.doing!r}{self.command_words()}: {words(exc)}"
            result = self.failure(msg, {"step": self.doing})
        except Exception as exc:  # noqa: BLE001 - whatever netmiko/paramiko raise, the task fails with its record
            msg = f"step {self.doing!r} failed{self.command_words()}: {words(exc)}"
            result = self.failure(msg, {"step": self.doing})
        finally:
            self.s.close()
        result.update(self.result, steps=self.steps, warnings=self.warnings, reconnects=self.s.reconnects)
        return result

    @property
    def doing(self) -> str:
        """The step in progress: the one after the last recorded step."""
        return self.current or (f"after {self.steps[-1]['step']}" if self.steps else "connect")

    def command_words(self) -> str:
        return f" (command {self.s.last_command!r})" if getattr(self.s, "last_command", None) else ""

    def failure(self, msg: str, details: dict) -> dict:
        """A failed result carrying what is known of the change: what was done, the rollback, what is pending."""
        touched = any(s["step"] in WRITE_STEPS for s in self.steps)
        changed = bool(details.pop("changed", False)) or touched
        if self.rollback_data is not None:
            details.setdefault("rollback", self.rollback_data)
        if self.change is not None and not details.get("changes"):
            details.setdefault("pending", [self.change])
        details.setdefault("command", getattr(self.s, "last_command", None))
        return record.failure(msg, changed, details)

    # -- states -----------------------------------------------------------------------------------
    def scan(self, before: dict) -> dict:
        target = self.o.get("version")
        pending = []
        if target and not same_version(before["version"], target):
            pending.append(record.image_change(self.dest(), before["version"], target))
        self.current = "snapshot"
        snapshot = self.p.snapshot(self.s) if self.o["postcheck"] else None
        self.current = "members"
        units = self.p.members(self.s)
        if len(units) > 1:
            self.result["members"] = units
        msg = f"device runs {before['version']}"
        if target and any(u.get("version") and not same_version(u["version"], target) for u in units):
            msg += f"; not every stack member / supervisor runs {target}"
        return record.result(False, msg, before=before, after=before, pending=pending, snapshot=snapshot)

    def stage(self, before: dict) -> dict:
        target = self.o["version"]
        if same_version(before["version"], target):
            return self.already_current(before)
        dest = self.dest()
        change = record.image_change(dest, before["version"], target, reboot_required=True)
        rollback = record.rollback(self.p, before)
        self.change, self.rollback_data = change, rollback
        if self.check_mode:
            self.authorize_save(dry_run=True)
            if before["free"] is None:
                raise NetworkImageError("could not read the free space of the device's file system")
            return self.forecast(f"would stage {dest} ({target})", before, change, rollback)
        self.authorize_save()  # refuse before anything changes: the boot variable is saved later
        deleted = self.ensure_space(before)
        transferred = self.ensure_image(dest)
        wanted = [dest] + (
            [before["image"]] if self.p.boot_fallback and before["image"] and before["image"] != dest else []
        )
        boot_changed = self.set_boot(wanted)
        changed = bool(deleted or transferred or boot_changed)
        done = f"staged {dest} ({target})" if changed else f"{dest} ({target}) is already staged"
        return record.result(
            changed,
            f"{done}; reload to activate",
            before=before,
            after=self.p.facts(self.s),
            changes=[change] if changed else [],
            pending=[] if changed else [change],
            rollback=rollback,
            reboot_required=True,
        )

    def upgrade(self, before: dict) -> dict:
        target = self.o["version"]
        if same_version(before["version"], target):
            return self.already_current(before)
        staged = self.stage(before)
        if self.check_mode:
            change = record.image_change(self.dest(), before["version"], target)
            msg = f"would upgrade {before['version']} -> {target} ({self.dest()})"
            return self.forecast(msg, before, change, staged["rollback"])
        return self.activate(
            before,
            target,
            "upgraded",
            staged["rollback"],
            on_other_version=lambda after: self.came_back_wrong(before, after, target, staged),
        )

    def roll_back(self, before: dict) -> dict:
        data = self.o.get("rollback") or {}
        image, version = data.get("file") or self.p.basename(data.get("image")), data.get("version")
        if not image or not version:
            raise NetworkImageError(
                "state=rolled_back needs rollback.image (or rollback.file) and rollback.version, "
                "e.g. the rollback.data of the upgrade's change record"
            )
        if same_version(before["version"], version):
            return record.result(False, f"already running {version}", before=before, after=before)
        if image not in before["files"]:
            raise NetworkImageError(f"cannot roll back: {self.p.path(image)} is no longer on the device")
        change = record.image_change(image, before["version"], version)
        rollback = record.rollback(self.p, before)
        self.change, self.rollback_data = change, rollback
        if self.check_mode:
            self.authorize_save(dry_run=True)
            return self.forecast(f"would boot {image} ({version})", before, change, rollback)

        def rollback_failed(after: dict) -> NoReturn:
            raise NetworkImageError(
                f"rollback failed: the device runs {after['version']}, not {version}",
                changed=True,
                pending=[change],
                rollback=rollback,
            )

        self.authorize_save()
        self.set_boot([image])
        return self.activate(before, version, "rolled back", rollback, on_other_version=rollback_failed, change=change)

    # -- shared shapes of the states --------------------------------------------------------------
    def forecast(self, msg: str, before: dict, change: dict, rollback: dict) -> dict:
        """The check-mode result: ``change`` is what a real run would make; nothing was touched."""
        return record.result(
            True, msg, before=before, after=before, changes=[change], rollback=rollback, simulated=True
        )

    def activate(
        self,
        before: dict,
        version: str,
        verb: str,
        rollback: dict,
        on_other_version: Callable[[dict], dict],
        change: dict | None = None,
    ) -> dict:
        """Reload into the image the boot variable names and check the device then runs ``version``.

        ``on_other_version(after)`` answers (a result, or it raises) when the device runs another version. The
        change recorded is ``change``, else the one from the version before to the version now reported.
        Post-checks compare with a snapshot taken just before the reload.
        """
        snapshot = self.p.snapshot(self.s) if self.o["postcheck"] else None
        after = self.reload_and_verify(before)
        if not same_version(after["version"], version):
            return on_other_version(after)
        change = change or record.image_change(self.dest(), before["version"], after["version"])
        self.check_members(version, changes=[change], rollback=rollback)
        self.postcheck(snapshot, changes=[change], rollback=rollback)
        msg = f"{verb} {before['version']} -> {after['version']}"
        return record.result(True, msg, before=before, after=after, changes=[change], rollback=rollback)

    # -- steps ------------------------------------------------------------------------------------
    def dest(self) -> str:
        return self.o.get("dest") or os.path.basename(self.o.get("image") or "")

    def already_current(self, before: dict) -> dict:
        """Version is current: nothing to do, unless the boot variable would boot something else."""
        image = before["image"]
        if self.o["state"] == "upgraded" and image and before["boot"][:1] != [image]:
            if self.check_mode:
                self.authorize_save(dry_run=True)
                return record.result(
                    True, f"would point the boot variable at {image}", before=before, after=before, simulated=True
                )
            self.set_boot([image])
            return record.result(
                True,
                f"already running {before['version']}; boot variable set to {image}",
                before=before,
                after=self.p.facts(self.s),
            )
        return record.result(False, f"already running {before['version']}", before=before, after=before)

    def authorize_save(self, dry_run: bool = False) -> None:
        """The one gate before configuration is changed and saved: every saving path passes here first.

        Unsaved changes in the running configuration (read with the facts) would be saved with the boot
        variable: refused unless save_unsaved_config. Then the backup (once per run, unless backup=false)."""
        if self.p.boot_needs_save and not self.before["config_saved"] and not self.o["save_unsaved_config"]:
            raise NetworkImageError(
                "the running configuration has unsaved changes; saving the boot variable would persist them. "
                "Save or discard them first, or set save_unsaved_config=true",
                refused="unsaved configuration",
            )
        if not dry_run:
            self.backup()

    def save_config(self) -> None:
        """Save the configuration: only ever through the gate (consent, backup first)."""
        self.authorize_save()
        self.current = "save"
        self.p.save(self.s)
        self.step("save")

    def backup(self) -> None:
        if not self.o["backup"] or self.result["backup_path"]:
            return
        self.current = "backup"
        text = self.p.backup(self.s)
        if not text.strip():
            raise NetworkImageError("the device returned an empty running configuration: no backup, nothing changed")
        directory = self.o["backup_dir"]
        os.makedirs(directory, mode=0o700, exist_ok=True)
        path = os.path.join(
            directory, f"{self.o['inventory_hostname']}.{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.cfg"
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        self.result["backup_path"] = path
        self.step("backup", path=path, bytes=len(text))

    def set_boot(self, images: list[str]) -> bool:
        """Point the boot variable at ``images`` (saving where the platform needs it); True if it changed."""
        current = [self.p.basename(b) for b in self.p.boot(self.s)]
        if current == images or (self.p.boot_fallback is False and current[:1] == images[:1]):
            self.step("boot", boot=current, result="already set")
            return False
        if self.p.boot_needs_save:
            self.authorize_save()
        self.current = "boot"
        try:
            self.p.set_boot(self.s, images)
        except RuntimeError as exc:
            raise NetworkImageError(f"setting the boot image failed: {exc}", changed=True) from exc
        self.step("boot", boot=images, result="configured")
        if self.p.boot_needs_save:
            self.save_config()
        self.current = "boot"
        now = [self.p.basename(b) for b in self.p.boot(self.s)]
        if now[:1] != images[:1]:
            raise NetworkImageError(f"boot variable is {now} after setting {images}", changed=True)
        self.step("boot", boot=now, result="read back")
        return True

    def reload_and_verify(self, before: dict) -> dict:
        self.step("reload")
        self.current = "reload"
        return self.wait_for_reload(before, self.p.reload(self.s))

    def wait_for_reload(self, before: dict, saw_down: bool) -> dict:
        """Poll until the device is back with a reset uptime; the facts it then reports."""
        started = time.monotonic()
        self.current = "back"
        deadline = started + self.o["reload_timeout"]
        # the session dropping is not the device going down: a login in between would talk to a device about to
        # cut it off mid-command. Wait (briefly) until its SSH port refuses.
        saw_down = self.until_down(started + min(30, self.o["reload_timeout"] / 4)) or saw_down
        last_error = None
        time.sleep(min(self.o["reload_poll_interval"], 2))
        while time.monotonic() < deadline:
            try:
                self.s.connect()
                after = self.p.facts(self.s)
            except (NetworkImageError, *TRANSPORT_ERRORS) as exc:
                last_error = words(exc)
                self.s.close()
                saw_down = True
                time.sleep(self.o["reload_poll_interval"])
                continue
            elapsed = time.monotonic() - started
            reset = after["uptime"] is not None and (
                (before["uptime"] is not None and after["uptime"] < before["uptime"])
                or (saw_down and after["uptime"] <= elapsed + 60)
            )
            if reset:
                self.step("back", after_s=round(elapsed, 1), version=after["version"], uptime=after["uptime"])
                return after
            self.s.close()
            time.sleep(self.o["reload_poll_interval"])
        raise NetworkImageError(
            f"the device did not come back within reload_timeout={self.o['reload_timeout']}s after the reload"
            + (f" (last attempt: {last_error})" if last_error else ""),
            changed=True,
            rollback=record.rollback(self.p, before),
            pending=[
                record.image_change(
                    self.dest() or "image",
                    before["version"],
                    self.o.get("version") or (self.o.get("rollback") or {}).get("version"),
                )
            ],
        )

    def until_down(self, until: float) -> bool:
        """True once the device's SSH port refuses connections (it went down), False if it did not by ``until``."""
        address = (getattr(self.s, "host", None), getattr(self.s, "port", None))
        if address[0] is None:
            return False
        while time.monotonic() < until:
            try:
                with socket.create_connection(address, timeout=2):
                    pass
            except OSError:
                return True
            time.sleep(0.3)
        return False

    def came_back_wrong(self, before: dict, after: dict, target: str, staged: dict) -> dict:
        msg = f"the device came back on {after['version']} ({after['image']}), not {target}: the new image did not boot"
        # Platforms that do not print the running image report the boot image: trust it only if versions moved.
        bootable = before["image"] if same_version(after["version"], before["version"]) else after["image"]
        if bootable:
            self.set_boot([bootable])
            msg += f"; boot variable reset to {bootable}"
        pending = [record.image_change(self.dest(), after["version"], target)]
        res = record.result(
            True, msg, before=before, after=self.p.facts(self.s), pending=pending, rollback=staged["rollback"]
        )
        res["failed"] = True
        return res

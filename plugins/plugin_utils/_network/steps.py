# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook steps shared by bundle and install mode: free space, transfer with hash checks, and the checks after
a reload (stack members, post-check snapshot). Mixed into ``runbook.Runbook``."""

from __future__ import annotations

import hashlib
import os

from . import NetworkImageError, checks
from .parsers import same_version
from .session import TRANSPORT_ERRORS

MAX_RECONNECTS = 3


class ImageSteps:
    def image_size(self) -> int:
        return os.path.getsize(self.o["image"])

    def local_md5(self) -> str:
        digest = hashlib.md5(usedforsecurity=False)
        with open(self.o["image"], "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        value = digest.hexdigest()
        expected = self.o.get("image_md5")
        if expected and expected.lower() != value:
            raise NetworkImageError(
                f"{self.o['image']} has MD5 {value}, not the expected image_md5 {expected}: wrong or damaged file"
            )
        return value

    def ensure_space(self, before: dict) -> bool:
        self.current = "space"
        dest = self.dest()
        need = self.image_size() - before["files"].get(dest, 0)
        free = before["free"]
        if free is None:
            raise NetworkImageError("could not read the free space of the device's file system")
        protected = {dest, before["image"], *before["boot"]}
        deleted = []
        for name in self.o["delete_images"]:
            if free > need:
                break
            if name in protected or name not in before["files"]:
                continue
            self.p.delete(self.s, name)
            free += before["files"][name]
            deleted.append(name)
        if deleted:
            self.step("delete_images", deleted=deleted)
            self.result["deleted_images"] = deleted
        if free <= need:
            raise NetworkImageError(
                f"not enough free space for {dest}: need {need} bytes, {free} free; "
                "list old images in delete_images to remove them first",
                changed=bool(deleted),
                free=free,
                needed=need,
            )
        self.step("space", free=free, needed=need)
        return bool(deleted)

    def ensure_image(self, dest: str) -> bool:
        """Transfer unless a valid copy is there; re-send a corrupt copy once; resume after drops."""
        want = self.local_md5()
        info = {"file": self.p.path(dest), "md5": want, "transferred": False, "resent": 0, "reconnects": 0}
        self.result["transfer"] = info
        while True:
            self.current = "transfer"
            try:
                have = self.remote_md5(dest, missing_ok=True)
                if have == want:
                    self.step("verify", file=dest, md5=have, result="valid")
                    return info["transferred"]
                if info["transferred"]:
                    if info["resent"] >= 1:
                        raise NetworkImageError(
                            f"{dest} is still corrupt after a second transfer (device MD5 {have}, expected {want})",
                            changed=True,
                        )
                    info["resent"] += 1
                    self.step("verify", file=dest, md5=have, result="corrupt, re-sending")
                self.step("transfer", file=dest)
                self.s.transfer(self.o["image"], dest)
                info["transferred"] = True
            except TRANSPORT_ERRORS as exc:  # pylint: disable=catching-non-exception
                info["reconnects"] += 1
                self.step("transfer", file=dest, result=f"session lost: {exc.__class__.__name__}: {exc}")
                if info["reconnects"] > MAX_RECONNECTS:
                    raise NetworkImageError(f"transfer of {dest} kept losing the session: {exc}", changed=True) from exc
                info["transferred"] = True
                self.s.reconnect()

    def remote_md5(self, dest: str, missing_ok: bool = False) -> str | None:
        listing = self.p.storage(self.s)
        if dest not in listing["files"]:
            return None
        timeout = self.o["hash_timeout"]
        for attempt in (1, 2):
            digest, out = self.p.md5(self.s, dest, timeout)
            if digest:
                return digest
            self.step("hash", file=dest, attempt=attempt, output=out.strip()[-200:])
        raise NetworkImageError(f"the device could not hash {self.p.path(dest)}: {out.strip()[-200:]}", changed=True)

    def check_members(self, version: str, **record_details: object) -> None:
        """Every stack member, standby supervisor and module with software must run ``version`` too."""
        self.current = "members"
        units = self.p.members(self.s)
        if len(units) < 2:  # a single unit: its version is the one already checked
            return
        self.result["members"] = units
        stale = [u for u in units if u.get("version") and not same_version(u["version"], version)]
        unread = [u for u in units if not u.get("version")]
        self.step("members", count=len(units), stale=len(stale), unread=len(unread))
        if unread:
            names = ", ".join(f"{u['role']} {u['id']}" for u in unread)
            self.warnings.append(f"the version of {names} could not be read: check it runs {version}")
        if stale:
            text = "; ".join(
                f"{u['role']} {u['id']} runs {u['version']} ({u.get('state') or 'state unknown'})" for u in stale
            )
            raise NetworkImageError(
                f"not every stack member / supervisor runs {version}: {text}", changed=True, **record_details
            )

    def postcheck(self, snapshot: dict | None, **record_details: object) -> None:
        """Compare with the pre-reload snapshot; ``record_details`` (the change made) join a failure.

        A check that had rows before and is unreadable now (its command answered nothing it can read) fails the
        post-check whatever ``fail_on_postcheck_diff`` says: nothing was compared, so nothing passed."""
        if snapshot is None:
            return
        self.current = "postcheck"
        now = self.p.snapshot(self.s)
        diffs = checks.compare(snapshot, now)
        unread = checks.unread(snapshot, now)
        self.result["postcheck"] = {"before": snapshot, "after": now, "differences": diffs, "unreadable": unread}
        self.step("postcheck", differences=len(diffs), unreadable=len(unread))
        commands = {name: cmd for name, (cmd, _parse) in self.p.snapshot_commands.items()}
        if unread:
            names = ", ".join(f"{c} ({commands.get(c, c)!r})" for c in unread)
            self.warnings.append(f"post-check not compared for {names}: the device's answer held no table to read")
        lost = [d for d in diffs if d["after"] == checks.UNREADABLE]
        if lost:
            text = "; ".join(
                f"{d['check']}: {commands.get(d['check'], d['check'])!r} answered nothing it can read "
                f"(before: {d['before']})"
                for d in lost
            )
            raise NetworkImageError(
                f"post-check unreadable after the reload: {text}",
                changed=True,
                command=commands.get(lost[0]["check"]),
                **record_details,
            )
        if diffs:
            text = "; ".join(f"{d['check']} {d['item']}: {d['before']} -> {d['after']}" for d in diffs[:10])
            if self.o["fail_on_postcheck_diff"]:
                raise NetworkImageError(
                    f"post-checks differ from the pre-check snapshot: {text}", changed=True, **record_details
                )
            self.warnings.append(f"post-checks differ from the pre-check snapshot: {text}")

"""IOS-XE install mode and Catalyst stacks for the Cisco IOS dialect.

Install mode boots ``flash:packages.conf``; software arrives as a bundle that ``install add file`` adds as an
inactive (I) package set, ``install activate`` reloads into (activated, uncommitted: U), ``install commit``
makes committed (C) and ``install rollback to committed`` abandons (reload back into C). ``install remove
inactive`` deletes the inactive sets' files. Each package keeps the bundle file it came from, so a
rolled-back set can be added again while that file is on flash.

Every commit saves a rollback point (``show install rollback`` / ``show install rollback id N``, shaped after
genieparser's ShowInstallRollback / ShowInstallRollbackId captures); ``install rollback to id N`` reloads into
that point's package set and commits it, as long as its package is still on flash (``install remove inactive``
deletes it, and the rollback then fails like the device's, with a FAILED line).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from . import images
from .cli_base import Confirm

STATE_LETTER = {"C": "C", "U": "U", "I": "I"}


def boot_install(device: Any) -> tuple[str, str, str, list[str]]:
    """(image, version, result, tried) of a reload in install mode."""
    st = device.state
    pending = st.pop("install_pending", None)
    committed = next(p for p in st["packages"] if p["state"] == "C")
    if pending:
        pkg = next(p for p in st["packages"] if p["version"] == pending)
        header = images.read_header(device.flash / pkg["file"])
        bootable = header is not None and header.get("platform") == device.platform
        if pkg is committed:
            return "packages.conf", committed["version"], "ok", [committed["file"]]
        if bootable and not device.take_fault("boot-fail"):
            if st.pop("rollback_commit", False):  # install rollback to id: the point's set comes back committed
                for other in st["packages"]:
                    if other["state"] == "C":
                        other["state"] = "I"
                pkg["state"] = "C"
                _save_point(st, pkg)
            else:
                pkg["state"] = "U"
            return "packages.conf", pkg["version"], "ok", [pkg["file"]]
        pkg["state"] = "I"
        st.pop("abort_timer", None)
        return "packages.conf", committed["version"], "fallback", [pkg["file"]]
    running = next((p for p in st["packages"] if p["state"] == "U"), committed)
    return "packages.conf", running["version"], "ok", [running["file"]]


def _save_point(st: dict, pkg: dict) -> None:
    points = st.setdefault("rollback_points", [])
    points.append({"id": max((p["id"] for p in points), default=0) + 1, "version": pkg["version"], "file": pkg["file"]})


def _stamp(op: str, verdict: str = "SUCCESS") -> str:
    when = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())
    return f"{verdict}: {op}  {when}"


class IosXeMixin:
    """Commands of an IOS-XE Catalyst beyond the bundle-mode basics: install mode and the stack."""

    install_commands = [
        ("exec", r"show install summary", "show_install_summary"),
        ("exec", r"install add file (\S+)", "install_add"),
        ("exec", r"install activate(?: auto-abort-timer (\d+))?(?: prompt-level none)?", "install_activate"),
        ("exec", r"install commit", "install_commit"),
        ("exec", r"install (?:rollback to committed|abort)", "install_rollback"),
        ("exec", r"install remove inactive", "install_remove"),
        ("exec", r"show install rollback id (\d+)", "show_install_rollback_id"),
        ("exec", r"show install rollback", "show_install_rollback"),
        ("exec", r"install rollback to id (\d+)(?: prompt-level none)?", "install_rollback_id"),
        ("exec", r"show switch", "show_switch"),
    ]

    # -- install mode ---------------------------------------------------------------------------
    def _install_mode(self) -> bool:
        return self.device.state.get("boot_mode") == "install"

    def _reload_on_yes(self, op: str, change: Callable[[], None]) -> str:
        """Ask as the device asks before an install operation that reloads; on yes make ``change`` to the state,
        save it and reload, on anything else fail the operation."""

        def proceed(answer: str) -> str:
            if not answer.lower().startswith("y"):
                return _stamp(op, "FAILED") + " : aborted by user"
            change()
            self.device.save()
            return self.request_reload()

        self.confirm = Confirm(
            f"{op}: START\nThis operation may require a reload of the system. Do you want to proceed? [y/n]", proceed
        )
        return ""

    def show_install_summary(self) -> str:
        if not self._install_mode():
            return "% install mode is not configured: the device boots a bundle"
        rows = "\n".join(
            f"IMG   {STATE_LETTER[p['state']]}    {p['version']}.0.{len(p['file']) % 97}"
            for p in self.device.state["packages"]
        )
        timer = self.device.state.get("abort_timer")
        timer_line = f"active on install_activate, time before rollback - {timer}" if timer else "inactive"
        members = " ".join(str(m["id"]) for m in self.device.state.get("stack", [])) or "1"
        return (
            f"[ Switch {members} ] Installed Package(s) Information:\n"
            "State (St): I - Inactive, U - Activated & Uncommitted,\n"
            "            C - Activated & Committed, D - Deactivated & Uncommitted\n"
            f"{'-' * 80}\nType  St   Filename/Version\n{'-' * 80}\n{rows}\n\n{'-' * 80}\n"
            f"Auto abort timer: {timer_line}\n{'-' * 80}"
        )

    def install_add(self, path: str) -> str:
        if not self._install_mode():
            return "% install add needs install mode (the device boots a bundle)"
        target = self.device.path(path)
        header = images.read_header(target) if target is not None else None
        if header is None or header.get("platform") != self.device.platform:
            return f"install_add: START\n{_stamp('install_add', 'FAILED')} : {path} is not a valid image file"
        packages = self.device.state["packages"]
        if not any(p["version"] == header["version"] for p in packages):
            packages.append({"version": header["version"], "file": target.name, "state": "I"})
        self.device.state["install_added"] = header["version"]
        self.device.save()
        return (
            f"install_add: START\ninstall_add: Adding IMG\n--- Starting initial file syncing ---\n"
            f"Info: Finished copying {path} to the selected switch(es)\nFinished initial file syncing\n"
            f"{_stamp('install_add')}"
        )

    def install_activate(self, timer: str | None) -> str:
        added = self.device.state.get("install_added")
        pkg = next((p for p in self.device.state.get("packages", []) if p["version"] == added), None)
        if pkg is None or pkg["state"] != "I":
            return f"install_activate: START\n{_stamp('install_activate', 'FAILED')} : no added package to activate"

        def activate() -> None:
            self.device.state["install_pending"] = pkg["version"]
            if timer:
                minutes = int(timer)
                self.device.state["abort_timer"] = f"{minutes // 60:02d}:{minutes % 60:02d}:00"

        return self._reload_on_yes("install_activate", activate)

    def install_commit(self) -> str:
        packages = self.device.state.get("packages", [])
        activated = next((p for p in packages if p["state"] == "U"), None)
        if activated is None:
            return f"install_commit: START\n{_stamp('install_commit', 'FAILED')} : no uncommitted package"
        for p in packages:
            if p["state"] == "C":
                p["state"] = "I"
        activated["state"] = "C"
        _save_point(self.device.state, activated)
        self.device.state.pop("abort_timer", None)
        self.device.save()
        return f"install_commit: START\n{_stamp('install_commit')}"

    def install_rollback(self) -> str:
        packages = self.device.state.get("packages", [])
        activated = next((p for p in packages if p["state"] == "U"), None)
        if activated is None:
            return f"install_rollback: START\n{_stamp('install_rollback', 'FAILED')} : nothing to roll back"

        def abandon() -> None:
            activated["state"] = "I"
            self.device.state.pop("abort_timer", None)

        return self._reload_on_yes("install_rollback", abandon)

    def _point(self, number: str) -> dict | None:
        return next((p for p in self.device.state.get("rollback_points", []) if p["id"] == int(number)), None)

    def show_install_rollback(self) -> str:
        if not self._install_mode():
            return "% install mode is not configured: the device boots a bundle"
        rows = "\n".join(
            f"{p['id']:<8}No Label                         No Description"
            for p in sorted(self.device.state.get("rollback_points", []), key=lambda p: -p["id"])
        )
        return f"\nID      Label                            Description\n{'-' * 55}\n{rows}"

    def show_install_rollback_id(self, number: str) -> str:
        point = self._point(number)
        if point is None:
            return f"FAILED: Rollback id {number} does not exist"
        when = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())
        return (
            f"\nRollback id - {point['id']} (Created on {when})\nLabel: No Label\nDescription: No Description\n"
            "Reload required: YES\nState (St): I - Inactive, U - Activated & Uncommitted,\n"
            "            C - Activated & Committed, D - Deactivated & Uncommitted\n"
            f"{'-' * 80}\nType  St   Filename/Version\n{'-' * 80}\n"
            f"IMG   C    {point['version']}.0.{len(point['file']) % 97}"
        )

    def install_rollback_id(self, number: str) -> str:
        point = self._point(number)
        packages = self.device.state.get("packages", [])
        pkg = next((p for p in packages if point and p["version"] == point["version"]), None)
        if point is None or pkg is None or not (self.device.flash / pkg["file"]).exists():
            why = "does not exist" if point is None else "needs a package that is no longer on flash"
            return f"install_rollback: START\n{_stamp('install_rollback', 'FAILED')} : rollback id {number} {why}"
        if pkg["state"] == "C":
            return f"install_rollback: START\nThe rollback point is the committed set\n{_stamp('install_rollback')}"

        def roll_back() -> None:
            self.device.state["install_pending"] = pkg["version"]
            self.device.state["rollback_commit"] = True
            self.device.state.pop("abort_timer", None)

        return self._reload_on_yes("install_rollback", roll_back)

    def install_remove(self) -> str:
        packages = self.device.state.get("packages", [])
        inactive = [p for p in packages if p["state"] == "I"]
        if not inactive:
            return f"install_remove: START\nNo inactive package to remove\n{_stamp('install_remove')}"

        def proceed(answer: str) -> str:
            if not answer.lower().startswith("y"):
                return _stamp("install_remove", "FAILED") + " : aborted by user"
            for p in inactive:
                self.device.delete(p["file"])
                packages.remove(p)
            self.device.save()
            return _stamp("install_remove")

        files = "\n".join(f"  flash:{p['file']}" for p in inactive)
        self.confirm = Confirm(
            f"install_remove: START\nThe following files will be deleted:\n{files}\n"
            "Do you want to remove the above files? [y/n]",
            proceed,
        )
        return ""

    # -- the stack --------------------------------------------------------------------------------
    def stack_table(self) -> str:
        mode = "INSTALL" if self._install_mode() else "BUNDLE"
        rows = "\n".join(
            f"{'*' if m['id'] == 1 else ' '}{m['id']:>5} 41    C9300-24T          {m['version']:<17} CAT9K_IOSXE           {mode}"
            for m in self.device.state.get("stack", [])
        )
        head = "Switch Ports Model              SW Version        SW Image              Mode   \n"
        return head + "------ ----- -----              ----------        ----------            ----   \n" + rows

    def show_switch(self) -> str:
        running = self.device.state["version"]
        rows = []
        for m in self.device.state.get("stack", []):
            role = "Active" if m["id"] == 1 else ("Standby" if m["id"] == 2 else "Member")
            state = "Ready" if m["version"] == running else "V-Mismatch"
            mac = f"04bd.9715.{5140 + m['id']:04d}"
            rows.append(
                f"{'*' if m['id'] == 1 else ' '}{m['id']}       {role:<8} {mac}     {16 - m['id']}      V02     {state}"
            )
        return (
            "Switch/Stack Mac Address : 04bd.9715.5141 - Local Mac Address\nMac persistency wait time: Indefinite\n"
            "                                             H/W   Current\n"
            "Switch#   Role    Mac Address     Priority Version  State\n" + "-" * 85 + "\n" + "\n".join(rows)
        )

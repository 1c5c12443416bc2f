"""A simulated device's durable state: flash directory, boot list, configs, faults.

Everything lives under one directory so that a restarted simulator process (or a test) sees the
same device: ``flash/`` holds the files, ``state.json`` what the device runs and will boot,
``faults.json`` the faults injected from outside (re-read on every use).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from . import images

DEFAULT_CAPACITY = 64 * 1024 * 1024
FULL_FLASH_SLACK = 32 * 1024

#: fault name -> (help, default count or seconds)
FAULTS = {
    "corrupt-transfer": "the next N SCP uploads (default 1) land with flipped bytes",
    "drop-transfer": "the next N SCP uploads (default 1) drop the SSH session half way, leaving a truncated file",
    "slow-hash": "the hash command answers after N seconds (default 20)",
    "fail-hash": "the hash command fails with an I/O error (until cleared)",
    "reload-hang": "a reload never comes back (until cleared: then the device finishes booting)",
    "boot-fail": "the next boot of a different image fails and the device falls back to the image it ran",
    "flash-full": "the flash file system reports only 32 KiB free beyond what is used now (until cleared)",
    "link-down": "after the next N reloads (default 1) the second uplink stays down, with its LLDP and BGP neighbour",
    "stack-member-stale": "after the next N reloads (default 1) the last stack member stays on the version it ran",
    "hang-command": "the named command (default 'show boot') never answers (until cleared)",
}
COUNTED = {"corrupt-transfer": 1, "drop-transfer": 1, "boot-fail": 1, "link-down": 1, "stack-member-stale": 1}


class Device:
    """``boot_mode`` (IOS-XE: "bundle" or "install") and ``stack`` (number of stack members) shape the first boot."""

    def __init__(self, root: Path, platform: str, name: str, boot_mode: str = "bundle", stack: int = 1) -> None:
        self.root = Path(root)
        self.platform = platform
        self.name = name
        self.first_boot_mode, self.first_stack = boot_mode, stack
        self.flash = self.root / "flash"
        self.state_path = self.root / "state.json"
        self.faults_path = self.root / "faults.json"
        self.flash.mkdir(parents=True, exist_ok=True)
        if self.state_path.exists():
            self.state = json.loads(self.state_path.read_text())
        else:
            self.state = self._first_boot()
        self.state["up"] = True
        self.save()

    def _first_boot(self) -> dict[str, Any]:
        (image, version), _new = images.CATALOG[self.platform]
        images.make_image(self.flash / image, self.platform, version)
        legacy = "legacy-" + image
        images.make_image(self.flash / legacy, self.platform, "0.0.legacy", size=512 * 1024)
        return {
            "name": self.name,
            "platform": self.platform,
            "image": image,
            "version": version,
            "boot": [image],
            "running_boot": [image],
            "boot_time": time.time(),
            "capacity": DEFAULT_CAPACITY,
            "reloads": 0,
            "last_boot": {"result": "first boot", "tried": [image]},
            "running_extra": [],
            "startup_extra": [],
            "saved": True,
            # what a test reads to prove the write guard: how often the configuration was saved / read in full
            "saves": 0,
            "config_reads": 0,
            "journal": [],
            "boot_mode": self.first_boot_mode,
            "stack": [{"id": n, "version": version} for n in range(1, self.first_stack + 1)],
            **(self._install_first_boot(image, version) if self.first_boot_mode == "install" else {}),
        }

    @staticmethod
    def _install_first_boot(image: str, version: str) -> dict[str, Any]:
        """Install mode boots packages.conf; the bundle it was expanded from stays on flash as the package."""
        return {
            "image": "packages.conf",
            "boot": ["packages.conf"],
            "running_boot": ["packages.conf"],
            "packages": [{"version": version, "file": image, "state": "C"}],
            # every commit saves a rollback point (show install rollback); the first boot's set is point 1
            "rollback_points": [{"id": 1, "version": version, "file": image}],
        }

    def note(self, event: str) -> None:
        """Count an event the tests check (``save``, ``config-read``) and keep the order in ``journal``."""
        key = {"save": "saves", "config-read": "config_reads"}.get(event)
        if key:
            self.state[key] = int(self.state.get(key, 0)) + 1
        self.state.setdefault("journal", []).append(event)
        self.save()

    # -- persistence ------------------------------------------------------------------------
    def save(self) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2, sort_keys=True))
        os.replace(tmp, self.state_path)

    def faults(self) -> dict[str, Any]:
        try:
            return json.loads(self.faults_path.read_text())
        except (OSError, ValueError):
            return {}

    def _write_faults(self, faults: dict[str, Any]) -> None:
        tmp = self.faults_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(faults, indent=2, sort_keys=True))
        os.replace(tmp, self.faults_path)

    def take_fault(self, name: str) -> bool:
        """True if ``name`` is active; counted faults are used up one occurrence at a time."""
        faults = self.faults()
        entry = faults.get(name)
        if entry is None:
            return False
        if name in COUNTED:
            left = int(entry.get("count", 1)) - 1
            if left <= 0:
                faults.pop(name)
            else:
                entry["count"] = left
            self._write_faults(faults)
        return True

    def fault_value(self, name: str, key: str, default: float) -> float | None:
        entry = self.faults().get(name)
        if entry is None:
            return None
        return float(entry.get(key, default))

    # -- flash ------------------------------------------------------------------------------
    def files(self) -> list[tuple[str, int, float]]:
        out = []
        for path in sorted(self.flash.iterdir()):
            if path.is_file() and not path.name.startswith(".scp-"):
                st = path.stat()
                out.append((path.name, st.st_size, st.st_mtime))
        return out

    def used(self) -> int:
        return sum(size for _name, size, _mtime in self.files())

    def capacity(self) -> int:
        full = self.faults().get("flash-full")
        if full is not None:
            return int(full["capacity"])
        return int(self.state["capacity"])

    def free(self) -> int:
        return max(0, self.capacity() - self.used())

    def path(self, name: str) -> Path | None:
        """The flash file for a device path such as flash:/x, bootflash:x, /mnt/flash/x, /var/tmp/x."""
        base = name.replace("\\", "/").rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        if not base or base in (".", ".."):
            return None
        return self.flash / base

    def md5(self, name: str) -> str | None:
        path = self.path(name)
        if path is None or not path.is_file():
            return None
        return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()

    def delete(self, name: str) -> bool:
        path = self.path(name)
        if path is None or not path.is_file():
            return False
        path.unlink()
        return True

    # -- config and boot ----------------------------------------------------------------------
    def set_boot(self, names: list[str]) -> None:
        self.state["boot"] = list(names)
        self.save()

    def mark_unsaved(self, line: str) -> None:
        self.state["running_extra"].append(line)
        self.state["saved"] = False
        self.save()

    def set_running_boot(self, names: list[str]) -> None:
        self.state["running_boot"] = list(names)
        self.state["saved"] = False
        self.save()

    def save_config(self) -> None:
        if self.platform in ("cisco_ios", "cisco_nxos"):
            self.state["boot"] = list(self.state["running_boot"])
        self.state["startup_extra"] = list(self.state["running_extra"])
        self.state["saved"] = True
        self.note("save")

    def uptime(self) -> float:
        return max(0.0, time.time() - float(self.state["boot_time"]))

    def go_down(self) -> None:
        self.state["up"] = False
        self.save()

    def boot(self) -> None:
        """Boot the first bootable image of the boot list, else fall back to the image that ran."""
        if self.state.get("boot_mode") == "install":
            from .install import boot_install  # noqa: PLC0415 - install mode only

            self._booted(*boot_install(self))
            return
        tried = list(self.state["boot"]) or [self.state["image"]]
        booted = None
        for name in tried:
            if name != self.state["image"] and self.take_fault("boot-fail"):
                continue
            header = images.read_header(self.flash / name)
            if header and header.get("platform") == self.platform:
                booted = (name, header["version"])
                break
        result = "ok"
        if booted is None:
            header = images.read_header(self.flash / self.state["image"])
            if header is None:
                raise RuntimeError("no bootable image on flash")
            booted = (self.state["image"], header["version"])
            result = "fallback"
        elif booted[0] != tried[0]:
            result = "fallback"
        self._booted(booted[0], booted[1], result, tried)

    def _booted(self, image: str, version: str, result: str, tried: list[str]) -> None:
        stale = self.take_fault("stack-member-stale") and len(self.state.get("stack", [])) > 1
        stack = [dict(m, version=version) for m in self.state.get("stack", [])]
        if stale:
            stack[-1]["version"] = self.state["stack"][-1]["version"]
        self.state.update(
            image=image,
            version=version,
            boot_time=time.time(),
            reloads=int(self.state["reloads"]) + 1,
            last_boot={"result": result, "tried": tried},
            link_down=self.take_fault("link-down"),
            running_extra=list(self.state["startup_extra"]),
            running_boot=list(self.state["boot"]),
            saved=True,
            up=True,
            stack=stack,
        )
        self.save()


def inject(root: Path, fault: str, args: list[str]) -> str:
    """Write (or clear) a fault into a device directory; used by the lab CLI and by tests."""
    faults_path = Path(root) / "faults.json"
    try:
        faults = json.loads(faults_path.read_text())
    except (OSError, ValueError):
        faults = {}
    if fault == "clear":
        faults = {}
    elif fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULTS))}, clear")
    elif fault in COUNTED:
        faults[fault] = {"count": int(args[0]) if args else COUNTED[fault]}
    elif fault == "slow-hash":
        faults[fault] = {"seconds": float(args[0]) if args else 20.0}
    elif fault == "hang-command":
        faults[fault] = {"command": " ".join(args) or "show boot"}
    elif fault == "flash-full":
        used = sum(p.stat().st_size for p in (Path(root) / "flash").iterdir() if p.is_file())
        faults[fault] = {"capacity": used + FULL_FLASH_SLACK}
    else:
        faults[fault] = {}
    tmp = faults_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(faults, indent=2, sort_keys=True))
    os.replace(tmp, faults_path)
    return f"{fault} set on {Path(root).name}" if fault != "clear" else f"faults cleared on {Path(root).name}"

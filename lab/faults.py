"""Fault injection on the Linux hosts (``python -m lab fault KIND HOST [ARGS]`` / ``fault clear KIND HOST``)
and dispatch of ``fault SERVICE FAULT TARGET [ARGS]`` to the lab services."""

from __future__ import annotations

import os
import time
from pathlib import Path

from lab import hosts, state
from lab.config import LabError
from lab.core import Lab, _repos
from lab.core import selected_services as discover

FILL_FILE = "var/tmp/everylayer-lab-fill"

HOST_FAULTS = {
    "stop": "power the host off: sshd and every process in it stop (Ansible: UNREACHABLE)",
    "start": "power a stopped host on again (same as: fault clear stop HOST)",
    "reboot": "reboot the host as its own reboot command would (new boot id, sshd back after a delay)",
    "break-repo": "break the host's lab package repository configuration (lab.repos.break_repo)",
    "lock": "hold the package manager's lock inside the host until cleared",
    "fill-disk": "fill the host's disk (its tmpfs) to 100%; optional ARG: bytes to leave free",
    "fail-script": "make PACKAGE's maintainer script fail (ARG: PACKAGE, or PACKAGE:upgrade to fail only updates)",
}


def _fault_lock_name(host: str) -> str:
    return f"fault-lock:{host}"


def inject(lab: Lab, words: list[str]) -> str:
    """Parse ``[clear] KIND TARGET [ARGS...]`` and apply it; return a one-line message."""
    if not words:
        raise LabError("usage: python -m lab fault [clear] KIND HOST [ARGS]  (python -m lab fault list)")
    clear = words[0] == "clear"
    if clear:
        words = words[1:]
    if not words:
        raise LabError("usage: python -m lab fault clear KIND HOST")
    kind, rest = words[0], words[1:]
    services = {s.name: s for s in discover()}
    if kind in services:
        if len(rest) < 2 and not (clear and rest):
            raise LabError(
                f"usage: python -m lab fault {kind} FAULT TARGET [ARGS]  ({', '.join(services[kind].faults)})"
            )
        with state.locked(lab.s.state_dir) as data:
            ctx = lab.context(data)
            if clear:
                return services[kind].inject(ctx, "clear", rest[0], rest[1:])
            return services[kind].inject(ctx, rest[0], rest[1], rest[2:])
    if kind not in HOST_FAULTS:
        known = sorted([*HOST_FAULTS, *services])
        raise LabError(f"unknown fault {kind!r}: one of {', '.join(known)}")
    if not rest:
        raise LabError(f"usage: python -m lab fault {'clear ' if clear else ''}{kind} HOST [ARGS]")
    host, args = rest[0], rest[1:]
    with state.locked(lab.s.state_dir) as data:
        h = data["hosts"].get(host)
        if h is None:
            raise LabError(f"unknown host {host!r} (see python -m lab status)")
        if kind == "start":
            kind, clear = "stop", True
        faults = data["faults"].setdefault(host, {})
        message = _apply(lab, data, h, kind, clear, args, faults)
        if not faults:
            data["faults"].pop(host, None)
        return message


def _apply(lab: Lab, data: dict, h: dict, kind: str, clear: bool, args: list[str], faults: dict) -> str:
    name, root = h["name"], Path(h["root"])
    if kind == "stop":
        if clear:
            h["stopped"] = False
            faults.pop("stop", None)
            hosts.mount_runtime(data, h)
            hosts.start_sshd(data, h)
            if hosts.wait_ready(data, [h]):
                raise LabError(f"{name}: sshd did not come back; see {hosts.paths(lab.s.state_dir, name)['log']}")
            lab.host_started(data, name)
            return f"{name} started (port {h['port']})"
        hosts.stop(data, h)
        h["stopped"] = True
        faults["stop"] = {}
        return f"{name} stopped"
    if kind == "reboot":
        if clear:
            return f"{name}: nothing to clear for reboot"
        request = root / hosts.REQUEST
        if h.get("stopped") or not (root / "run" / "sshd").is_dir():
            raise LabError(f"{name} is not running")
        request.parent.mkdir(exist_ok=True)
        request.write_text("reboot\n")
        return f"{name}: reboot requested (the supervisor restarts it with a new boot id)"
    if kind == "fill-disk":
        return _fill(lab, h, clear, args, faults)
    if kind == "lock":
        if clear:
            state.kill(data, _fault_lock_name(name))
            faults.pop("lock", None)
            return f"{name}: package manager lock released"
        repos = _need_repos()
        argv = ["chroot", str(root), *repos.lock_argv(h["manager"])]
        log = hosts.paths(lab.s.state_dir, name)["dir"] / "lock.log"
        log.write_text("")
        pid = state.spawn(data, _fault_lock_name(name), argv, env=hosts.SSHD_ENV, log=log)
        deadline = time.monotonic() + 15
        while "locked" not in log.read_text():
            if time.monotonic() > deadline or state.pid_of(data, _fault_lock_name(name)) is None:
                state.kill(data, _fault_lock_name(name))
                raise LabError(f"{name}: could not take the {h['manager']} lock: {log.read_text().strip()[-300:]}")
            time.sleep(0.05)
        faults["lock"] = {"pid": pid}
        return f"{name}: {h['manager']} lock held by pid {pid}"
    if kind == "break-repo":
        repos = _need_repos()
        if clear:
            repos.fix_repo(root, h["manager"], lab.base_url)
            faults.pop("break-repo", None)
            return f"{name}: repository fixed"
        repos.break_repo(root, h["manager"], lab.base_url)
        faults["break-repo"] = {}
        return f"{name}: repository broken"
    if kind == "fail-script":
        repos = _need_repos()
        if not args and not (clear and faults.get("fail-script")):
            raise LabError(f"usage: python -m lab fault {'clear ' if clear else ''}fail-script HOST PACKAGE[:upgrade]")
        packages = [a.split(":", 1)[0] for a in args] or list(faults.get("fail-script", {}).get("packages", []))
        modes = dict(a.split(":", 1) if ":" in a else (a, "all") for a in args)
        failing = faults.setdefault("fail-script", {"packages": []})
        for package in packages:
            try:
                repos.set_failing_script(root, package, not clear, modes.get(package, "all"))
            except ValueError as exc:
                raise LabError(f"{name}: fail-script: {exc}") from exc
            if clear and package in failing["packages"]:
                failing["packages"].remove(package)
            elif not clear and package not in failing["packages"]:
                failing["packages"].append(package)
        if not failing["packages"]:
            faults.pop("fail-script", None)
        return f"{name}: maintainer script of {', '.join(packages)} {'fixed' if clear else 'fails now'}"
    raise LabError(f"unknown fault {kind!r}")


def _fill(lab: Lab, h: dict, clear: bool, args: list[str], faults: dict) -> str:
    name = h["name"]
    path = Path(h["root"]) / FILL_FILE
    if clear:
        path.unlink(missing_ok=True)
        faults.pop("fill-disk", None)
        return f"{name}: disk space released"
    leave = int(args[0]) if args else 0
    disk = hosts.paths(lab.s.state_dir, name)["disk"]
    vfs = os.statvfs(disk)
    free = vfs.f_bavail * vfs.f_frsize
    size = (path.stat().st_size if path.exists() else 0) + max(free - leave, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    chunk = b"\0" * (4 << 20)
    written = 0
    with open(path, "ab") as fh:
        try:
            while written < size:
                written += fh.write(chunk[: min(len(chunk), size - written)])
                fh.flush()
        except OSError:
            pass  # ENOSPC: the disk is full, which is the point
    size = path.stat().st_size
    faults["fill-disk"] = {"file": "/" + FILL_FILE}
    return f"{name}: disk filled ({size // (1024 * 1024)} MiB in /{FILL_FILE})"


def _need_repos():
    repos = _repos()
    if repos is None:
        raise LabError("this fault needs lab/repos (the lab's package repositories), which is not available")
    return repos


def describe() -> str:
    lines = ["host faults (python -m lab fault KIND HOST [ARGS]; undo with: fault clear KIND HOST):"]
    lines += [f"  {kind:12} {text}" for kind, text in HOST_FAULTS.items()]
    for service in discover():
        lines.append(f"service {service.name} (python -m lab fault {service.name} FAULT TARGET [ARGS]):")
        lines += [f"  {fault:12} {text}" for fault, text in service.faults.items()]
    return "\n".join(lines)

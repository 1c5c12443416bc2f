"""The lab supervisor: a background process (started by ``up``) that carries out the hosts' reboot requests.

A host's ``reboot``/``shutdown`` shim writes /run/everylayer-lab/request inside the host. The supervisor
then stops that host's sshd and every process whose root is the host's chroot, unmounts its /proc, /dev and
/run, writes a new boot id, waits a short delay (the machine is "down") and mounts and starts it again.
A halt (``shutdown -h``, ``poweroff``) leaves the host stopped, like ``python -m lab fault stop``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from lab import hosts, state

POLL = 0.3


def _log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def _lab(state_dir: Path, data: dict):
    from lab.config import Settings
    from lab.core import Lab

    settings = Settings.resolve(str(state_dir), data["lab"].get("port_base"))
    return Lab(settings, say=_log)


def reboot_host(state_dir: Path, name: str, delay: float) -> None:
    with state.locked(state_dir) as data:
        h = data["hosts"].get(name)
        if h is None:
            return
        request = Path(h["root"]) / hosts.REQUEST
        try:
            action = request.read_text().strip() or "reboot"
        except OSError:
            return
        request.unlink(missing_ok=True)
        _log(f"{name}: {action} requested")
        hosts.stop(data, h)
        if action == "halt":
            h["stopped"] = True
            data["faults"].setdefault(name, {})["stop"] = {"by": "halt"}
            _log(f"{name}: halted")
            return
        boot = hosts.new_boot_id(state_dir, name)
    time.sleep(delay)
    with state.locked(state_dir) as data:
        h = data["hosts"].get(name)
        if h is None or h.get("stopped"):
            return
        hosts.mount_runtime(data, h)
        hosts.start_sshd(data, h)
        late = hosts.wait_ready(data, [h], timeout=15)
        if not late:
            _lab(state_dir, data).host_started(data, name)
    _log(f"{name}: {'sshd did not come back' if late else 'up again'} (boot id {boot})")


def loop(state_dir: Path, delay: float) -> int:
    me = os.getpid()
    grace = time.monotonic() + 120
    while True:
        data = state.read(state_dir)
        record = data["pids"].get("supervisor")
        # The state naming this process is saved when the starting `up` ends: until then (grace), wait.
        if (not record or record.get("pid") != me) and time.monotonic() > grace:
            _log("no longer the lab's supervisor: exiting")
            return 0
        for name, h in data["hosts"].items():
            if (Path(h["root"]) / hosts.REQUEST).exists():
                try:
                    reboot_host(state_dir, name, delay)
                except Exception as exc:  # keep serving the other hosts
                    _log(f"{name}: reboot failed: {exc!r}")
        time.sleep(POLL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.supervisor")
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--delay", type=float, default=float(os.environ.get("EVERYLAYER_LAB_REBOOT_DELAY", "3")))
    args = parser.parse_args(argv)
    _log(f"supervisor {os.getpid()} watching {args.state_dir}")
    return loop(args.state_dir, args.delay)


if __name__ == "__main__":
    sys.exit(main())

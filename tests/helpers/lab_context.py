"""A LabContext for service tests: the service's processes are children of the test, stopped when it ends."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

from lab import procs
from lab.services import LabContext

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def stand_in_context(state_dir: Path, port_base: int = 2200) -> Iterator[LabContext]:
    """What ``python -m lab`` hands a service (lab/core.py), without the lab's state file: spawn starts each process
    in its own session, kill stops its process group, pid answers while it runs; every one left is stopped at the end.
    """
    children: dict[str, subprocess.Popen] = {}

    def spawn(name, argv, *, cwd=None, env=None, log=None):
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
        children[name] = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        return children[name].pid

    def kill(name):
        procs.stop(children.pop(name, None), grace=10, group=True)

    def pid(name):
        proc = children.get(name)
        return proc.pid if proc is not None and proc.poll() is None else None

    try:
        yield LabContext(state_dir=state_dir, port_base=port_base, repo_root=REPO, spawn=spawn, kill=kill, pid=pid)
    finally:
        for name in list(children):
            kill(name)

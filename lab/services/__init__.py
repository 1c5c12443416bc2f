"""Lab services: simulators and daemons that join the lab beside the Linux hosts.

A service is a module in this package that defines ``SERVICE``, an instance of a
:class:`LabService` subclass. ``python -m lab up`` starts every service after the hosts,
``down`` stops them, ``status`` reports them and ``fault <service> <fault> <target>`` injects
their faults. A service only starts processes through :meth:`LabContext.spawn`, so that
``down`` can stop exactly what the lab made, by pid.

Asset dicts returned by :meth:`LabService.up` use the same shape as the Linux hosts in
``inventories/lab/generated/lab.json`` (see docs/lab.md): at least ``name``, ``layers``,
``platform`` and ``vars`` (Ansible connection variables).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class LabContext:
    """What a service may use: where to keep state, which ports, how to start processes."""

    state_dir: Path
    port_base: int
    repo_root: Path
    spawn: Callable[..., int] = field(repr=False)
    """spawn(name, argv, *, cwd=None, env=None, log=None) -> pid; records the pid under ``name``."""
    kill: Callable[[str], None] = field(repr=False)
    """kill(name): stops the process recorded under ``name`` (and its process group)."""
    pid: Callable[[str], int | None] = field(repr=False)
    """pid(name): the recorded pid if that process is still alive, else None."""
    hosts: dict[str, Path] = field(default_factory=dict)
    """Linux lab host name -> its chroot root (for services that run inside a host, e.g. fwupd)."""

    def service_dir(self, service: str) -> Path:
        path = self.state_dir / "services" / service
        path.mkdir(parents=True, exist_ok=True)
        return path


class LabService:
    """Base class; override what the service supports."""

    name = "service"
    #: fault name -> one-line help, shown by ``python -m lab fault --help``
    faults: dict[str, str] = {}

    def up(self, ctx: LabContext) -> list[dict[str, Any]]:
        """Start (idempotently) and return the assets this service adds to the inventory."""
        raise NotImplementedError

    def down(self, ctx: LabContext) -> None:
        """Stop everything this service started."""
        raise NotImplementedError

    def status(self, ctx: LabContext) -> dict[str, Any]:
        return {}

    def inject(self, ctx: LabContext, fault: str, target: str, args: list[str]) -> str:
        """Inject (or clear, e.g. fault ``clear``) a fault on ``target``; return a one-line message."""
        raise ValueError(f"service {self.name!r} has no fault {fault!r}")


def discover() -> list[LabService]:
    """Every SERVICE defined by a module of this package, in module-name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        service = getattr(module, "SERVICE", None)
        if isinstance(service, LabService):
            found.append(service)
    return found

"""Lab settings and the pure arithmetic around them: host names, managers, ports, directories."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STATE_DIR = Path("/var/tmp/everylayer-lab")
DEFAULT_PORT_BASE = 2200
DEFAULT_HOSTS = 6
DEFAULT_REPO_PORT = 8480
MAX_HOSTS = 99
MANAGERS = ("apt", "dnf", "zypper")
REPO_ROOT = Path(__file__).resolve().parents[1]


class LabError(Exception):
    """An error the CLI reports as one clear line (no traceback)."""


def repo_port(port_base: int, override: int | None = None) -> int:
    """The package-repository HTTP port: 8480 for the default port base, 8480 + (port_base-2200)//10 otherwise.

    So labs 10 host-ports apart get distinct repo ports inside the team's 8480-8489 range.
    """
    if override:
        return override
    return DEFAULT_REPO_PORT + (port_base - DEFAULT_PORT_BASE) // 10


def host_port(port_base: int, index: int) -> int:
    """sshd port of host number ``index`` (1-based)."""
    return port_base + index


def manager_plan(count: int, zypper_ok: bool = True) -> list[str]:
    """The package manager of each host, in order: half apt, a third dnf, a sixth zypper (6 -> 3/2/1).

    At least one host of each manager when count >= 3. Without zypper its share goes to dnf.
    """
    if count < 1:
        raise LabError("--hosts must be at least 1")
    if count > MAX_HOSTS:
        raise LabError(f"--hosts must be at most {MAX_HOSTS} (one port each above the port base)")
    zypper = max(1, count // 6) if count >= 3 else 0
    dnf = max(1, count // 3) if count >= 2 else 0
    apt = count - dnf - zypper
    if not zypper_ok:
        dnf, zypper = dnf + zypper, 0
    return ["apt"] * apt + ["dnf"] * dnf + ["zypper"] * zypper


def host_names(plan: list[str]) -> list[str]:
    """lab-apt-01.., lab-dnf-01.., lab-zypper-01.. numbered per manager."""
    counters: dict[str, int] = {}
    names = []
    for manager in plan:
        counters[manager] = counters.get(manager, 0) + 1
        names.append(f"lab-{manager}-{counters[manager]:02d}")
    return names


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise LabError(f"{name}={value!r} is not a number") from exc


@dataclass
class Settings:
    state_dir: Path
    port_base: int
    repo_port: int
    cache_dir: Path
    inventory_dir: Path

    @classmethod
    def resolve(
        cls,
        state_dir: str | None = None,
        port_base: int | None = None,
        repo_port_override: int | None = None,
        environ: dict | None = None,
    ) -> Settings:
        env = os.environ if environ is None else environ
        sd = Path(state_dir or env.get("EVERYLAYER_LAB_DIR") or DEFAULT_STATE_DIR)
        if port_base is None:
            raw = env.get("EVERYLAYER_LAB_PORT_BASE")
            try:
                port_base = int(raw) if raw else DEFAULT_PORT_BASE
            except ValueError as exc:
                raise LabError(f"EVERYLAYER_LAB_PORT_BASE={raw!r} is not a number") from exc
        if not 1024 <= port_base <= 65000:
            raise LabError(f"port base {port_base} is outside 1024-65000")
        if repo_port_override is None:
            raw = env.get("EVERYLAYER_LAB_REPO_PORT")
            repo_port_override = int(raw) if raw and raw.isdigit() else None
        xdg = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "/root")) / ".cache")
        inv = env.get("EVERYLAYER_LAB_INVENTORY_DIR") or str(REPO_ROOT / "inventories" / "lab" / "generated")
        return cls(
            state_dir=sd.absolute(),
            port_base=port_base,
            repo_port=repo_port(port_base, repo_port_override),
            cache_dir=Path(xdg).absolute() / "everylayer-lab",
            inventory_dir=Path(inv).absolute(),
        )

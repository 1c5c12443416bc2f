"""What every simulated CLI shares: a command table per mode, confirmations, hashing, uptime text."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .device import Device

Handler = Callable[..., "str | Awaitable[str]"]


class Confirm:
    """A question the device asks; the next input line answers it."""

    def __init__(self, question: str, answer: Callable[[str], str | Awaitable[str]]) -> None:
        self.question = question
        self.answer = answer


class Cli:
    platform = ""
    #: (mode, regex, method name); the first match wins
    commands: list[tuple[str, str, str]] = []
    banner = ""
    #: user mode (prompt ``>``), where a login lands when the simulator has an enable secret
    user_commands = [
        ("user", r"terminal (?:width|length) \d+", "noop"),
        ("user", r"enable", "enable"),
        ("user", r"exit", "noop"),
    ]

    def __init__(self, device: Device, sim: Any) -> None:
        self.device = device
        self.sim = sim
        self.enable_secret = getattr(sim, "enable_secret", None)
        self.mode = "user" if self.enable_secret else "exec"
        self.confirm: Confirm | None = None
        self.closing = False

    def enable(self) -> str:
        def check(answer: str) -> str:
            if answer == self.enable_secret:
                self.mode = "exec"
                return ""
            return "% Access denied"

        self.confirm = Confirm("Password: ", check)
        return ""

    @property
    def host(self) -> str:
        return self.device.name

    def prompt(self) -> str:
        raise NotImplementedError

    def invalid(self, line: str) -> str:
        return f"% Invalid input detected at '^' marker.\n{line}\n^"

    async def handle(self, line: str) -> str:
        if self.confirm is not None:
            confirm, self.confirm = self.confirm, None
            out = confirm.answer(line.strip())
            return await out if isinstance(out, Awaitable) else out
        line = line.strip()
        if not line:
            return ""
        hang = self.device.faults().get("hang-command")
        if hang is not None and line == hang.get("command"):
            await asyncio.sleep(3600)  # never answers; the client gives up
        for mode, pattern, method in self.commands:
            if mode != self.mode:
                continue
            match = re.fullmatch(pattern, line)
            if match:
                out = getattr(self, method)(*match.groups())
                return await out if isinstance(out, Awaitable) else out
        return self.unknown(line)

    def unknown(self, line: str) -> str:
        return self.invalid(line)

    # -- shared behaviour -------------------------------------------------------------------
    async def hashed(self, name: str) -> str | None:
        """MD5 of a flash file, honouring the slow-hash / fail-hash faults; raises OSError on failure."""
        delay = self.device.fault_value("slow-hash", "seconds", 20.0)
        if delay:
            await asyncio.sleep(delay)
        if self.device.take_fault("fail-hash"):
            raise OSError("Input/output error")
        return self.device.md5(name)

    def request_reload(self) -> str:
        self.closing = True
        self.sim.request_reload()
        return ""

    #: table -> {line prefix: replacement line, or None to drop it} while the link-down fault holds
    link_down: dict[str, dict[str, str | None]] = {}

    def table(self, name: str, text: str) -> str:
        """A show-table as the device prints it, with the second uplink down after a link-down boot."""
        if not self.device.state.get("link_down"):
            return text
        rules = self.link_down.get(name, {})
        out = []
        for line in text.splitlines():
            hit = next((prefix for prefix in rules if line.lstrip().startswith(prefix)), None)
            if hit is None:
                out.append(line)
            elif rules[hit] is not None:
                out.append(rules[hit])
        return "\n".join(out)

    def flash_lines(self, fmt: Callable[[str, int, float], str], only: str | None = None) -> list[str]:
        return [fmt(n, s, m) for n, s, m in self.device.files() if only is None or n == only]


def when(mtime: float, style: str) -> str:
    t = time.gmtime(mtime)
    if style == "ios":
        return time.strftime("%b %d %Y %H:%M:%S +00:00", t)
    if style == "nxos":
        return time.strftime("%b %d %H:%M:%S %Y", t)
    if style == "eos":
        return time.strftime("%b %d %H:%M", t)
    return time.strftime("%b %d %H:%M", t)


def split_uptime(seconds: float) -> tuple[int, int, int, int, int]:
    s = int(seconds)
    weeks, s = divmod(s, 7 * 86400)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    return weeks, days, hours, minutes, s


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")

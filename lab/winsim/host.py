"""What the simulated Windows host does with a command: PowerShell's ``-EncodedCommand`` decoded, Ansible's
exec-wrapper payload (bootstrap manifest, four NUL bytes, exec manifest) read for the module name and its
``complex_args``, and the answer taken from a model, never from running PowerShell.

Understood: ``raw`` one-liners (hostname, whoami, echo/Write-Output, ``$env:COMPUTERNAME``), the reboot and
boot-time scripts of :mod:`everylayer.patch`'s windows_updates action (``shutdown.exe /r``,
``LastBootUpTime``), and the modules in :data:`MODULES`. Anything else answers as PowerShell does for an
unknown command (rc 1, "is not recognized") or, for a module, a failed result naming the gap.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from . import wua
from .wsman import DropConnection

NUL_SEPARATOR = b"\n\0\0\0\0\n"


def decode_command(command: str, args: list[str]) -> str:
    """The PowerShell script a WinRM Command carries (``-EncodedCommand`` is base64 of UTF-16-LE)."""
    words = [w for part in (command, *args) for w in part.split()]
    for flag, value in zip(words, words[1:], strict=False):
        if flag.lower() in ("-encodedcommand", "-enc", "-e"):
            return base64.b64decode(value).decode("utf-16-le")
    return " ".join([command, *args])


def module_script(stdin: bytes) -> tuple[str, bytes, list[str]] | None:
    """(script name, script bytes, C# module_utils) of the module the exec-wrapper payload carries."""
    if NUL_SEPARATOR not in stdin:
        return None
    manifest = json.loads(stdin.split(NUL_SEPARATOR, 1)[1])
    for action in manifest.get("actions", []):
        params = action.get("params") or {}
        name = params.get("Script")
        if name and name in manifest.get("scripts", {}):
            return name, base64.b64decode(manifest["scripts"][name]["script"]), list(params.get("CSharpModules") or [])
    return None


def module_invocation(stdin: bytes) -> tuple[str, dict] | None:
    """(module name, module args) from the exec-wrapper payload, or None when stdin carries none."""
    if NUL_SEPARATOR not in stdin:
        return None
    manifest = json.loads(stdin.split(NUL_SEPARATOR, 1)[1])
    for action in manifest.get("actions", []):
        params = action.get("params") or {}
        if params.get("ForModule") or "Script" in params:
            name = str(params.get("Script", "")).removesuffix(".ps1")
            m = re.match(r"^ansible_collections\.(\w+)\.(\w+)\.plugins\.modules\.(\w+)$", name)
            if m:
                name = ".".join(m.groups())
            args = {}
            for var in params.get("Variables", []):
                if var.get("Name") == "complex_args":
                    args = var.get("Value") or {}
            return name, args
    return None


def _ping(args: dict, model: wua.Model) -> dict:
    data = args.get("data", "pong")
    if data == "crash":
        raise RuntimeError("boom")
    return {"changed": False, "ping": data}


MODULES = {
    "everylayer.patch.windows_updates": lambda args, model: model.module(args),
    "ansible.windows.win_ping": _ping,
    "win_ping": _ping,
}


class Host:
    """One simulated Windows host: the WinRM runner and the WUA model behind it."""

    def __init__(self, model: wua.Model):
        self.model = model
        self.log: list[str] = []

    def slow(self, command: str, args: list[str], stdin: bytes) -> bool:
        """Downloads and installs outlast one Receive: the first answers OperationTimeout."""
        invocation = module_invocation(stdin)
        if invocation and invocation[1].get("operation") in ("download", "install", "uninstall"):
            self.model.note(f"receive OperationTimeout for {invocation[1].get('operation')}")
            return True
        return False

    def down(self) -> bool:
        return self.model.is_down()

    def run(self, command: str, args: list[str], stdin: bytes) -> tuple[int, bytes, bytes]:
        script = decode_command(command, args)
        invocation = module_invocation(stdin)
        if invocation is not None:
            name, margs = invocation
            self.model.note(f"module {name} {json.dumps(margs, sort_keys=True)}")
            shipped = module_script(stdin)
            if shipped:
                digest = hashlib.sha256(shipped[1]).hexdigest()
                self.model.note(f"script {shipped[0]} sha256 {digest} csharp {','.join(shipped[2])}")
            handler = MODULES.get(name) or MODULES.get(name.rsplit(".", 1)[-1])
            if handler is None:
                return (
                    1,
                    json.dumps(
                        {"failed": True, "msg": f"the Windows host simulator does not implement module {name}"}
                    ).encode(),
                    b"",
                )
            try:
                result = handler(margs, self.model)
            except DropConnection:
                raise
            except Exception as exc:  # noqa: BLE001 - a module exception is a failed result, as the exec wrapper makes it
                result = {"failed": True, "msg": f"Unhandled exception while executing module: {exc}"}
            return (1 if result.get("failed") else 0), json.dumps(result).encode(), b""
        return self._script(script.strip())

    def _script(self, script: str) -> tuple[int, bytes, bytes]:
        self.model.note(f"script {script[:200]!r}")
        first = script.splitlines()[0].strip() if script else ""
        if "shutdown.exe /r" in script:
            self.model.reboot()
            return 0, b"", b""
        if "LastBootUpTime" in script:
            return 0, f"{self.model.boot_id()}\r\n".encode(), b""
        low = first.lower()
        if low in ("hostname", "$env:computername"):
            return 0, f"{self.model.hostname}\r\n".encode(), b""
        if low == "whoami":
            return 0, f"{self.model.hostname.lower()}\\{self.model.user}\r\n".encode(), b""
        m = re.match(r"^(?:echo|write-output)\s+(['\"]?)(.*)\1$", first, re.I)
        if m:
            return 0, (m.group(2) + "\r\n").encode(), b""
        if low.startswith("exit "):
            try:
                return int(low.split()[1]), b"", b""
            except ValueError:
                pass
        word = first.split(" ", 1)[0] if first else script
        return (
            1,
            b"",
            (
                f"{word} : The term '{word}' is not recognized as the name of a cmdlet, function, script file, or "
                "operable program. (the Windows host simulator runs no PowerShell)\r\n"
            ).encode(),
        )

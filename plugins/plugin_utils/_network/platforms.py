# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One small class of commands per platform. A platform knows what to type and which parser reads
the answer; the runbook (runbook.py) decides what to do and never types a command itself.

``s`` below is a session.Session (``send``, ``config``, ``interact``).
"""

from __future__ import annotations

import re

from . import NetworkImageError, checks, parsers, stack

RELOAD_ANSWERS = (
    (r"Save\? \[yes/no(?:/cancel/diff)?\]:?", "no"),
    (r"\[confirm\]", ""),
    (r"\(y/n\)\?", "y"),
    (r"\[yes,no\]", "yes"),
)
_CONFIG_NOISE = re.compile(r"^(!|Building configuration|Current configuration|Using \d+ out of|\s*$)")
#: how CLIs say no: IOS/IOS-XE/NX-OS/EOS "% ..." lines, NX-OS/Junos words, Junos and NX-OS "error:" lines
ERROR_LINES = re.compile(
    r"^\s*(?:%\s*\S.*|%Error.*|(?:Invalid command|No such command|Syntax error|unknown command|"
    r"Incomplete command|Ambiguous command)\b.*|error:.*|ERROR:.*)$",
    re.I,
)
#: lines of a show command's answer searched for an error (the CLI prints it right after the echo): further down,
#: a "% " line can be data (a banner in show running-config)
HEAD_LINES = 6


def _config_body(text: str) -> list[str]:
    return [line.rstrip() for line in parsers.clean(text).splitlines() if not _CONFIG_NOISE.match(line)]


class Platform:
    name = ""
    #: netmiko device_type
    device_type = ""
    #: prefix of a file on the image file system, as boot and hash commands write it
    prefix = ""
    #: file_system argument of netmiko's FileTransfer
    scp_file_system = ""
    #: does the boot variable only persist once the configuration is saved?
    boot_needs_save = True
    #: can the boot variable list a fallback image after the new one?
    boot_fallback = True
    snapshot_commands: dict[str, tuple[str, object]] = {}
    #: a prompt that means user (unprivileged) mode; None where the CLI has no such mode
    user_mode_prompt: str | None = r">\s*$"
    #: the version command
    version_command = "show version"

    # -- the device's own errors --------------------------------------------------------------
    def device_error(self, out: str, head_only: bool = False) -> str | None:
        """The device's error words in ``out`` (with the line before, which often holds the ^ marker)."""
        lines = [line for line in parsers.clean(out).splitlines() if line.strip()]
        if head_only:
            lines = lines[:HEAD_LINES]
        for index, line in enumerate(lines):
            if ERROR_LINES.match(line):
                return " / ".join(x.strip() for x in lines[index : index + 2])
        return None

    def raise_device_error(
        self, command: str, out: str, head_only: bool = False, refused: bool = False, what: str | None = None
    ) -> None:
        """Raise with the command and the device's words when ``out`` holds an error of this CLI."""
        words = self.device_error(out, head_only=head_only)
        if words:
            verb = "refused" if refused else "rejected"
            raise NetworkImageError(
                f"the device {verb} {what or repr(command)}: {words}", command=command, device_said=words
            )

    def read_version(self, s, parse) -> dict:
        """``show version`` parsed; a device that prints no version fails here (never 'device runs None')."""
        out = s.send(self.version_command)
        facts = parse(out)
        if not facts.get("version"):
            head = " / ".join(line.strip() for line in parsers.clean(out).splitlines() if line.strip())[:300]
            raise NetworkImageError(
                f"could not read the software version from {self.version_command!r}; the device answered: "
                f"{head or '(nothing)'}",
                command=self.version_command,
            )
        facts.setdefault("version_raw", facts["version"])
        self.refuse_unsupported(facts, out)
        return facts

    def refuse_unsupported(self, facts: dict, out: str) -> None:
        """Operating modes this runbook must not touch raise here (per platform)."""

    def path(self, filename: str) -> str:
        return f"{self.prefix}{filename}"

    def basename(self, path: str | None) -> str | None:
        if not path:
            return None
        return re.split(r"[:/]", path)[-1] or None

    # -- facts --------------------------------------------------------------------------------
    def version(self, s) -> dict:
        raise NotImplementedError

    def boot(self, s) -> list[str]:
        raise NotImplementedError

    def storage(self, s) -> dict:
        return parsers.dir_listing(s.send(f"dir {self.prefix}"))

    def config_saved(self, s) -> bool:
        running = self.answer(s, "show running-config", what="the running configuration")
        startup = self.answer(s, "show startup-config", what="the startup configuration")
        return _config_body(running) == _config_body(startup)

    def facts(self, s) -> dict:
        facts = self.version(s)
        facts["boot"] = [self.basename(p) for p in self.boot(s)]
        store = self.storage(s)
        facts.update(files=store["files"], free=store["free"], total=store["total"])
        facts["image"] = self.basename(facts.get("image")) or self.running_image(facts)
        facts["config_saved"] = self.config_saved(s)
        return facts

    def running_image(self, facts: dict) -> str | None:
        """Platforms whose 'show version' omits the image: the boot image, if one is set."""
        return facts["boot"][0] if facts.get("boot") else None

    def md5(self, s, filename: str, timeout: float) -> tuple[str | None, str]:
        out = s.send(f"verify /md5 {self.path(filename)}", read_timeout=timeout, check=False)
        return parsers.md5_digest(out), out

    # -- actions ------------------------------------------------------------------------------
    def set_boot(self, s, images: list[str]) -> None:
        s.config(["no boot system", *(f"boot system {self.path(i)}" for i in images)])

    def save(self, s) -> None:
        s.send("write memory", minimum=120)

    def delete(self, s, filename: str) -> None:
        s.send(f"delete /force {self.path(filename)}")

    def reload(self, s) -> bool:
        return s.interact("reload", RELOAD_ANSWERS)

    def backup(self, s) -> str:
        return parsers.clean(s.send("show running-config", minimum=120))

    def members(self, s) -> list[dict]:
        """Stack members, supervisors, modules with their versions (stack.COMMANDS); [] on a single unit."""
        outputs = {}
        for command in stack.COMMANDS.get(self.name, ()):
            text = s.send(command, check=False)
            outputs[command] = "" if self.device_error(text, head_only=True) else text
        return stack.members(self.name, outputs)

    def snapshot(self, s) -> dict[str, dict[str, str] | str]:
        """Operational state per check. A check the device refuses (an error: no BGP configured) is left out;
        one whose command answered nothing, or no table its parser reads, is ``checks.UNREADABLE`` (never an
        empty table that would pass the comparison); ``unreadable`` (check -> command) says which."""
        out: dict[str, dict[str, str] | str] = {}
        for name, (cmd, parse) in self.snapshot_commands.items():
            text = s.send(cmd, check=False)
            if self.device_error(text, head_only=True) is not None:
                continue
            out[name] = parse(text) if checks.readable(name, text) else checks.UNREADABLE
        return out

    def answer(self, s, command: str, marker: str | None = None, what: str = "") -> str:
        """``command``'s output; an empty answer, or one without ``marker`` (what every real answer holds),
        fails naming the command: it is never read as 'nothing set'."""
        out = s.send(command)
        text = parsers.clean(out)
        if not text.strip() or (marker and not re.search(marker, text, re.M | re.I)):
            head = " / ".join(line.strip() for line in text.splitlines() if line.strip())[:300]
            raise NetworkImageError(
                f"{command!r} answered {'with ' + repr(head) if head else 'nothing'}: could not read {what or 'it'}",
                command=command,
            )
        return out


class CiscoIos(Platform):
    name = device_type = "cisco_ios"
    prefix = scp_file_system = "flash:"
    snapshot_commands = {
        "interfaces": ("show interfaces status", checks.interfaces_status),
        "lldp": ("show lldp neighbors", checks.lldp_neighbors),
        "bgp": ("show ip bgp summary", checks.bgp_neighbors),
    }

    def version(self, s) -> dict:
        return self.read_version(s, parsers.ios_version)

    def refuse_unsupported(self, facts: dict, out: str) -> None:
        if "boot_mode" not in facts:  # stand-in until the parser reports it
            image = facts.get("image") or ""
            facts["boot_mode"] = "install" if image.endswith("packages.conf") else ("bundle" if image else None)
        mode = re.search(r"^Router operating mode:\s*(.+)$", parsers.clean(out), re.M)
        if mode and "controller" in mode.group(1).lower():
            raise NetworkImageError(
                f"the device runs IOS-XE in {mode.group(1).strip()} mode (SD-WAN): its image is managed by the "
                "SD-WAN controller; network_image refuses to change it",
                unsupported_mode="controller",
            )

    def boot(self, s) -> list[str]:
        return parsers.ios_boot(self.answer(s, "show boot", r"^\s*BOOT (?:path-list|variable)", "the boot variable"))


class CiscoNxos(Platform):
    name = device_type = "cisco_nxos"
    prefix = scp_file_system = "bootflash:"
    boot_fallback = False
    snapshot_commands = {
        "interfaces": ("show interface status", checks.interfaces_status),
        "lldp": ("show lldp neighbors", checks.lldp_neighbors),
        "bgp": ("show ip bgp summary", checks.bgp_neighbors),
    }

    user_mode_prompt = None

    def version(self, s) -> dict:
        return self.read_version(s, parsers.nxos_version)

    def refuse_unsupported(self, facts: dict, out: str) -> None:
        aci = facts.get("aci")
        if aci is None:  # stand-in until the parser reports it
            aci = bool(re.search(r"aci-n9000|\bACI\b|APIC", out))
        if aci:
            raise NetworkImageError(
                "the switch runs in ACI mode: its firmware is managed by the APIC (firmware groups); "
                "network_image supports standalone NX-OS only and refuses to change it",
                unsupported_mode="aci",
            )

    def boot(self, s) -> list[str]:
        return parsers.nxos_boot(self.answer(s, "show boot", r"Boot Variables|variable\s*=", "the boot variables"))

    def md5(self, s, filename: str, timeout: float) -> tuple[str | None, str]:
        out = s.send(f"show file {self.path(filename)} md5sum", read_timeout=timeout, check=False)
        return parsers.md5_digest(out), out

    def set_boot(self, s, images: list[str]) -> None:
        s.config([f"boot nxos {self.path(images[0])}"])

    def save(self, s) -> None:
        s.send("copy running-config startup-config", minimum=300)

    def delete(self, s, filename: str) -> None:
        s.send(f"delete {self.path(filename)} no-prompt")


class AristaEos(Platform):
    name = device_type = "arista_eos"
    prefix = "flash:"
    scp_file_system = "/mnt/flash"
    boot_needs_save = False
    boot_fallback = False
    snapshot_commands = {
        "interfaces": ("show interfaces status", checks.interfaces_status),
        "lldp": ("show lldp neighbors", checks.lldp_neighbors),
        "bgp": ("show ip bgp summary", checks.bgp_neighbors),
    }

    def version(self, s) -> dict:
        return self.read_version(s, parsers.eos_version)

    def boot(self, s) -> list[str]:
        return parsers.eos_boot(self.answer(s, "show boot-config", r"^Software image:", "the boot image"))

    def set_boot(self, s, images: list[str]) -> None:
        s.config([f"boot system {self.path(images[0])}"])

    def delete(self, s, filename: str) -> None:
        s.send(f"delete {self.path(filename)}")


class JuniperJunos(Platform):
    name = device_type = "juniper_junos"
    prefix = "/var/tmp/"  # noqa: S108 - the device's image directory, not a local path
    scp_file_system = "/var/tmp"  # noqa: S108
    boot_needs_save = False
    snapshot_commands = {
        "interfaces": ("show interfaces terse", checks.junos_interfaces),
        "lldp": ("show lldp neighbors", checks.lldp_neighbors),
        "bgp": ("show bgp summary", checks.bgp_neighbors),
    }

    user_mode_prompt = None  # ">" is Junos' operational mode

    def version(self, s) -> dict:
        facts = self.read_version(s, parsers.junos_version)
        facts["uptime"] = parsers.junos_uptime(s.send("show system uptime"))
        software = parsers.junos_pending(s.send("show system software"))
        facts["image"] = software["booted"]
        facts["pending"] = software["pending"]
        return facts

    def boot(self, s) -> list[str]:
        software = parsers.junos_pending(s.send("show system software"))
        first = software["pending"] or software["booted"]
        return [first] if first else []

    def storage(self, s) -> dict:
        listing = parsers.junos_file_list(s.send(f"file list {self.prefix} detail"))
        space = parsers.junos_storage(s.send("show system storage"))
        listing.update(free=space["free"], total=space["total"])
        return listing

    def config_saved(self, s) -> bool:
        return True  # Junos only runs committed configuration

    def md5(self, s, filename: str, timeout: float) -> tuple[str | None, str]:
        out = s.send(f"file checksum md5 {self.path(filename)}", read_timeout=timeout, check=False)
        return parsers.md5_digest(out), out

    def set_boot(self, s, images: list[str]) -> None:
        out = s.send(f"request system software add {self.path(images[0])} no-validate", minimum=1800, check=False)
        if re.search(r"^error:", parsers.clean(out), re.M):
            raise RuntimeError(out.strip())

    def save(self, s) -> None:
        return None

    def delete(self, s, filename: str) -> None:
        s.send(f"file delete {self.path(filename)}")

    def reload(self, s) -> bool:
        return s.interact("request system reboot", RELOAD_ANSWERS)

    def backup(self, s) -> str:
        return parsers.clean(s.send("show configuration | display set", minimum=120))


PLATFORMS: dict[str, type[Platform]] = {cls.name: cls for cls in (CiscoIos, CiscoNxos, AristaEos, JuniperJunos)}
#: ansible_network_os spellings -> platform
ALIASES = {
    "ios": "cisco_ios",
    "cisco.ios.ios": "cisco_ios",
    "cisco_xe": "cisco_ios",
    "iosxe": "cisco_ios",
    "nxos": "cisco_nxos",
    "cisco.nxos.nxos": "cisco_nxos",
    "eos": "arista_eos",
    "arista.eos.eos": "arista_eos",
    "junos": "juniper_junos",
    "junipernetworks.junos.junos": "juniper_junos",
    "juniper": "juniper_junos",
}


def get_platform(name: str) -> Platform:
    key = ALIASES.get(name, name)
    if key not in PLATFORMS:
        known = ", ".join(sorted(PLATFORMS))
        raise KeyError(f"unsupported platform {name!r}: use one of {known} (or their ansible_network_os names)")
    return PLATFORMS[key]()

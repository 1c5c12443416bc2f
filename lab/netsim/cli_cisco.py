"""Cisco IOS-XE (bundle mode) and NX-OS dialects, shaped after the captures in tests/.../fixtures."""

from __future__ import annotations

from .cli_base import Cli, Confirm, plural, split_uptime, when
from .install import IosXeMixin

IOS_INTERFACES = """Port         Name               Status       Vlan       Duplex  Speed Type
Gi1/0/1      uplink-core-01     connected    trunk      a-full a-1000 10/100/1000BaseTX
Gi1/0/2      uplink-core-02     connected    trunk      a-full a-1000 10/100/1000BaseTX
Gi1/0/3      AccessPoint        connected    8          a-full a-1000 10/100/1000BaseTX
Gi1/0/4                         notconnect   1            auto   auto 10/100/1000BaseTX
Gi1/0/5      Spare Port         disabled     1            auto   auto 10/100/1000BaseTX"""

IOS_LLDP = """Capability codes:
    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device
    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other

Device ID           Local Intf     Hold-time  Capability      Port ID
lab-core-01         Gi1/0/1        120        B,R             Gi1/0/48
lab-core-02         Gi1/0/2        120        B,R             Gi1/0/48

Total entries displayed: 2"""

IOS_BGP = """BGP router identifier 10.255.0.1, local AS number 65001
BGP table version is 42, main routing table version 42
12 network entries using 2976 bytes of memory

Neighbor        V           AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd
10.0.0.1        4        65000    1203    1187       42    0    0 {up}          12
10.0.0.5        4        65000    1199    1190       42    0    0 {up}          12
10.0.0.9        4        65100       0       0        1    0    0 never    Idle (Admin)"""

NXOS_INTERFACES = """--------------------------------------------------------------------------------
Port          Name               Status    Vlan      Duplex  Speed   Type
--------------------------------------------------------------------------------
mgmt0         --                 connected routed    full    1000    --
Eth1/1        uplink-spine-01    connected routed    full    100G    QSFP-100G-CR4
Eth1/2        uplink-spine-02    connected routed    full    100G    QSFP-100G-CR4
Eth1/3        --                 xcvrAbsen 1         auto    auto    --
Eth1/4        server-rack-04     connected 10        full    25G     SFP-H25GB-CU1M"""

NXOS_LLDP = """Capability codes:
  (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device
  (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other
Device ID            Local Intf      Hold-time  Capability  Port ID
lab-spine-01.lab.example.net
                     Eth1/1          120        BR          Ethernet1/49
lab-spine-02         Eth1/2          120        BR          Ethernet1/49
Total entries displayed: 2"""

NXOS_BGP = """BGP summary information for VRF default, address family IPv4 Unicast
BGP router identifier 10.255.0.2, local AS number 65002
BGP table version is 17, IPv4 Unicast config peers 2, capable peers 2
8 network entries and 8 paths using 1952 bytes of memory
Neighbor        V    AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd
10.1.0.1        4 65000     301     299       17    0    0 {up}  4
10.1.0.5        4 65000     300     298       17    0    0 {up}  4"""


def ios_uptime(seconds: float) -> str:
    weeks, days, hours, minutes, _ = split_uptime(seconds)
    parts = []
    if weeks:
        parts.append(plural(weeks, "week"))
    if days:
        parts.append(plural(days, "day"))
    if hours:
        parts.append(plural(hours, "hour"))
    parts.append(plural(minutes, "minute"))
    return ", ".join(parts)


def bgp_up(seconds: float) -> str:
    _w, _d, hours, minutes, secs = split_uptime(seconds)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


class CiscoIos(IosXeMixin, Cli):
    platform = "cisco_ios"
    banner = "\nLab device: authorised use only. Every session is logged.\n\n"
    commands = [
        *Cli.user_commands,
        *IosXeMixin.install_commands,
        ("exec", r"terminal (?:width|length) \d+", "noop"),
        ("exec", r"show version", "show_version"),
        ("exec", r"show boot", "show_boot"),
        ("exec", r"dir(?: (\S+))?", "dir"),
        ("exec", r"verify /md5 (\S+)", "verify_md5"),
        ("exec", r"delete /force (\S+)", "delete"),
        ("exec", r"(?:write memory|write mem|wr|copy running-config startup-config)", "write"),
        ("exec", r"show running-config", "show_running"),
        ("exec", r"show startup-config", "show_startup"),
        ("exec", r"show interfaces status", "show_interfaces"),
        ("exec", r"show lldp neighbors", "show_lldp"),
        ("exec", r"show ip bgp summary", "show_bgp"),
        ("exec", r"reload", "reload"),
        ("exec", r"(?:configure terminal|conf t)", "configure"),
        ("exec", r"(?:enable|exit)", "noop"),
        ("config", r"(?:end|exit)", "end"),
        ("config", r"no boot system(?: (\S+))?", "no_boot"),
        ("config", r"boot system (\S+)", "boot_system"),
        ("config", r"(.+)", "config_line"),
    ]
    fs = "flash:"
    link_down = {
        "interfaces": {
            "Gi1/0/2 ": "Gi1/0/2      uplink-core-02     notconnect   trunk        auto   auto 10/100/1000BaseTX"
        },
        "lldp": {"lab-core-02 ": None},
        "bgp": {"10.0.0.5 ": "10.0.0.5        4        65000       0       0        1    0    0 never    Idle"},
    }

    def prompt(self) -> str:
        if self.mode == "user":
            return f"{self.host}>"
        return f"{self.host}(config)#" if self.mode == "config" else f"{self.host}#"

    def noop(self, *_args: str) -> str:
        return ""

    def show_version(self) -> str:
        st = self.device.state
        long_ver = st["version"]
        short = ".".join(p.lstrip("0") or "0" for p in long_ver.split("."))
        up = ios_uptime(self.device.uptime())
        return f"""Cisco IOS XE Software, Version {long_ver}
Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version {short}, RELEASE SOFTWARE (fc3)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2024 by Cisco Systems, Inc.
Compiled Tue 12-Mar-24 10:18 by mcpre

ROM: IOS-XE ROMMON
BOOTLDR: System Bootstrap, Version 17.9.1r, RELEASE SOFTWARE (P)

{self.host} uptime is {up}
Uptime for this control processor is {up}
System returned to ROM by Reload Command
System image file is "flash:{st["image"]}"
Last reload reason: Reload Command

cisco C9300-24T (X86) processor with 1338934K/6147K bytes of memory.
Processor board ID FOC2233Y0LA
24 Gigabit Ethernet interfaces
2048K bytes of non-volatile configuration memory.
{self.device.capacity() // 1024}K bytes of Flash at flash:.

{self.stack_table()}

Configuration register is 0x102
"""

    def show_boot(self) -> str:
        path = ";".join(f"flash:{n}" for n in self.device.state["boot"])
        return f"""BOOT path-list      : {path}
Config file         : flash:/config.text
Private Config file : flash:/private-config.text
Enable Break        : no
Manual Boot         : no
HELPER path-list    :
Auto upgrade        : yes"""

    def dir(self, path: str | None) -> str:
        only = None
        shown = "flash:/"
        if path and path.rstrip("/") not in ("flash:", "bootflash:"):
            target = self.device.path(path)
            if target is None or not target.is_file():
                return f"%Error opening {path} (No such file or directory)"
            only, shown = target.name, path
        lines = self.flash_lines(lambda n, s, m: f"{17 + len(n):>6}  -rw-  {s:>12}  {when(m, 'ios')}  {n}", only)
        total = self.device.capacity()
        return (
            f"Directory of {shown}\n\n"
            + "\n".join(lines)
            + f"\n\n{total} bytes total ({self.device.free()} bytes free)"
        )

    async def verify_md5(self, path: str) -> str:
        try:
            digest = await self.hashed(path)
        except OSError as exc:
            return f"%Error verifying {path} ({exc})"
        if digest is None:
            return f"%Error opening {path} (No such file or directory)"
        return f"{'.' * 40}Done!\nverify /md5 ({path}) = {digest}"

    def delete(self, path: str) -> str:
        if self.device.delete(path):
            return ""
        return f"%Error deleting {path} (No such file or directory)"

    def write(self) -> str:
        self.device.save_config()
        return "Building configuration...\n[OK]"

    def config_text(self, boot: list[str], extra: list[str]) -> str:
        lines = ["!", "version 17.9", f"hostname {self.host}", "!"]
        lines += [f"boot system flash:{n}" for n in boot]
        lines += ["!", "interface GigabitEthernet1/0/1", " description uplink-core-01", "!"]
        lines += list(extra) + ["!", "end"]
        return "\n".join(lines)

    def show_running(self) -> str:
        self.device.note("config-read")
        body = self.config_text(self.device.state["running_boot"], self.device.state["running_extra"])
        return f"Building configuration...\n\nCurrent configuration : {len(body)} bytes\n{body}"

    def show_startup(self) -> str:
        body = self.config_text(self.device.state["boot"], self.device.state["startup_extra"])
        return f"Using {len(body)} out of 2097152 bytes\n{body}"

    def show_interfaces(self) -> str:
        return self.table("interfaces", IOS_INTERFACES)

    def show_lldp(self) -> str:
        return self.table("lldp", IOS_LLDP)

    def show_bgp(self) -> str:
        return self.table("bgp", IOS_BGP.format(up=bgp_up(self.device.uptime())))

    def reload(self) -> str:
        if not self.device.state.get("saved", True):
            self.confirm = Confirm("System configuration has been modified. Save? [yes/no]: ", self._save_answer)
            return ""
        return self._proceed()

    def _save_answer(self, answer: str) -> str:
        if answer.lower().startswith("y"):
            self.device.save_config()
        return (
            "Building configuration...\n[OK]\n" + self._proceed() if answer.lower().startswith("y") else self._proceed()
        )

    def _proceed(self) -> str:
        self.confirm = Confirm("Proceed with reload? [confirm]", self._reload_answer)
        return ""

    def _reload_answer(self, answer: str) -> str:
        if answer.lower() in ("", "y", "yes", "confirm"):
            return self.request_reload()
        return ""

    def configure(self) -> str:
        self.mode = "config"
        return "Enter configuration commands, one per line.  End with CNTL/Z."

    def end(self) -> str:
        self.mode = "exec"
        return ""

    def boot_system(self, path: str) -> str:
        self.device.set_running_boot([*self.device.state["running_boot"], self.device.path(path).name])
        return ""

    def no_boot(self, path: str | None) -> str:
        keep = (
            [] if path is None else [n for n in self.device.state["running_boot"] if n != self.device.path(path).name]
        )
        self.device.set_running_boot(keep)
        return ""

    def config_line(self, line: str) -> str:
        self.device.mark_unsaved(line)
        return ""


class CiscoNxos(CiscoIos):
    platform = "cisco_nxos"
    banner = ""
    link_down = {
        "interfaces": {"Eth1/2 ": "Eth1/2        uplink-spine-02    notconnec routed    auto    auto    QSFP-100G-CR4"},
        "lldp": {"lab-spine-02 ": None},
        "bgp": {"10.1.0.5 ": "10.1.0.5        4 65000       0       0        0    0    0 00:00:05 Idle"},
    }
    commands = [
        ("exec", r"terminal (?:width|length) \d+", "noop"),
        ("exec", r"show version", "show_version"),
        ("exec", r"show boot", "show_boot"),
        ("exec", r"dir(?: (\S+))?", "dir"),
        ("exec", r"show file (\S+) md5sum", "show_md5"),
        ("exec", r"delete (\S+)(?: no-prompt)?", "delete"),
        ("exec", r"copy running-config startup-config", "write"),
        ("exec", r"show running-config", "show_running"),
        ("exec", r"show startup-config", "show_startup"),
        ("exec", r"show interface status", "show_interfaces"),
        ("exec", r"show lldp neighbors", "show_lldp"),
        ("exec", r"show ip bgp summary", "show_bgp"),
        ("exec", r"reload", "reload"),
        ("exec", r"(?:configure terminal|conf t)", "configure"),
        ("exec", r"(?:enable|exit)", "noop"),
        ("config", r"(?:end|exit)", "end"),
        ("config", r"no boot nxos(?: (\S+))?", "no_boot"),
        ("config", r"boot nxos (\S+)", "boot_nxos"),
        ("config", r"(.+)", "config_line"),
    ]

    def prompt(self) -> str:
        return f"{self.host}(config)# " if self.mode == "config" else f"{self.host}# "

    def invalid(self, line: str) -> str:
        return f"{' ' * len(self.prompt())}^\n% Invalid command at '^' marker."

    def show_version(self) -> str:
        st = self.device.state
        weeks, days, hours, minutes, secs = split_uptime(self.device.uptime())
        return f"""Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Copyright (C) 2002-2024, Cisco and/or its affiliates.
All rights reserved.

Software
  BIOS: version 07.71
  NXOS: version {st["version"]} [Maintenance Release]
  BIOS compile time:  11/10/2024
  NXOS image file is: bootflash:///{st["image"]}
  NXOS compile time:  8/20/2024 12:00:00 [08/20/2024 06:31:13]

Hardware
  cisco Nexus9000 C93108TC-EX chassis
  Intel(R) Xeon(R) CPU  @ 1.80GHz with 24607580 kB of memory.
  Processor Board ID FDO23490570
  Device name: {self.host}
  bootflash:   {self.device.capacity() // 1024} kB

Kernel uptime is {weeks * 7 + days} day(s), {hours} hour(s), {minutes} minute(s), {secs} second(s)

Last reset at 310210 usecs after Mon Nov 23 13:00:00 2026
  Reason: Reset Requested by CLI command reload
  System version: {st["version"]}
  Service:
"""

    def show_boot(self) -> str:
        def block(names: list[str]) -> str:
            lines = "\n".join(f"NXOS variable = bootflash:/{n}" for n in names) or "No NXOS variable set"
            return f"sup-1\n{lines}\nBoot POAP Disabled"

        st = self.device.state
        return f"\nCurrent Boot Variables:\n\n{block(st['running_boot'])}\n\nBoot Variables on next reload:\n\n{block(st['boot'])}\n"

    def dir(self, path: str | None) -> str:
        only = None
        if path and path.rstrip("/") not in ("bootflash:", "flash:"):
            target = self.device.path(path)
            if target is None or not target.is_file():
                return "No such file or directory"
            only = target.name
        lines = self.flash_lines(lambda n, s, m: f"{s:>11}    {when(m, 'nxos')}  {n}", only)
        used, free = self.device.used(), self.device.free()
        usage = f"Usage for bootflash://sup-local\n {used} bytes used\n {free} bytes free\n {used + free} bytes total"
        return "\n".join(lines) + "\n\n" + usage

    async def show_md5(self, path: str) -> str:
        try:
            digest = await self.hashed(path)
        except OSError as exc:
            return f"show file: {exc}"
        return digest if digest is not None else "No such file or directory"

    def delete(self, path: str) -> str:
        return "" if self.device.delete(path) else "No such file or directory"

    def write(self) -> str:
        self.device.save_config()
        return "[########################################] 100%\nCopy complete, now saving to disk (please wait)...\nCopy complete."

    def config_text(self, boot: list[str], extra: list[str]) -> str:
        lines = [
            "!Command: show running-config",
            f"!Time: {when(0, 'nxos')}",
            "",
            f"version {self.device.state['version']}",
        ]
        lines += [f"hostname {self.host}", ""]
        lines += [f"boot nxos bootflash:/{n}" for n in boot]
        lines += ["interface Ethernet1/1", "  description uplink-spine-01", *extra]
        return "\n".join(lines)

    def show_running(self) -> str:
        self.device.note("config-read")
        return self.config_text(self.device.state["running_boot"], self.device.state["running_extra"])

    def show_startup(self) -> str:
        return self.config_text(self.device.state["boot"], self.device.state["startup_extra"])

    def show_interfaces(self) -> str:
        return self.table("interfaces", NXOS_INTERFACES)

    def show_lldp(self) -> str:
        return self.table("lldp", NXOS_LLDP)

    def show_bgp(self) -> str:
        return self.table("bgp", NXOS_BGP.format(up=bgp_up(self.device.uptime())))

    def reload(self) -> str:
        warn = "" if self.device.state.get("saved", True) else "!!!WARNING! there is unsaved configuration!!!\n"
        self.confirm = Confirm(warn + "This command will reboot the system. (y/n)?  [n] ", self._reload_answer)
        return ""

    def _reload_answer(self, answer: str) -> str:
        return self.request_reload() if answer.lower().startswith("y") else ""

    def boot_nxos(self, path: str) -> str:
        target = self.device.path(path)
        if target is None or not target.is_file():
            return f"% {path} does not exist"
        self.device.set_running_boot([target.name])
        return "Performing image verification and compatibility check, please wait....\n"

"""Arista EOS dialect (and its bash shell, which netmiko's SCP helper uses for df/ls)."""

from __future__ import annotations

import time

from .cli_base import Cli, Confirm, split_uptime, when

EOS_INTERFACES = """Port       Name                   Status       Vlan        Duplex  Speed Type
Et1        uplink-spine-01        connected    routed      full    100G  100GBASE-CR4
Et2        uplink-spine-02        connected    routed      full    100G  100GBASE-CR4
Et3        server-rack-03         connected    10          a-full  a-25G 25GBASE-CR
Et4                               notconnect   1           auto    auto  Not Present
Ma1                               connected    routed      a-full  a-1G  10/100/1000"""

EOS_LLDP = """Last table change time   : 0:12:02 ago
Number of table inserts  : 2
Number of table deletes  : 0
Number of table drops    : 0
Number of table age-outs : 0

Port       Neighbor Device ID             Neighbor Port ID           TTL
Et1        lab-spine-01.lab.example.net   Ethernet49/1               120
Et2        lab-spine-02                   Ethernet49/1               120"""

EOS_BGP = """BGP summary information for VRF default
Router identifier 10.255.0.3, local AS number 65003
Neighbor Status Codes: m - Under maintenance
  Neighbor         V  AS           MsgRcvd   MsgSent  InQ OutQ  Up/Down State   PfxRcd PfxAcc
  10.2.0.1         4  65000            187       191    0    0 {up} Estab   7      7
  10.2.0.5         4  65000            184       191    0    0 {up} Estab   7      7"""


class AristaEos(Cli):
    platform = "arista_eos"
    link_down = {
        "interfaces": {"Et2 ": "Et2        uplink-spine-02        notconnect   routed      auto    auto  100GBASE-CR4"},
        "lldp": {"Et2 ": None},
        "bgp": {"10.2.0.5 ": "  10.2.0.5         4  65000              0         0    0    0 00:00:05 Active"},
    }
    commands = [
        *Cli.user_commands,
        ("exec", r"terminal width (\d+)", "width"),
        ("exec", r"terminal length 0", "length"),
        ("exec", r"show version", "show_version"),
        ("exec", r"show boot-config", "show_boot"),
        ("exec", r"dir(?: (\S+))?", "dir"),
        ("exec", r"verify /md5 (\S+)", "verify_md5"),
        ("exec", r"delete (\S+)", "delete"),
        ("exec", r"(?:write memory|write|copy running-config startup-config)", "write"),
        ("exec", r"show running-config", "show_running"),
        ("exec", r"show startup-config", "show_startup"),
        ("exec", r"show interfaces status", "show_interfaces"),
        ("exec", r"show lldp neighbors", "show_lldp"),
        ("exec", r"show ip bgp summary", "show_bgp"),
        ("exec", r"reload(?: now)?", "reload"),
        ("exec", r"bash", "bash"),
        ("exec", r"(?:configure terminal|configure|conf t)", "configure"),
        ("exec", r"(?:enable|exit)", "noop"),
        ("config", r"(?:end|exit)", "end"),
        ("config", r"no boot system", "no_boot"),
        ("config", r"boot system (\S+)", "boot_system"),
        ("config", r"(.+)", "config_line"),
        ("shell", r"/bin/df -k (\S+)", "df"),
        ("shell", r"/bin/ls (\S+)(?: 2> /dev/null)?", "ls"),
        ("shell", r"/bin/ls -l (\S+)", "ls_long"),
        ("shell", r"exit", "leave_shell"),
    ]

    def prompt(self) -> str:
        if self.mode == "user":
            return f"{self.host}>"
        if self.mode == "shell":
            return f"[admin@{self.host} ~]$ "
        return f"{self.host}(config)#" if self.mode == "config" else f"{self.host}#"

    def unknown(self, line: str) -> str:
        if self.mode == "shell":
            return f"bash: {line.split(maxsplit=1)[0]}: command not found"
        return "% Invalid input"

    def noop(self, *_args: str) -> str:
        return ""

    def width(self, cols: str) -> str:
        return f"Width set to {cols} columns."

    def length(self) -> str:
        return "Pagination disabled."

    def show_version(self) -> str:
        st = self.device.state
        weeks, days, hours, minutes, _ = split_uptime(self.device.uptime())
        return f"""Arista vEOS-lab
Hardware version:
Serial number: SN-{self.host.upper()}
Hardware MAC address: 5254.0012.3456
System MAC address: 5254.0012.3456

Software image version: {st["version"]}
Architecture: x86_64
Internal build version: {st["version"]}-28481162.4276M
Internal build ID: f62c8154-2e05-4650-be1e-c30774deec7e
Image format version: 3.0
Image optimization: None

Uptime: {weeks} weeks, {days} days, {hours} hours and {minutes} minutes
Total memory: 3982820 kB
Free memory: 1807180 kB
"""

    def show_boot(self) -> str:
        image = f"flash:/{self.device.state['boot'][0]}" if self.device.state["boot"] else "(not set)"
        return f"Software image: {image}\nConsole speed: (not set)\nAboot password (encrypted): (not set)\nMemory test iterations: (not set)"

    def dir(self, path: str | None) -> str:
        only = None
        if path and path.rstrip("/") not in ("flash:", "file:/mnt/flash"):
            target = self.device.path(path)
            if target is None or not target.is_file():
                return f"% Error listing directory {path} (No such file or directory)"
            only = target.name
        lines = self.flash_lines(lambda n, s, m: f"       -rwx  {s:>10}           {when(m, 'eos')}  {n}", only)
        total = self.device.capacity()
        return (
            "Directory of flash:/\n\n" + "\n".join(lines) + f"\n\n{total} bytes total ({self.device.free()} bytes free)"
        )

    async def verify_md5(self, path: str) -> str:
        try:
            digest = await self.hashed(path)
        except OSError as exc:
            return f"% Error verifying {path}: {exc}"
        if digest is None:
            return f"% Error opening {path} (No such file or directory)"
        return f"verify /md5 ({path}) = {digest}"

    def delete(self, path: str) -> str:
        return "" if self.device.delete(path) else f"% Error deleting {path} (No such file or directory)"

    def write(self) -> str:
        self.device.save_config()
        return "Copy completed successfully."

    def config_text(self, extra: list[str]) -> str:
        lines = [
            "! Command: show running-config",
            f"! device: {self.host} (vEOS-lab, EOS-{self.device.state['version']})",
            "!",
        ]
        lines += [
            f"hostname {self.host}",
            "!",
            "interface Ethernet1",
            "   description uplink-spine-01",
            *extra,
            "!",
            "end",
        ]
        return "\n".join(lines)

    def show_running(self) -> str:
        return self.config_text(self.device.state["running_extra"])

    def show_startup(self) -> str:
        return self.config_text(self.device.state["startup_extra"])

    def show_interfaces(self) -> str:
        return self.table("interfaces", EOS_INTERFACES)

    def show_lldp(self) -> str:
        return self.table("lldp", EOS_LLDP)

    def show_bgp(self) -> str:
        _w, _d, h, m, s = split_uptime(self.device.uptime())
        return self.table("bgp", EOS_BGP.format(up=f"{h:02d}:{m:02d}:{s:02d}"))

    def reload(self) -> str:
        if not self.device.state.get("saved", True):
            self.confirm = Confirm("System configuration has been modified. Save? [yes/no/cancel/diff]:", self._save)
            return ""
        return self._proceed()

    def _save(self, answer: str) -> str:
        if answer.lower().startswith("y"):
            self.device.save_config()
        return self._proceed() if not answer.lower().startswith("c") else ""

    def _proceed(self) -> str:
        self.confirm = Confirm("Proceed with reload? [confirm]", self._go)
        return ""

    def _go(self, answer: str) -> str:
        return self.request_reload() if answer.lower() in ("", "y", "yes") else ""

    def bash(self) -> str:
        self.mode = "shell"
        return "Arista Networks EOS shell\n"

    def leave_shell(self) -> str:
        self.mode = "exec"
        return "logout"

    def df(self, _path: str) -> str:
        total, free = self.device.capacity() // 1024, self.device.free() // 1024
        used = total - free
        return (
            "Filesystem     1K-blocks    Used Available Use% Mounted on\n"
            f"/dev/sda1      {total:>9} {used:>7} {free:>9} {used * 100 // max(total, 1):>3}% /mnt/flash"
        )

    def ls(self, path: str) -> str:
        target = self.device.path(path)
        return path if target is not None and target.is_file() else ""

    def ls_long(self, path: str) -> str:
        target = self.device.path(path)
        if target is None or not target.is_file():
            return f"/bin/ls: cannot access '{path}': No such file or directory"
        stamp = time.strftime("%b %d %H:%M", time.gmtime(target.stat().st_mtime))
        return f"-rwxrwx--- 1 root eosadmin {target.stat().st_size} {stamp} {path}"

    def configure(self) -> str:
        self.mode = "config"
        return ""

    def end(self) -> str:
        self.mode = "exec"
        return ""

    def boot_system(self, path: str) -> str:
        target = self.device.path(path)
        if target is None or not target.is_file():
            return f"% File {path} does not exist"
        self.device.set_boot([target.name])
        return ""

    def no_boot(self) -> str:
        self.device.set_boot([])
        return ""

    def config_line(self, line: str) -> str:
        self.device.mark_unsaved(line)
        return ""

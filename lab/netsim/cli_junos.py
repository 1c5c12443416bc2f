"""Juniper Junos dialect. Pending software (Junos has no boot variable) is read with
``show system software``, a command modelled by the lab (no capture of it was available)."""

from __future__ import annotations

import time

from .cli_base import Cli, Confirm, split_uptime, when

JUNOS_INTERFACES = """Interface               Admin Link Proto    Local                 Remote
ge-0/0/0                up    up
ge-0/0/0.0              up    up   inet     10.3.0.2/30
ge-0/0/1                up    up
ge-0/0/1.0              up    up   inet     10.3.0.6/30
ge-0/0/2                up    down
ge-0/0/3                down  down
fxp0                    up    up
fxp0.0                  up    up   inet     192.0.2.10/24"""

JUNOS_LLDP = """Local Interface    Parent Interface    Chassis Id          Port info          System Name
ge-0/0/0           -                   2c:6b:f5:a1:c2:c0   ge-0/0/1           lab-core-01
ge-0/0/1           -                   2c:6b:f5:a2:08:c0   ge-0/0/1           lab-core-02"""

JUNOS_BGP = """Threading mode: BGP I/O
Groups: 1 Peers: 2 Down peers: 0
Peer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn State|#Active/Received/Accepted/Damped...
10.3.0.1              65000        301        299       0       0    {up} Establ
  inet.0: 4/4/4/0
10.3.0.5              65000        300        298       0       0    {up} Establ
  inet.0: 4/4/4/0"""


def junos_ago(seconds: float) -> str:
    weeks, days, hours, minutes, secs = split_uptime(seconds)
    if weeks:
        return f"{weeks}w{days}d {hours:02d}:{minutes:02d}"
    if days:
        return f"{days}d {hours:02d}:{minutes:02d}"
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def human(size: int) -> str:
    for unit in ("B", "K", "M", "G", "T"):
        if size < 1024 or unit == "T":
            return f"{size}{unit}" if unit == "B" else (f"{size:.1f}{unit}" if size < 10 else f"{size:.0f}{unit}")
        size /= 1024
    return str(size)


class JuniperJunos(Cli):
    platform = "juniper_junos"
    link_down = {
        "interfaces": {"ge-0/0/1 ": "ge-0/0/1                up    down"},
        "lldp": {"ge-0/0/1 ": None},
        "bgp": {"10.3.0.5 ": "10.3.0.5              65000          0          0       0       1       5 Active"},
    }
    commands = [
        ("exec", r"set cli screen-width (\d+)", "width"),
        ("exec", r"set cli complete-on-space off", "complete"),
        ("exec", r"set cli screen-length 0", "length"),
        ("exec", r"show version", "show_version"),
        ("exec", r"show system uptime", "show_uptime"),
        ("exec", r"show system storage", "show_storage"),
        ("exec", r"show system software", "show_software"),
        ("exec", r"file list (\S+?)/? detail", "file_list"),
        ("exec", r"file checksum md5 (\S+)", "checksum"),
        ("exec", r"file delete (\S+)", "delete"),
        ("exec", r"request system software add (\S+)(?: no-validate)?(?: no-copy)?", "software_add"),
        ("exec", r"request system reboot", "reboot"),
        ("exec", r"show configuration(?: \| display set)?", "show_configuration"),
        ("exec", r"show interfaces terse", "show_interfaces"),
        ("exec", r"show lldp neighbors", "show_lldp"),
        ("exec", r"show bgp summary", "show_bgp"),
        ("exec", r"start shell(?: sh)?", "shell"),
        ("exec", r"cli", "noop"),
        ("shell", r"/bin/df -k (\S+)", "df"),
        ("shell", r"/bin/ls (\S+)(?: 2> /dev/null)?", "ls"),
        ("shell", r"/bin/ls -l (\S+)", "ls_long"),
        ("shell", r"exit", "leave_shell"),
        ("shell", r"cli", "leave_shell"),
    ]

    def prompt(self) -> str:
        return "$ " if self.mode == "shell" else f"admin@{self.host}> "

    def invalid(self, line: str) -> str:
        return f"{' ' * len(self.prompt())}^\nunknown command."

    def unknown(self, line: str) -> str:
        return f"sh: {line.split(maxsplit=1)[0]}: not found" if self.mode == "shell" else self.invalid(line)

    def noop(self, *_args: str) -> str:
        return ""

    def width(self, cols: str) -> str:
        return f"Screen width set to {cols}"

    def complete(self) -> str:
        return "Disabling complete-on-space"

    def length(self) -> str:
        return "Screen length set to 0"

    def show_version(self) -> str:
        ver = self.device.state["version"]
        return f"""Hostname: {self.host}
Model: mx240
Junos: {ver}
JUNOS OS Kernel 64-bit  [20231005.8ac3c3f_builder_stable_12_214]
JUNOS OS libs [20231005.8ac3c3f_builder_stable_12_214]
JUNOS OS runtime [20231005.8ac3c3f_builder_stable_12_214]
JUNOS Base OS boot [{ver}]
JUNOS Base OS Software Suite [{ver}]
JUNOS Kernel Software Suite [{ver}]
JUNOS Packet Forwarding Engine Support (MX Common) [{ver}]
JUNOS Online Documentation [{ver}]
JUNOS Routing Software Suite [{ver}]"""

    def show_uptime(self) -> str:
        up = self.device.uptime()
        now = time.time()
        fmt = "%Y-%m-%d %H:%M:%S UTC"
        booted = time.strftime(fmt, time.gmtime(now - up))
        return f"""Current time: {time.strftime(fmt, time.gmtime(now))}
Time Source:  LOCAL CLOCK
System booted: {booted} ({junos_ago(up)} ago)
Protocols started: {booted} ({junos_ago(up)} ago)
Last configured: {booted} ({junos_ago(up)} ago) by admin
 1:00PM  up {int(up // 86400)} days, {int(up % 86400 // 3600)}:{int(up % 3600 // 60):02d}, 1 user, load averages: 0.04, 0.04, 0.01"""

    def show_storage(self) -> str:
        total, free = self.device.capacity(), self.device.free()
        used = total - free
        pct = used * 100 // max(total, 1)
        return f"""Filesystem              Size       Used      Avail  Capacity  Mounted on
/dev/gpt/junos           20G       1.2G        17G        7%  /.mount
tmpfs                   3.9G        12K       3.9G        0%  /.mount/tmp
/dev/gpt/var            {human(total):>5}      {human(used):>5}      {human(free):>5}      {pct:>3}%  /.mount/var
devfs                   1.0K       1.0K         0B      100%  /dev"""

    def show_software(self) -> str:
        st = self.device.state
        pending = st["boot"][0] if st["boot"] and st["boot"][0] != st["image"] else "none"
        return f"Booted software: {st['image']} ({st['version']})\nPending software: {pending}"

    def file_list(self, path: str) -> str:
        lines = self.flash_lines(lambda n, s, m: f"-rw-r--r--  1 admin  wheel  {s:>10} {when(m, 'junos')} {n}")
        return f"{path}/:\n" + "\n".join(lines) + f"\ntotal files: {len(lines)}"

    async def checksum(self, path: str) -> str:
        try:
            digest = await self.hashed(path)
        except OSError as exc:
            return f"error: checksum failed: {exc}"
        if digest is None:
            return f"error: could not resolve file: {path}"
        return f"MD5 ({path}) = {digest}"

    def delete(self, path: str) -> str:
        return "" if self.device.delete(path) else f"error: could not delete file: {path}: No such file or directory"

    def software_add(self, path: str) -> str:
        target = self.device.path(path)
        if target is None or not target.is_file():
            return f"error: File does not exist: {path}"
        if target.name == self.device.state["image"]:
            self.device.set_boot([target.name])
            return "NOTICE: pending software cleared; the running software stays active at next reboot"
        self.device.set_boot([target.name, self.device.state["image"]])
        return (
            f"Installing package '{path}' ...\nVerified manifest signed by PackageProductionECP256_2023 method ECDSA256+SHA256\n"
            "NOTICE: 'pending' set will be activated at next reboot..."
        )

    def reboot(self) -> str:
        self.confirm = Confirm("Reboot the system ? [yes,no] (no) ", self._answer)
        return ""

    def _answer(self, answer: str) -> str:
        if answer.lower() in ("y", "yes"):
            self.request_reload()
            return "\nShutdown NOW!\n[pid 4242]"
        return ""

    def show_configuration(self) -> str:
        lines = [f"set system host-name {self.host}", "set interfaces ge-0/0/0 unit 0 family inet address 10.3.0.2/30"]
        return "\n".join(lines + self.device.state["running_extra"])

    def show_interfaces(self) -> str:
        return self.table("interfaces", JUNOS_INTERFACES)

    def show_lldp(self) -> str:
        return self.table("lldp", JUNOS_LLDP)

    def show_bgp(self) -> str:
        return self.table("bgp", JUNOS_BGP.format(up=junos_ago(self.device.uptime())))

    def shell(self) -> str:
        self.mode = "shell"
        return ""

    def leave_shell(self) -> str:
        self.mode = "exec"
        return ""

    def df(self, _path: str) -> str:
        total, free = self.device.capacity() // 1024, self.device.free() // 1024
        used = total - free
        return (
            "Filesystem   1K-blocks    Used   Avail Capacity  Mounted on\n"
            f"/dev/gpt/var {total:>9} {used:>7} {free:>7} {used * 100 // max(total, 1):>7}%    /.mount/var"
        )

    def ls(self, path: str) -> str:
        target = self.device.path(path)
        return path if target is not None and target.is_file() else ""

    def ls_long(self, path: str) -> str:
        target = self.device.path(path)
        if target is None or not target.is_file():
            return f"ls: {path}: No such file or directory"
        stamp = time.strftime("%b %d %H:%M", time.gmtime(target.stat().st_mtime))
        return f"-rw-r--r--  1 admin  wheel  {target.stat().st_size} {stamp} {path}"

"""The SSH/SCP side of a simulated device: sessions, uploads (with faults) and reloads."""

from __future__ import annotations

import asyncio
import errno
import logging
from pathlib import Path
from typing import Any

import asyncssh

from .cli_base import Cli
from .cli_cisco import CiscoIos, CiscoNxos
from .cli_eos import AristaEos
from .cli_junos import JuniperJunos
from .device import Device

DIALECTS: dict[str, type[Cli]] = {
    "cisco_ios": CiscoIos,
    "cisco_nxos": CiscoNxos,
    "arista_eos": AristaEos,
    "juniper_junos": JuniperJunos,
}
DROP_AFTER = 64 * 1024
log = logging.getLogger("netsim")


class FlashSFTP(asyncssh.SFTPServer):
    """Maps every SCP/SFTP path (flash:/x, bootflash:x, /mnt/flash/x, /var/tmp/x) onto the flash directory."""

    def __init__(self, chan: asyncssh.SSHServerChannel, sim: Simulator) -> None:
        super().__init__(chan)
        self.sim = sim
        self.corrupt = False
        self.drop = False
        self.written = 0

    def map_path(self, path: bytes) -> bytes:
        text = path.decode("utf-8", "replace")
        if text.rstrip("/") in ("", ".", "flash:", "bootflash:", "/mnt/flash", "/var/tmp"):
            return str(self.sim.device.flash).encode()
        target = self.sim.device.path(text)
        if target is None:
            raise asyncssh.SFTPNoSuchFile(f"bad path {text}")
        return str(target).encode()

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if pflags & asyncssh.FXF_WRITE:
            self.corrupt = self.sim.device.take_fault("corrupt-transfer")
            self.drop = self.sim.device.take_fault("drop-transfer")
            self.written = 0
        return super().open(path, pflags, attrs)

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        if self.sim.device.free() < len(data):
            raise asyncssh.SFTPFailure(f"No space left on device ({errno.ENOSPC})")
        if (
            self.corrupt
            and offset <= DROP_AFTER < offset + len(data)
            or (self.corrupt and offset == 0 and len(data) < DROP_AFTER)
        ):
            index = min(len(data) - 1, max(0, DROP_AFTER - offset))
            data = data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1 :]
            self.corrupt = False
        written = super().write(file_obj, offset, data)
        self.written += len(data)
        if self.drop and self.written >= DROP_AFTER:
            self.drop = False
            log.warning("%s: dropping every session mid-transfer", self.sim.device.name)
            asyncio.get_running_loop().call_soon(self.sim.drop_all)
        return written


class _SSHServer(asyncssh.SSHServer):
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.sim.conns.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self.sim.conns.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        if self.sim.authorized_keys is not None and self.conn is not None:
            self.conn.set_authorized_keys(self.sim.authorized_keys)
        return True

    def password_auth_supported(self) -> bool:
        return self.sim.password is not None

    def public_key_auth_supported(self) -> bool:
        return self.sim.authorized_keys is not None

    def validate_password(self, username: str, password: str) -> bool:
        return username == self.sim.user and password == self.sim.password


class Simulator:
    def __init__(
        self,
        root: Path,
        platform: str,
        name: str,
        port: int,
        user: str,
        password: str,
        host_key: Path,
        reload_delay: float,
        enable_secret: str | None = None,
        boot_mode: str = "bundle",
        stack: int = 1,
        authorized_keys: Path | None = None,
    ) -> None:
        self.device = Device(root, platform, name, boot_mode=boot_mode, stack=stack)
        self.port = port
        self.user = user
        self.password = password
        self.enable_secret = enable_secret
        self.authorized_keys = asyncssh.read_authorized_keys(str(authorized_keys)) if authorized_keys else None
        self.reload_delay = reload_delay
        self.host_key = self._load_key(host_key)
        self.conns: set[Any] = set()
        self.server: asyncio.AbstractServer | None = None
        self.stopped = asyncio.Event()

    @staticmethod
    def _load_key(path: Path) -> asyncssh.SSHKey:
        if path.exists():
            return asyncssh.read_private_key(str(path))
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(path))
        key.write_public_key(str(path) + ".pub")
        return key

    async def listen(self) -> None:
        self.server = await asyncssh.create_server(
            lambda: _SSHServer(self),
            "127.0.0.1",
            self.port,
            server_host_keys=[self.host_key],
            process_factory=self.session,
            sftp_factory=lambda chan: FlashSFTP(chan, self),
            allow_scp=True,
            line_editor=True,
            encoding="utf-8",
            reuse_address=True,
        )
        self.device.state["port"] = self.port
        self.device.save()
        log.info("%s (%s) listening on 127.0.0.1:%d", self.device.name, self.device.platform, self.port)

    def drop_all(self) -> None:
        for conn in list(self.conns):
            conn.abort()

    async def session(self, process: asyncssh.SSHServerProcess) -> None:
        cli = DIALECTS[self.device.platform](self.device, self)
        if process.command:
            process.stdout.write((await cli.handle(process.command)).replace("\n", "\r\n") + "\r\n")
            process.exit(0)
            return
        if cli.banner:
            process.stdout.write(cli.banner.replace("\n", "\r\n"))
        process.stdout.write(cli.prompt())
        while True:
            try:
                line = await process.stdin.readline()
            except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            except (asyncssh.Error, OSError):
                break
            if not line:
                break
            log.info("%s %s> %s", self.device.name, cli.mode, line.rstrip("\r\n"))
            out = await cli.handle(line.rstrip("\r\n"))
            if out:
                process.stdout.write(out.replace("\n", "\r\n") + "\r\n")
            if cli.closing:
                await asyncio.sleep(0.1)
                break
            process.stdout.write(cli.confirm.question if cli.confirm else cli.prompt())
        process.exit(0)

    def request_reload(self) -> None:
        asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        await asyncio.sleep(0.3)
        self.device.go_down()
        if self.server is not None:
            self.server.close()
            self.server = None
        self.drop_all()
        log.info("%s reloading", self.device.name)
        await asyncio.sleep(self.reload_delay)
        while self.device.faults().get("reload-hang") is not None:
            await asyncio.sleep(0.5)
        try:
            self.device.boot()
        except RuntimeError:
            log.error("%s: no bootable image, staying down", self.device.name)
            return
        await self.listen()

    async def run(self) -> None:
        await self.listen()
        await self.stopped.wait()

# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A netmiko session that survives what upgrades do to it: drops, reloads, slow commands."""

from __future__ import annotations

import contextlib
import os
import re
import time

from . import NetworkImageError


class _Unavailable(Exception):
    """Stands in for the exception classes of a missing netmiko/paramiko/scp (never raised)."""


try:
    import netmiko
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout
    from paramiko import SSHException
except ImportError:  # pragma: no cover - reported by Session.connect
    netmiko = None
    NetmikoAuthenticationException = NetmikoTimeoutException = ReadTimeout = SSHException = _Unavailable

try:
    from scp import SCPException
except ImportError:  # pragma: no cover
    SCPException = _Unavailable

#: errors that mean "the session is gone", as opposed to "the device said no"
# pylint cannot tell these apart from _Unavailable when netmiko is absent (sanity): hence its disables below.
TRANSPORT_ERRORS = (OSError, EOFError, SCPException, SSHException, NetmikoTimeoutException)


class Session:
    def __init__(
        self,
        platform,
        host: str,
        port: int,
        username: str,
        password: str | None = None,
        key_file: str | None = None,
        known_hosts: str | None = None,
        host_key_checking: bool = True,
        connect_timeout: float = 30,
        transfer_timeout: float = 60,
    ) -> None:
        self.platform = platform
        self.host, self.port = host, port
        self.username, self.password, self.key_file = username, password, key_file
        self.known_hosts = known_hosts
        self.host_key_checking = host_key_checking
        self.connect_timeout = connect_timeout
        self.transfer_timeout = transfer_timeout
        self.conn = None
        self.reconnects = 0

    def _params(self) -> dict:
        params = dict(
            device_type=self.platform.device_type,
            host=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            conn_timeout=self.connect_timeout,
            auth_timeout=self.connect_timeout,
            banner_timeout=self.connect_timeout,
            allow_agent=False,
            use_keys=bool(self.key_file),
            key_file=self.key_file,
            system_host_keys=False,
            ssh_strict=self.host_key_checking,
        )
        if self.known_hosts and self.host_key_checking:
            params.update(alt_host_keys=True, alt_key_file=self.known_hosts)
        return params

    def connect(self) -> None:
        if netmiko is None:
            raise NetworkImageError(
                "network_image needs the Python package netmiko on the controller: pip install netmiko"
            )
        if self.host_key_checking and not (self.known_hosts and os.path.isfile(self.known_hosts)):
            raise NetworkImageError(
                f"SSH host key checking is on but the known_hosts file {self.known_hosts!r} does not exist: "
                "set known_hosts (or UserKnownHostsFile in ansible_ssh_common_args), or host_key_checking=false"
            )
        try:
            self.conn = netmiko.ConnectHandler(**self._params())
        except NetmikoAuthenticationException as exc:
            raise NetworkImageError(
                f"authentication to {self.host}:{self.port} as {self.username} failed: {exc}"
            ) from exc
        except SSHException as exc:  # pylint: disable=duplicate-except
            hint = ""
            text = str(exc).lower()
            if "does not match" in text:
                hint = f" (the device's host key differs from the one in {self.known_hosts}: check the device, then update the file)"
            elif "not found in known_hosts" in text or "host key" in text:
                hint = f" (the device's host key is not in {self.known_hosts}: add it, or set host_key_checking=false)"
            raise NetworkImageError(f"SSH to {self.host}:{self.port} failed: {exc}{hint}") from exc

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):  # the session may already be gone
                self.conn.disconnect()
            self.conn = None

    def reconnect(self, attempts: int = 5, delay: float = 2.0) -> None:
        self.close()
        last = None
        for _attempt in range(attempts):
            try:
                self.connect()
                self.reconnects += 1
                return
            except (NetworkImageError, *TRANSPORT_ERRORS) as exc:
                last = exc
                time.sleep(delay)
        raise NetworkImageError(f"could not reconnect to {self.host}:{self.port}: {last}")

    def send(self, command: str, read_timeout: float = 60, retry: bool = True) -> str:
        """Run a command; a prompt that never shows up gets one retry on a fresh session (``retry``)."""
        if self.conn is None:
            self.connect()
        try:
            return self.conn.send_command(command, read_timeout=read_timeout)
        except ReadTimeout as exc:
            if not retry:
                raise NetworkImageError(
                    f"{command!r} did not finish within {read_timeout:.0f}s", command=command
                ) from exc
        self.reconnect()
        try:
            return self.conn.send_command(command, read_timeout=read_timeout)
        except ReadTimeout as exc:
            raise NetworkImageError(f"{command!r} did not finish within {read_timeout:.0f}s", command=command) from exc

    def config(self, lines: list[str]) -> str:
        if self.conn is None:
            self.connect()
        out = self.conn.send_config_set(lines)
        if re.search(r"^% ", out, re.M):
            raise NetworkImageError(f"the device refused configuration {lines}: {out.strip()}")
        return out

    def interact(self, command: str, answers: tuple[tuple[str, str], ...], timeout: float = 60) -> bool:
        """Type ``command`` and answer its questions; True once the device drops the session."""
        conn = self.conn
        conn.write_channel(command + conn.RETURN)
        deadline = time.monotonic() + timeout
        buffer = ""
        try:
            while time.monotonic() < deadline:
                time.sleep(0.2)
                chunk = conn.read_channel()
                if not chunk:
                    if not conn.remote_conn.get_transport() or not conn.remote_conn.get_transport().is_active():
                        return True
                    if conn.remote_conn.closed or conn.remote_conn.exit_status_ready():
                        return True
                    continue
                buffer += chunk
                for pattern, reply in answers:
                    if re.search(pattern, buffer):
                        buffer = ""
                        conn.write_channel(reply + conn.RETURN)
                        break
        except TRANSPORT_ERRORS:  # pylint: disable=catching-non-exception
            return True
        finally:
            self.close()
        return False

    def transfer(self, local: str, filename: str) -> None:
        """Put one file by SCP (netmiko's FileTransfer for the platform); hashing is the caller's job."""
        if self.conn is None:
            self.connect()
        transfer = netmiko.FileTransfer(
            self.conn,
            source_file=local,
            dest_file=filename,
            file_system=self.platform.scp_file_system,
            direction="put",
            socket_timeout=self.transfer_timeout,
        )
        with transfer:
            transfer.put_file()

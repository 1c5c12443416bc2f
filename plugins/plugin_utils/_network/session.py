# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A netmiko session that survives what upgrades do to it (drops, reloads, slow commands) and that
reads the device's own error messages as errors, never as data.

Every exception netmiko, paramiko or the socket layer raises leaves this class either as a
``NetworkImageError`` naming the command and the device's words, or (for a session that is gone,
which the runbook may recover from) as one of ``TRANSPORT_ERRORS``; ``last_command`` says what was typed last.
"""

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


def _words(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


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
        command_timeout: float = 60,
        allow_agent: bool = True,
        become: bool = False,
        secret: str | None = None,
    ) -> None:
        self.platform = platform
        self.host, self.port = host, port
        self.username, self.password, self.key_file = username, password, key_file
        self.known_hosts = known_hosts
        self.host_key_checking = host_key_checking
        self.connect_timeout = connect_timeout
        self.transfer_timeout = transfer_timeout
        self.command_timeout = command_timeout
        self.allow_agent = allow_agent
        self.become, self.secret = become, secret
        self.conn = None
        self.reconnects = 0
        self.last_command: str | None = None

    def _params(self) -> dict:
        params = dict(
            device_type=self.platform.device_type,
            host=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            secret=self.secret or "",
            # every stage of the login waits at most connect_timeout: TCP connect, SSH banner, authentication, and
            # each read of netmiko's session preparation (prompt, terminal width, paging: 10-20 s each by default,
            # which made a 5 s connect_timeout wait 10 s); connect() lifts the override once logged in
            conn_timeout=self.connect_timeout,
            auth_timeout=self.connect_timeout,
            banner_timeout=self.connect_timeout,
            read_timeout_override=self.connect_timeout,
            allow_agent=self.allow_agent,
            use_keys=bool(self.key_file),
            key_file=self.key_file,
            system_host_keys=False,
            ssh_strict=self.host_key_checking,
        )
        if self.known_hosts and self.host_key_checking:
            params.update(alt_host_keys=True, alt_key_file=self.known_hosts)
        return params

    def connect(self) -> None:
        self.last_command = None
        if netmiko is None:
            raise NetworkImageError(
                "network_image needs the Python package netmiko on the controller: pip install netmiko"
            )
        if self.host_key_checking and not (self.known_hosts and os.path.isfile(self.known_hosts)):
            raise NetworkImageError(
                f"SSH host key checking is on but the known_hosts file {self.known_hosts!r} does not exist: "
                "set known_hosts (or UserKnownHostsFile in ansible_ssh_common_args), or host_key_checking=false"
            )
        where = f"{self.host}:{self.port}"
        started = time.monotonic()
        try:
            self.conn = netmiko.ConnectHandler(**self._params())
            self.conn.read_timeout_override = None  # commands wait command_timeout / hash_timeout from here on
        except NetmikoAuthenticationException as exc:
            raise NetworkImageError(f"authentication to {where} as {self.username} failed: {exc}") from exc
        except SSHException as exc:  # pylint: disable=duplicate-except
            hint = ""
            text = str(exc).lower()
            if "does not match" in text:
                hint = f" (the device's host key differs from the one in {self.known_hosts}: check the device, then update the file)"
            elif "not found in known_hosts" in text or "host key" in text:
                hint = f" (the device's host key is not in {self.known_hosts}: add it, or set host_key_checking=false)"
            raise NetworkImageError(f"SSH to {where} failed: {exc}{hint}") from exc
        except (ReadTimeout, NetmikoTimeoutException) as exc:  # pylint: disable=duplicate-except
            waited = time.monotonic() - started
            raise NetworkImageError(
                f"SSH to {where}: no usable prompt after {waited:.1f}s (connect_timeout={self.connect_timeout:g}s "
                f"bounds each login stage) ({_words(exc)})",
                waited=round(waited, 1),
            ) from exc
        except (OSError, EOFError, ValueError) as exc:
            raise NetworkImageError(f"SSH to {where} failed while logging in: {_words(exc)}") from exc
        self._clean_prompt()
        self._privileged()

    def _clean_prompt(self, attempts: int = 3) -> None:
        """Read the prompt again when netmiko caught two at once ('sw1> sw1>'): a prompt has no blanks, and a wrong one
        makes every later command wait for a prompt that never comes."""
        for _attempt in range(attempts):
            prompt = str(getattr(self.conn, "base_prompt", "") or "")
            if not re.search(r"\s", prompt.strip()):
                return
            time.sleep(0.5)
            try:
                self.conn.set_base_prompt()
            except (ReadTimeout, ValueError, *TRANSPORT_ERRORS):  # pylint: disable=catching-non-exception
                continue
        self.close()
        raise NetworkImageError(f"{self.host}:{self.port}: could not read the device's prompt after login")

    def _privileged(self) -> None:
        """Leave user mode (``>``) by ``enable`` when become is set; refuse to work in it otherwise."""
        pattern = self.platform.user_mode_prompt
        if not pattern:
            return
        try:
            prompt = self.conn.find_prompt()
        except (ReadTimeout, ValueError, *TRANSPORT_ERRORS) as exc:  # pylint: disable=catching-non-exception
            raise NetworkImageError(f"{self.host}:{self.port} showed no prompt after login: {_words(exc)}") from exc
        if not re.search(pattern, prompt):
            return
        if not self.become:
            self.close()
            raise NetworkImageError(
                f"the device logged in to user mode (prompt {prompt!r}): the image runbook needs privileged mode. "
                "Set ansible_become: true and ansible_become_password (or the enable_secret option), "
                "or give the user privilege 15"
            )
        self.last_command = "enable"
        try:
            self.conn.enable()
            prompt = self.conn.find_prompt()
        except (ReadTimeout, ValueError, *TRANSPORT_ERRORS) as exc:  # pylint: disable=catching-non-exception
            self.close()
            raise NetworkImageError(
                f"'enable' failed on {self.host}:{self.port} ({_words(exc)}): check ansible_become_password "
                "(or enable_secret)",
                command="enable",
            ) from exc
        if re.search(pattern, prompt):
            self.close()
            raise NetworkImageError(
                f"'enable' left the device in user mode (prompt {prompt!r}): check ansible_become_password "
                "(or enable_secret)",
                command="enable",
            )

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

    def send(self, command: str, read_timeout: float | None = None, check: bool = True, minimum: float = 0) -> str:
        """Run a command and return its output; the device's error messages raise (unless ``check`` is false).

        The wait is ``read_timeout`` when given (hash_timeout for hashes), else ``command_timeout`` but at least
        ``minimum`` (slow commands such as write memory). A command that does not answer in time fails, saying how
        long it waited: there is no hidden retry."""
        if self.conn is None:
            self.connect()
        if read_timeout is not None:
            wait, name = read_timeout, "hash_timeout"
        else:
            wait, name = max(self.command_timeout, minimum), "command_timeout"
            name = "command_timeout" if wait == self.command_timeout else f"at least {minimum:g}s for this command"
        self.last_command = command
        try:
            out = self.conn.send_command(command, read_timeout=wait)
        except ReadTimeout as exc:
            raise NetworkImageError(f"{command!r} did not answer within {wait:g}s ({name})", command=command) from exc
        except ValueError as exc:
            raise NetworkImageError(f"{command!r} failed: {_words(exc)}", command=command) from exc
        if check:
            self.platform.raise_device_error(command, out, head_only=True)
        return out

    def config(self, lines: list[str]) -> str:
        """Send configuration lines; any line the device refuses fails with the device's words."""
        if self.conn is None:
            self.connect()
        self.last_command = "; ".join(lines)
        try:
            out = self.conn.send_config_set(lines, read_timeout=self.command_timeout)
        except ReadTimeout as exc:
            raise NetworkImageError(
                f"configuration {lines} did not finish within {self.command_timeout:g}s (command_timeout)",
                command=self.last_command,
            ) from exc
        except ValueError as exc:  # "Failed to enter/exit configuration mode"
            raise NetworkImageError(f"configuration {lines} failed: {_words(exc)}", command=self.last_command) from exc
        self.platform.raise_device_error(self.last_command, out, refused=True, what=f"configuration {lines}")
        return out

    def interact(self, command: str, answers: tuple[tuple[str, str], ...], timeout: float = 60) -> bool:
        """Type ``command`` and answer its questions; True once the device drops the session."""
        conn = self.conn
        self.last_command = command
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
                self.platform.raise_device_error(command, buffer, head_only=True)
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

    def confirm(self, command: str, question: str = r"\[y/n\]", answer: str = "y", timeout: float | None = None) -> str:
        """Run a command that asks one question and then answers in place (no reload); its whole output."""
        if self.conn is None:
            self.connect()
        wait = timeout or self.command_timeout
        prompt = re.escape(self.conn.base_prompt) + r".*[#>$]\s*$"
        self.last_command = command
        try:
            out = self.conn.send_command(command, expect_string=f"{question}|{prompt}", read_timeout=wait)
            if re.search(question, out):
                out += self.conn.send_command(answer, expect_string=prompt, read_timeout=wait, cmd_verify=False)
        except ReadTimeout as exc:
            raise NetworkImageError(f"{command!r} did not answer within {wait:g}s", command=command) from exc
        return out

    def transfer(self, local: str, filename: str) -> None:
        """Put one file by SCP (netmiko's FileTransfer for the platform); hashing is the caller's job."""
        if self.conn is None:
            self.connect()
        self.last_command = f"scp {os.path.basename(local)} -> {self.platform.path(filename)}"
        try:
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
        except ReadTimeout as exc:
            raise NetworkImageError(
                f"{self.last_command}: the device did not answer within {self.command_timeout:g}s ({_words(exc)})",
                command=self.last_command,
            ) from exc
        except ValueError as exc:
            raise NetworkImageError(f"{self.last_command} failed: {_words(exc)}", command=self.last_command) from exc

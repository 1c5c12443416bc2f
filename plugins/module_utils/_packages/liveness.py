# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Is the controller that started this module still there? A module that waited minutes for the package lock
must not start a transaction nobody watches or records (the controller was killed, the SSH connection lost).

Two signals, both read without writing anything: the connection's processes among this module's ancestors
(the SSH server's session process, or ansible itself for a local connection) still running, and the module's
stdout (the pipe, socket or pty back to the controller) not closed at the other end."""

from __future__ import annotations

import os
import select
import stat

# Ancestors that stand for the controller's connection: sshd's session process ("sshd", "sshd-session"),
# dropbear, or an ansible process (connection local). Shells, sudo and su in between are not the connection.
_CONNECTION_NAMES = ("sshd", "sshd-session", "dropbear")


def _stat(pid, proc):
    """(ppid, start time, comm, cmdline) of ``pid`` or None when it is gone."""
    try:
        with open(f"{proc}/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            raw = handle.read()
        with open(f"{proc}/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), fields[19], comm, cmdline


def _is_connection(comm, cmdline):
    tokens = [t.rsplit("/", 1)[-1] for t in cmdline.split(" ")[:2]]
    return comm.startswith(_CONNECTION_NAMES) or any(t.startswith(_CONNECTION_NAMES + ("ansible",)) for t in tokens)


def snapshot(pid=None, proc="/proc"):
    """The connection ancestors of ``pid`` (this process) as [(pid, start time, name)], nearest first."""
    found = []
    current = _stat(pid or os.getpid(), proc)
    seen = 0
    while current and current[0] > 1 and seen < 64:
        seen += 1
        parent = current[0]
        current = _stat(parent, proc)
        if current and _is_connection(current[2], current[3]):
            found.append((parent, current[1], current[2]))
    return found


def _stdout_closed(fd):
    """True when ``fd`` is a pipe, socket or terminal whose other end has gone (POLLERR/POLLHUP)."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return True
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode) and os.isatty(fd)):
        return False  # a file or /dev/null: nothing to learn from it
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(event & (select.POLLERR | select.POLLHUP) for _fd, event in poller.poll(0))


def gone(ancestors, stdout_fd=1, proc="/proc"):
    """Why the controller is gone (a sentence), or None while it is there."""
    for pid, started, name in ancestors:
        now = _stat(pid, proc)
        if now is None or now[1] != started:
            return f"the connection's process {pid} ({name}) that started this module has exited"
    if _stdout_closed(stdout_fd):
        return "the output channel back to the controller is closed"
    return None

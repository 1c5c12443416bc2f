# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Package-manager locks: wait for them, and name the process holding one when waiting is over."""

from __future__ import annotations

import errno
import fcntl
import os
import time

from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError

POLL_SECONDS = 0.5


def parse_proc_locks(text):
    """[(pid, inode)] from /proc/locks lines like ``1: POSIX  ADVISORY  WRITE 1234 08:01:131090 0 EOF``."""
    held = []
    for line in text.splitlines():
        fields = line.split()
        if "->" in fields:  # a waiter, not a holder
            continue
        if len(fields) < 6:
            continue
        try:
            pid = int(fields[4])
            inode = int(fields[5].rsplit(":", 1)[1])
        except (ValueError, IndexError):
            continue
        if pid > 0:
            held.append((pid, inode))
    return held


def command_of(pid, proc="/proc"):
    """The command line of ``pid`` as one string ('?' when it has gone)."""
    try:
        with open(f"{proc}/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return "?"
    text = " ".join(raw.replace(b"\0", b" ").decode("utf-8", "replace").split())
    return (text[:157] + "...") if len(text) > 160 else (text or "?")


def _holder_by_inode(path, proc):
    try:
        inode = os.stat(path).st_ino
        with open(f"{proc}/locks", encoding="utf-8") as handle:
            entries = parse_proc_locks(handle.read())
    except OSError:
        return None
    for pid, lock_inode in entries:
        if lock_inode == inode and pid != os.getpid():
            return pid
    return None


def _holder_by_fd(path, proc):
    """A process with ``path`` open (OFD locks and flock may not show a pid in /proc/locks)."""
    target = os.path.realpath(path)
    for entry in os.listdir(proc):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        fd_dir = f"{proc}/{entry}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"{fd_dir}/{fd}") == target:
                    return int(entry)
            except OSError:
                continue
    return None


def fcntl_holder(path, proc="/proc"):
    """None when the fcntl lock on ``path`` is free (or the file does not exist), else (pid or None, command)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EAGAIN):
            raise
        pid = _holder_by_inode(path, proc) or _holder_by_fd(path, proc)
        return (pid, command_of(pid, proc) if pid else "unknown process")
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def pidfile_holder(path, proc="/proc"):
    """None when the pid file is absent, stale or ours; else (pid, command)."""
    try:
        with open(path, encoding="utf-8") as handle:
            pid = int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if pid == os.getpid() or not os.path.exists(f"{proc}/{pid}"):
        return None
    return (pid, command_of(pid, proc))


def holder(locks, proc="/proc"):
    """The first held lock among ``locks`` [(kind, path)]: (path, pid, command), or None."""
    for kind, path in locks:
        found = fcntl_holder(path, proc) if kind == "fcntl" else pidfile_holder(path, proc)
        if found:
            return (path, found[0], found[1])
    return None


def wait(locks, timeout, clock=time.monotonic, sleep=time.sleep):
    """Wait up to ``timeout`` seconds for every lock to be free; raise PackagesError naming the holder."""
    deadline = clock() + max(0, timeout)
    while True:
        found = holder(locks)
        if not found:
            return
        if clock() >= deadline:
            path, pid, command = found
            raise PackagesError(
                f"the package manager is locked: {path} is held by pid {pid if pid else '?'} ({command}); "
                f"waited {timeout} s (lock_timeout)"
            )
        sleep(POLL_SECONDS)

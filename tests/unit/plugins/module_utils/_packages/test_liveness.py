"""Is the controller still there: real processes and pipes, no mocks of the kernel."""

from __future__ import annotations

import os
import subprocess
import sys

from ansible_collections.everylayer.patch.plugins.module_utils._packages import liveness


def _fake_proc(tmp_path, entries):
    """A /proc tree: {pid: (ppid, start, comm, cmdline)}."""
    for pid, (ppid, start, comm, cmdline) in entries.items():
        d = tmp_path / str(pid)
        d.mkdir()
        rest = ["S", str(ppid)] + ["0"] * 17 + [str(start)] + ["0"] * 10
        (d / "stat").write_text(f"{pid} ({comm}) {' '.join(rest)}\n")
        (d / "cmdline").write_bytes(cmdline.replace(" ", "\0").encode() + b"\0")
    return str(tmp_path)


def test_snapshot_keeps_the_connection_processes_only(tmp_path):
    proc = _fake_proc(
        tmp_path,
        {
            500: (400, 9, "python3", "/usr/bin/python3 /root/.ansible/tmp/x/AnsiballZ_packages.py"),
            400: (300, 8, "sh", "/bin/sh -c /usr/bin/python3"),
            300: (200, 7, "sudo", "sudo -H -S -n -u root /bin/sh -c echo BECOME"),
            200: (100, 6, "sshd", "sshd: admin@notty"),
            100: (1, 5, "sshd", "sshd: /usr/sbin/sshd -D [listener]"),
        },
    )
    assert liveness.snapshot(500, proc) == [(200, "6", "sshd"), (100, "5", "sshd")]


def test_gone_when_the_session_process_exited_or_its_pid_was_reused(tmp_path):
    proc = _fake_proc(tmp_path, {200: (1, 6, "sshd", "sshd: admin@notty")})
    r, w = os.pipe()
    try:
        assert liveness.gone([(200, "6", "sshd")], stdout_fd=w, proc=proc) is None
        assert "200 (sshd)" in liveness.gone([(200, "7", "sshd")], stdout_fd=w, proc=proc)  # pid reused
        assert "exited" in liveness.gone([(201, "6", "sshd")], stdout_fd=w, proc=proc)
    finally:
        os.close(r)
        os.close(w)


def test_gone_when_the_output_pipe_has_no_reader():
    r, w = os.pipe()
    assert liveness.gone([], stdout_fd=w) is None
    os.close(r)
    try:
        assert liveness.gone([], stdout_fd=w) == "the output channel back to the controller is closed"
    finally:
        os.close(w)


def test_a_real_child_sees_its_parent_shell_go(tmp_path):
    """A process started through a parent named like sshd; the parent is killed: the snapshot notices."""
    script = (
        "import sys, time\n"
        "sys.path[:0] = {!r}\n"
        "from ansible_collections.everylayer.patch.plugins.module_utils._packages import liveness\n"
        "snap = liveness.snapshot()\n"
        "print(' '.join(str(p) for p, _s, _n in snap), flush=True)\n"
        "sys.stdin.readline()\n"
        "time.sleep(0.5)\n"
        "open({!r}, 'w').write(str(liveness.gone(snap, stdout_fd=2)))\n"
    ).format(sys.path, str(tmp_path / "answer"))
    (tmp_path / "child.py").write_text(script)
    # exec -a names the shell "sshd"; it runs the child in the background and waits.
    parent = subprocess.Popen(
        ["bash", "-c", f'exec -a sshd bash -c "{sys.executable} {tmp_path / "child.py"}; true"'],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert str(parent.pid) in parent.stdout.readline().split()
    child = [
        int(p)
        for p in subprocess.run(
            ["pgrep", "-P", str(parent.pid)], check=False, capture_output=True, text=True
        ).stdout.split()
    ]
    parent.kill()
    parent.wait()
    parent.stdin.close()
    for _ in range(50):
        if (tmp_path / "answer").exists():
            break
        subprocess.run(["sleep", "0.1"], check=False)
    for pid in child:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    assert "exited" in (tmp_path / "answer").read_text()

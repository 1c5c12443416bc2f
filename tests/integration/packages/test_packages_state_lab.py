"""everylayer.patch.packages on a lab apt host whose dpkg was interrupted, and with its controller killed while the
module waits for the package lock. Real dpkg and apt inside the host, the real ansible-playbook and SSH.

The interrupted dpkg is made the way dpkg leaves it when killed between unpacking and configuring a package: its
journal (/var/lib/dpkg/updates/NNNN) holds the package's status stanza with ``Status: install ok unpacked``; apt
then refuses everything with "dpkg was interrupted" (asserted below, so the test checks that the fault is real).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers.change_record import validate
from packages_lab_driver import (
    INVENTORY,
    PLAYBOOK,
    REPO,
    fault,
    holder_pid,
    installed_versions,
    reset_host,
    run_module,
)

pytestmark = [pytest.mark.lab, pytest.mark.slow]


@pytest.fixture(scope="module")
def host():
    yield from reset_host("apt", "lab-apt-03")


def _interrupt_dpkg(root: Path, package: str):
    """Leave a dpkg journal entry for ``package`` as a dpkg killed after unpacking it would."""
    status = (root / "var/lib/dpkg/status").read_text()
    stanza = next(s for s in status.split("\n\n") if s.startswith(f"Package: {package}\n"))
    journal = "\n".join(
        "Status: install ok unpacked" if line.startswith("Status:") else line for line in stanza.splitlines()
    )
    updates = root / "var/lib/dpkg/updates"
    updates.mkdir(exist_ok=True)
    (updates / "0000").write_text(journal + "\n")


def test_interrupted_dpkg_is_reported_refused_and_repaired_only_when_asked(host, tmp_path):
    root = Path(host["root"])
    baseline = installed_versions(host)
    _interrupt_dpkg(root, "lab-agent")
    apt = subprocess.run(["chroot", str(root), "apt-get", "check"], capture_output=True, text=True, check=False)
    assert apt.returncode == 100 and "dpkg was interrupted" in apt.stdout + apt.stderr, apt.stdout + apt.stderr

    scan = validate(run_module(host["name"], {"state": "scanned"}, tmp_path))
    assert not scan.get("failed"), scan["msg"]
    assert scan["package_state"]["healthy"] is False and scan["msg"].startswith("package state broken: dpkg was")

    # The scan refreshed apt's lists; the later runs need not download them again.
    check = validate(run_module(host["name"], {"state": "patched", "update_cache": False}, tmp_path, check=True))
    assert check.get("failed") is True and check["changed"] is False
    assert "the package state is broken, nothing was planned or changed" in check["msg"]

    patch = validate(run_module(host["name"], {"state": "patched", "update_cache": False}, tmp_path))
    assert patch.get("failed") is True and patch["changed"] is False and patch["changes"] == []
    assert "dpkg was interrupted" in patch["msg"] and "repair: true" in patch["msg"]
    assert installed_versions(host) == baseline
    assert list((root / "var/lib/dpkg/updates").iterdir()), "the module must not repair unasked"

    args = {"state": "patched", "update_cache": False, "names": ["lab-agent"], "repair": True}
    repaired = validate(run_module(host["name"], args, tmp_path))
    assert not repaired.get("failed"), repaired["msg"]
    assert repaired["repaired"] == ["dpkg --configure -a", "apt-get install -f"]
    assert repaired["package_state"]["healthy"] is True and repaired["package_state"]["before_repair"]
    assert [c["component"] for c in repaired["changes"]] == ["lab-agent"]
    assert installed_versions(host)["lab-agent"] == repaired["changes"][0]["after"] != baseline["lab-agent"]


def _module_processes(root: Path, holder: int) -> list[int]:
    """Pids of Python processes inside the host ``root`` other than the lock holder: the module (with pipelining
    its command line is just the interpreter reading the module from SSH)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == holder:
            continue
        try:
            if os.readlink(entry / "root") != str(root):
                continue
            if b"python" in (entry / "cmdline").read_bytes().split(b"\0")[0]:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (ansible's workers run in sessions of their own, with their SSH clients)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def test_module_whose_controller_is_killed_while_waiting_for_the_lock_changes_nothing(host, tmp_path):
    subprocess.run(["chroot", host["root"], "rm", "-f", "/var/lib/dpkg/updates/0000"], check=True)
    root = Path(host["root"])
    before = installed_versions(host)
    extra = tmp_path / "extra.json"
    args = {"state": "patched", "lock_timeout": 60}
    extra.write_text(json.dumps({"target": host["name"], "module_args": args, "result_file": str(tmp_path / "r")}))
    argv = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(INVENTORY), str(PLAYBOOK), "-e", f"@{extra}"]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    with fault("lock", host["name"]) as message:
        holder = int(holder_pid(message))
        controller = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while not _module_processes(root, holder):
            assert time.monotonic() < deadline and controller.poll() is None, "the module never started"
            time.sleep(0.2)
        time.sleep(1)  # the module is now polling the held lock
        # The controller dies: ansible-playbook, its workers and their SSH clients (SIGKILL, nothing cleans up).
        for pid in _tree(controller.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        controller.wait()
    # The lock is free now: a module that did not notice would start the transaction here.
    deadline = time.monotonic() + 30
    while _module_processes(root, holder) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _module_processes(root, holder), "the orphaned module is still running"
    assert installed_versions(host) == before, "a module without its controller changed the host"
    assert not (tmp_path / "r").exists()


@pytest.fixture
def silent_changelog_server(host):
    """A changelog server that accepts connections and never answers (the 22-minute hang of issue 14), on a port of
    this suite's range; the host's apt is pointed at it until the test ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))  # any free port: apt inside the host reaches 127.0.0.1 like the lab's server
    listener.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    conf = Path(host["root"]) / "etc/apt/apt.conf.d/99everylayer-test-silent-changelogs"
    port = listener.getsockname()[1]
    conf.write_text(
        f'Acquire::Changelogs::URI::Override::Origin::Everylayer "http://127.0.0.1:{port}/@CHANGEPATH@_changelog";\n'
    )
    try:
        yield port
    finally:
        conf.unlink()
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_unanswered_changelogs_are_bounded_and_unknown_is_not_none(host, silent_changelog_server, tmp_path):
    scan = validate(run_module(host["name"], {"state": "scanned", "changelog_timeout": 5}, tmp_path))
    assert not scan.get("failed"), scan["msg"]
    assert len(scan["pending"]) >= 20
    assert {p["details"].get("advisory_data") for p in scan["pending"]} == {"unknown"}
    assert all(p["severity"] is None and p["advisories"] == [] for p in scan["pending"])
    assert scan["unknown_advisory_data"] == len(scan["pending"])
    assert "did not finish within 5 s (changelog_timeout)" in scan["_stdout"] + json.dumps(scan.get("warnings", []))

    args = {"state": "patched", "severity": "high", "changelog_timeout": 5, "update_cache": False}
    refused = validate(run_module(host["name"], args, tmp_path, check=True))
    assert refused.get("failed") is True and refused["changed"] is False
    assert "have unknown advisories and severity" in refused["msg"] and "unknown_severity" in refused["msg"]

    excluded = validate(run_module(host["name"], dict(args, unknown_severity="exclude"), tmp_path, check=True))
    assert not excluded.get("failed"), excluded["msg"]
    assert excluded["changes"] == [] and excluded["decided_on_unknown"] == len(scan["pending"])

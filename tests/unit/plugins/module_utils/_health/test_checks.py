"""Unit tests for the health checks behind everylayer.patch.health_check."""

import http.server
import os
import socket
import subprocess
import sys
import threading

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._health import checks


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_disk_below_minimum_fails_and_names_the_path(tmp_path):
    ok = checks.check_disk(str(tmp_path), 1)
    assert ok["ok"] and ok["free_mb"] >= 1
    too_much = checks.check_disk(str(tmp_path), 10**9)
    assert not too_much["ok"]
    assert str(tmp_path) in too_much["detail"] and "need 1000000000 MiB" in too_much["detail"]


def test_disk_on_missing_path_fails_clearly(tmp_path):
    res = checks.check_disk(str(tmp_path / "nope"), 1)
    assert not res["ok"] and "cannot stat" in res["detail"]


def test_lock_holder_is_named(tmp_path):
    lock = tmp_path / "lock-frontend"
    lock.write_text("")
    assert checks._lock_holder(str(lock)) is None
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl,os,sys,time; fd=os.open(sys.argv[1], os.O_RDWR); "
            "fcntl.lockf(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        described = checks._lock_holder(str(lock))
        assert described is not None
        assert f"pid {holder.pid}" in described and str(lock) in described
    finally:
        holder.kill()
        holder.wait()
    assert checks._lock_holder(str(lock)) is None


def test_command_check_rc_and_regex():
    assert checks.check_command({"name": "t", "command": ["true"]}, run)["ok"]
    failed = checks.check_command({"name": "f", "command": ["sh", "-c", "echo boom >&2; exit 3"]}, run)
    assert not failed["ok"] and "rc=3" in failed["detail"] and "boom" in failed["detail"]
    nomatch = checks.check_command({"name": "r", "command": ["echo", "hello"], "stdout_regex": "^bye"}, run)
    assert not nomatch["ok"] and "does not match" in nomatch["detail"]


def test_command_check_passes_metacharacters_as_data():
    res = checks.check_command(
        {"name": "m", "command": ["echo", "a; touch /nonexistent-dir/x"], "stdout_regex": ";"}, run
    )
    assert res["ok"]


def test_port_check_open_and_closed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        assert checks.check_port({"name": "p", "port": port, "timeout": 2})["ok"]
    finally:
        server.close()
    closed = checks.check_port({"name": "p", "port": port, "timeout": 2})
    assert not closed["ok"] and str(port) in closed["detail"]


@pytest.fixture()
def http_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200 if self.path == "/ok" else 503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_check_status(http_server):
    assert checks.check_url({"name": "u", "url": http_server + "/ok"})["ok"]
    bad = checks.check_url({"name": "u", "url": http_server + "/down"})
    assert not bad["ok"] and "answered 503" in bad["detail"]
    assert checks.check_url({"name": "u", "url": http_server + "/down", "status": [503]})["ok"]


def test_service_check_finds_a_running_process():
    name = os.path.basename(sys.executable)[:15]
    if checks._systemd_running():
        pytest.fail("unit test expects a host without systemd as PID 1 (the CI machine)")
    assert checks.check_service({"name": "s", "service": name}, run)["ok"]
    assert not checks.check_service({"name": "s", "service": "no-such-daemon-x"}, run)["ok"]


def test_run_checks_orders_and_reports(tmp_path):
    params = {
        "disk": [{"path": str(tmp_path), "min_free_mb": 1}],
        "package_manager": False,
        "reboot_pending": False,
        "checks": [{"name": "c", "type": "command", "command": ["false"], "rc": 0}],
    }
    results = checks.run_checks(params, run)
    assert [r["name"] for r in results] == ["reachable", f"disk:{tmp_path}", "c"]
    assert [r["ok"] for r in results] == [True, True, False]


def test_versions_reports_mismatch():
    def fake_run(argv):
        if argv[0] == "dpkg-query":
            return 0, "lab-agent\tinstalled\t1.0-1\n", ""
        return 1, "", ""

    res = checks.check_versions({"lab-agent": "1.1-1"}, fake_run)
    if not os.path.exists("/var/lib/dpkg/status"):
        pytest.fail("this test needs a dpkg-based controller")
    assert not res["ok"]
    assert res["installed"] == {"lab-agent": "1.0-1"}
    assert "lab-agent is 1.0-1, expected 1.1-1" in res["detail"]


def test_versions_one_query_per_database(monkeypatch):
    """All names in one dpkg-query, the ones dpkg does not know in one rpm call (not one process per package)."""
    calls = []

    def fake_run(argv):
        calls.append(argv)
        if argv[0] == "dpkg-query":
            out = "lab-agent\tinstalled\t1.1-1\nlab-gone\tconfig-files\t1.0-1\n"
            return 1, out, "dpkg-query: no packages found matching lab-cron\n"
        if argv[0] == "rpm":
            return 1, "lab-cron\t0:1.1-1\nlab-cron\t1:2.0-1\n", ""
        raise AssertionError(argv)

    monkeypatch.setattr(
        checks.os.path, "exists", lambda path: path in ("/var/lib/dpkg/status", "/var/lib/rpm/Packages")
    )
    found = checks.installed_versions(["lab-agent", "lab-cron", "lab-gone"], fake_run)
    assert found == {"lab-agent": "1.1-1", "lab-cron": "1:2.0-1", "lab-gone": None}
    assert [argv[0] for argv in calls] == ["dpkg-query", "rpm"]
    assert calls[0][-3:] == ["lab-agent", "lab-cron", "lab-gone"]
    assert calls[1][-2:] == ["lab-cron", "lab-gone"]

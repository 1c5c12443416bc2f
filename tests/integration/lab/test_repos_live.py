"""lab.repos against real apt, dnf and zypper in throwaway overlay chroots (lab baseline layers + lab base).

Each test mounts its own host (lower = the manager's baseline layer and the lab's cached base, upper in
tmp_path) and serves a private copy of the repositories over HTTP on a free port, so the running lab's
hosts and served repos are never touched. Needs root and the lab's base (python -m lab up builds it).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from lab import repos
from lab.base import ensure_base
from lab.config import Settings

pytestmark = pytest.mark.lab
MANAGERS = ("apt", "dnf", "zypper")
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(RepoSet with a private serve dir, base url, base dir, cache dir)."""
    if os.geteuid() != 0:
        pytest.fail("the repos live tests need root (overlay mounts, chroot)")
    cache = Settings.resolve().cache_dir
    base = ensure_base(cache)
    rs = repos.build(cache)
    rs = repos.serve_copy(rs, tmp_path_factory.mktemp("serve") / "serve")
    serve = rs.serve_dir
    handler = functools.partial(_Quiet, directory=str(serve))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rs, f"http://127.0.0.1:{server.server_address[1]}/", base, cache
    server.shutdown()


class Host:
    def __init__(self, root: Path, manager: str, url: str):
        self.root, self.manager, self.url = root, manager, url

    def run(self, *argv: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["chroot", str(self.root), *argv], env=ENV, capture_output=True, text=True, timeout=timeout, check=False
        )

    def ok(self, *argv: str) -> str:
        proc = self.run(*argv)
        assert proc.returncode == 0, f"{argv} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        return proc.stdout

    def version(self, package: str) -> str:
        if self.manager == "apt":
            return self.ok("dpkg-query", "-W", "-f", "${Version} ${db:Status-Status}", package)
        return self.ok("rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", package)

    def refresh(self) -> subprocess.CompletedProcess:
        argv = {"apt": ["apt-get", "update"], "dnf": ["dnf", "makecache"], "zypper": ["zypper", "-n", "refresh"]}
        return self.run(*argv[self.manager])

    def upgrade(self, *packages: str) -> subprocess.CompletedProcess:
        if self.manager == "apt":
            argv = (
                ["apt-get", "install", "-y", "--only-upgrade", *packages]
                if packages
                else ["apt-get", "dist-upgrade", "-y"]
            )
        elif self.manager == "dnf":
            argv = ["dnf", "-y", "upgrade", *packages]
        else:
            argv = ["zypper", "-n", "update", *packages]
        return self.run(*argv)


@pytest.fixture(params=MANAGERS)
def host(request, served, tmp_path):
    rs, url, base, cache = served
    layer = repos.baseline_layer(rs, base, request.param, cache)
    root = tmp_path / "root"
    for sub in ("upper", "work", "root"):
        (tmp_path / sub).mkdir()
    opts = f"lowerdir={layer}:{base},upperdir={tmp_path / 'upper'},workdir={tmp_path / 'work'}"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, str(root)], check=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    subprocess.run(["mount", "--bind", "/dev", str(root / "dev")], check=True)
    try:
        repos.configure_host(root, request.param, url)
        h = Host(root, request.param, url)
        assert h.refresh().returncode == 0
        yield h
    finally:
        for path, flag in ((root / "dev", "-l"), (root / "proc", "-l"), (root, "-l")):
            subprocess.run(["umount", flag, str(path)], check=False, capture_output=True)
        shutil.rmtree(tmp_path / "work", ignore_errors=True)


def test_baseline_has_twenty_pending_updates_with_advisories(host, served):
    rs = served[0]
    baseline = [p for p in rs.manifest.packages if p.baseline]
    for pkg in baseline[:3]:
        assert host.version(pkg.name).startswith(pkg.baseline_version.version)
    if host.manager == "apt":
        listed = host.ok("apt", "list", "--upgradable")
        assert sum(1 for line in listed.splitlines() if "/lab" in line) >= 20
        policy = host.ok("apt-cache", "policy", "lab-web")
        assert "lab-security/main" in policy and "Candidate: 1.2-1" in policy
        assert "CVE-2026-" in host.ok("apt-get", "changelog", "lab-web")
    elif host.manager == "dnf":
        proc = host.run("dnf", "-q", "check-update")
        assert proc.returncode == 100 and sum("everylayer-lab" in line for line in proc.stdout.splitlines()) >= 20
        info = host.ok("dnf", "updateinfo", "list")
        assert "ELSA-2026:0103 Critical/Sec." in info and "bugfix" in info
        assert "CVE-2026-21081" in host.ok("dnf", "updateinfo", "info", "ELSA-2026:0103")
    else:
        updates = host.ok("zypper", "-n", "list-updates")
        assert sum(" | lab-" in line or " | kernel-lab" in line for line in updates.splitlines()) >= 20
        patches = host.ok("zypper", "-n", "list-patches")
        assert "ELSA-2026:0103" in patches and "security" in patches and "critical" in patches


def test_failing_script_marker_makes_the_manager_fail(host):
    before = host.version("lab-agent")
    repos.set_failing_script(host.root, "lab-agent", True)
    proc = host.upgrade("lab-agent")
    repos.set_failing_script(host.root, "lab-agent", False)
    assert proc.returncode != 0, proc.stdout[-1500:]
    assert "failing on purpose" in proc.stdout + proc.stderr
    if host.manager == "apt":
        assert host.version("lab-agent").endswith("half-configured")
        host.ok("dpkg", "--configure", "-a")
    else:
        assert host.version("lab-agent") == before  # %pre failed: the old version stays
    assert host.upgrade("lab-agent").returncode == 0


def test_lab_broken_update_always_fails(host):
    spec = {"apt": "lab-broken=1.0-1", "dnf": "lab-broken-1.0-1", "zypper": "lab-broken=1.0-1"}[host.manager]
    install = {
        "apt": ["apt-get", "install", "-y"],
        "dnf": ["dnf", "-y", "install"],
        "zypper": ["zypper", "-n", "install"],
    }
    host.ok(*install[host.manager], spec)
    proc = host.upgrade("lab-broken")
    assert proc.returncode != 0 and "always fails" in proc.stdout + proc.stderr


def test_lock_blocks_the_package_manager(host):
    holder = subprocess.Popen(
        ["chroot", str(host.root), *repos.lock_argv(host.manager)], env=ENV, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        if host.manager == "apt":
            proc = host.run("apt-get", "install", "-y", "lab-cron")
            assert proc.returncode == 100 and "Could not get lock" in proc.stderr
        elif host.manager == "dnf":
            proc = host.run("dnf", "-y", "--setopt=exit_on_lock=True", "upgrade", "lab-cron")
            assert proc.returncode == 200 and "already locked" in proc.stdout + proc.stderr
            with pytest.raises(subprocess.TimeoutExpired):  # by default dnf waits for the holder
                host.run("dnf", "-y", "upgrade", "lab-cron", timeout=8)
        else:
            proc = host.run("zypper", "-n", "update", "lab-cron")
            assert proc.returncode == 7 and "System management is locked" in proc.stdout + proc.stderr
    finally:
        holder.kill()
        holder.wait()
    assert host.upgrade("lab-cron").returncode == 0


def test_broken_repo_fails_until_fixed(host):
    repos.break_repo(host.root, host.manager, host.url)
    proc = host.refresh()
    assert proc.returncode != 0, proc.stdout[-1500:]
    repos.fix_repo(host.root, host.manager, host.url)
    assert host.refresh().returncode == 0


def test_upgrade_everything_flags_reboot(host):
    host.ok("sh", "-c", "rm -f /run/reboot-required /run/reboot-required.pkgs /run/reboot-needed")
    proc = host.upgrade()
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert host.version("kernel-lab").startswith("1.2-1")
    assert "kernel-lab" in (host.root / "run/reboot-required.pkgs").read_text()
    if host.manager == "zypper":
        assert host.run("zypper", "needs-rebooting").returncode == 102
    if host.manager == "dnf":
        host.ok("dnf", "-y", "history", "undo", "last")
        assert host.version("kernel-lab") == "1.0-1"


def test_published_version_reaches_the_host(host, served):
    rs = served[0]
    try:
        repos.publish(rs, "lab-ntp", "1.2-1", type="security", severity="Low", cves=("CVE-2026-39999",))
        assert host.refresh().returncode == 0
        assert host.upgrade("lab-ntp").returncode == 0
        assert host.version("lab-ntp").startswith("1.2-1")
        if host.manager == "dnf":
            assert "ELSA-2026:9001" in host.ok("dnf", "updateinfo", "list", "--all")
    finally:
        repos.reset(rs)

"""lab.repos generated files: deb control/postinst, rpm spec, changelogs, updateinfo, host configuration."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lab import repos
from lab.repos import deb, payload, rpm
from lab.repos import manifest as mf

REPO = Path(__file__).resolve().parents[3]

MANIFEST = mf.load()


def _ver(name: str, version: str):
    pkg = MANIFEST.package(name)
    return pkg, pkg.version(version)


def test_deb_control_has_depends_and_no_foreign_dependencies():
    pkg, ver = _ver("lab-web", "1.2-1")
    text = deb.control(MANIFEST, pkg, ver, 300)
    assert "Package: lab-web\nVersion: 1.2-1\nArchitecture: all\n" in text
    assert "Depends: lab-ssl (>= 1.1)\n" in text
    assert "Installed-Size: 300\n" in text
    for pkg in MANIFEST.packages:
        for ver in pkg.versions:
            assert all(d.name in {p.name for p in MANIFEST.packages} for d in ver.depends)


def test_postinst_checks_the_marker_and_kernel_flags_reboot():
    pkg, ver = _ver("kernel-lab", "1.1-1")
    script = deb.postinst(pkg, ver)
    assert f'[ -e "{payload.FAIL_DIR}/kernel-lab" ]' in script
    assert "/var/run/reboot-required" in script and "reboot-required.pkgs" in script
    plain = deb.postinst(*_ver("lab-agent", "1.1-1"))
    assert "reboot-required" not in plain


def test_postinst_runs_and_fails_with_marker(tmp_path):
    pkg, ver = _ver("lab-agent", "1.1-1")
    script = deb.postinst(pkg, ver).replace(payload.FAIL_DIR, str(tmp_path))
    path = tmp_path / "postinst"
    path.write_text(script)
    assert subprocess.run(["sh", str(path), "configure", "1.0-1"], check=False).returncode == 0
    (tmp_path / "lab-agent").write_text("all\n")  # what `python -m lab fault fail-script HOST lab-agent` writes
    assert subprocess.run(["sh", str(path), "configure", "1.0-1"], check=False, capture_output=True).returncode == 1


@pytest.mark.parametrize(("mode", "baseline_fails", "update_fails"), [("all", True, True), ("upgrade", False, True)])
def test_fail_script_mode_upgrade_spares_the_baseline(tmp_path, mode, baseline_fails, update_fails):
    """``upgrade`` breaks every update but lets a rollback reinstall the package's first version."""
    pkg = MANIFEST.package("lab-agent")
    repos.set_failing_script(tmp_path, "lab-agent", True, mode)
    fail_dir = tmp_path / payload.FAIL_DIR.lstrip("/")
    for ver, fails in ((pkg.versions[0], baseline_fails), (pkg.versions[-1], update_fails)):
        path = tmp_path / f"postinst-{ver.version}"
        path.write_text(deb.postinst(pkg, ver).replace(payload.FAIL_DIR, str(fail_dir)))
        proc = subprocess.run(["sh", str(path), "configure"], check=False, capture_output=True)
        assert proc.returncode == (1 if fails else 0), (ver.version, proc.stderr)
    with pytest.raises(ValueError, match="bad fail-script mode"):
        repos.set_failing_script(tmp_path, "lab-agent", True, "sometimes")


def test_broken_package_script_always_fails(tmp_path):
    pkg, ver = _ver("lab-broken", "1.1-1")
    path = tmp_path / "postinst"
    path.write_text(deb.postinst(pkg, ver).replace(payload.FAIL_DIR, str(tmp_path)))
    assert subprocess.run(["sh", str(path), "configure"], check=False, capture_output=True).returncode == 1
    path.write_text(deb.postinst(pkg, pkg.version("1.0-1")).replace(payload.FAIL_DIR, str(tmp_path)))
    assert subprocess.run(["sh", str(path), "configure"], check=False, capture_output=True).returncode == 0


def test_debian_changelog_is_valid_and_names_cves(tmp_path):
    pkg, ver = _ver("lab-web", "1.2-1")
    text = payload.debian_changelog(MANIFEST, pkg, ver)
    assert text.startswith("lab-web (1.2-1) lab-security; urgency=high\n")
    assert "CVE-2026-21081" in text and "lab-web (1.0-1) lab;" in text
    if not shutil.which("dpkg-parsechangelog"):
        pytest.fail("dpkg-parsechangelog is missing: apt-get install dpkg-dev (scripts/apt-packages.txt)")
    path = tmp_path / "changelog"
    path.write_text(text)
    out = subprocess.run(
        ["dpkg-parsechangelog", "-l", str(path), "--all"], check=True, capture_output=True, text=True
    ).stdout
    assert "Version: 1.2-1" in out and "Distribution: lab-security" in out


def test_rpm_spec_scripts_requires_reboot_and_changelog():
    pkg, ver = _ver("kernel-lab", "1.2-1")
    files = ["/usr/bin/kernel-lab", "/etc/lab/kernel-lab.conf", "/usr/share/doc/kernel-lab/copyright"]
    spec = rpm.spec(MANIFEST, pkg, ver, files, Path("/tree"))
    assert "Version: 1.2\nRelease: 1\n" in spec
    assert f"Provides: {rpm.REBOOT_PROVIDE}" in spec
    assert "%pre\n" in spec and f"{payload.FAIL_DIR}/kernel-lab" in spec
    assert "%posttrans\n" in spec and "/var/run/reboot-required" in spec
    assert "%config(noreplace) /etc/lab/kernel-lab.conf" in spec
    changelog = spec.split("%changelog\n", 1)[1]
    for line in changelog.splitlines():
        if line.startswith("* "):  # rpm rejects a weekday that does not match the date
            date = dt.datetime.strptime(" ".join(line.split()[1:5]), "%a %b %d %Y")
            assert date.strftime("%a") == line.split()[1]
    assert "CVE-2026-" in changelog
    web = rpm.spec(MANIFEST, *_ver("lab-web", "1.2-1"), [], Path("/tree"))
    assert "Requires: lab-ssl >= 1.1" in web and "installhint" not in web


def test_updateinfo_lists_every_update_with_references():
    root = ET.fromstring(rpm.updateinfo(MANIFEST))
    updates = root.findall("update")
    expected = [(p.name, v) for p in MANIFEST.packages for v in p.versions[1:]]
    assert len(updates) == len(expected)
    by_id = {u.findtext("id"): u for u in updates}
    for name, ver in expected:
        update = by_id[ver.advisory]
        assert update.get("type") == ver.type
        assert update.findtext("severity") == (ver.severity or "None")
        assert {r.get("id") for r in update.iter("reference")} == set(ver.cves)
        package = update.find("pkglist/collection/package")
        assert (package.get("name"), package.get("version"), package.get("release")) == (
            name,
            ver.upstream,
            ver.release,
        )
    kernel = by_id[MANIFEST.package("kernel-lab").versions[1].advisory]
    assert kernel.findtext("pkglist/collection/package/reboot_suggested") == "True"


@pytest.mark.parametrize(
    ("manager", "rel", "needle"),
    [
        ("apt", repos.hosts.APT_LIST, "deb [trusted=yes] http://127.0.0.1:8480/{}apt lab-security main"),
        ("dnf", repos.hosts.DNF_REPO, "baseurl=http://127.0.0.1:8480/{}rpm/"),
        ("zypper", repos.hosts.ZYPP_REPO, "baseurl=http://127.0.0.1:8480/{}rpm/"),
    ],
)
def test_configure_break_fix(tmp_path, manager, rel, needle):
    repos.configure_host(tmp_path, manager, "http://127.0.0.1:8480/")
    assert needle.format("") in (tmp_path / rel).read_text()
    repos.break_repo(tmp_path, manager, "http://127.0.0.1:8480")
    assert needle.format("broken/") in (tmp_path / rel).read_text()
    repos.fix_repo(tmp_path, manager, "http://127.0.0.1:8480/")
    assert needle.format("") in (tmp_path / rel).read_text()
    if manager == "dnf":
        assert "skip_if_unavailable=False" in (tmp_path / rel).read_text()


def test_unknown_manager_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown package manager"):
        repos.configure_host(tmp_path, "pacman", "http://127.0.0.1:8480/")
    with pytest.raises(ValueError, match="unknown package manager"):
        repos.lock_argv("yum")


def test_set_failing_script_toggles_marker(tmp_path):
    marker = tmp_path / payload.FAIL_DIR.lstrip("/") / "lab-agent"
    repos.set_failing_script(tmp_path, "lab-agent", True)
    assert marker.is_file()
    repos.set_failing_script(tmp_path, "lab-agent", False)
    repos.set_failing_script(tmp_path, "lab-agent", False)
    assert not marker.exists()
    with pytest.raises(ValueError):
        repos.set_failing_script(tmp_path, "../etc", True)


@pytest.mark.parametrize("manager", ["apt", "dnf", "zypper"])
def test_lock_argv_is_python_that_compiles(manager):
    argv = repos.lock_argv(manager)
    assert argv[:2] == ["/usr/bin/python3", "-c"]
    compile(argv[2], f"lock-{manager}", "exec")
    assert 'print("locked", flush=True)' in argv[2]

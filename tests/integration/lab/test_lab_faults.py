"""Fault injection: each fault is observable from Ansible or from inside the host, and clears."""

from __future__ import annotations

import pytest
from lab_testlib import lab_cli

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def test_stop_makes_host_unreachable_and_start_brings_it_back(lab, tmp_path):
    host = lab.first("dnf", 1)
    lab_cli("fault", "stop", host)
    try:
        result = lab.ping(tmp_path, host)
        assert result.returncode != 0
        assert "unreachable=1" in result.stdout, result.stdout
    finally:
        lab_cli("fault", "clear", "stop", host)
    result = lab.ping(tmp_path, host)
    assert result.returncode == 0, result.stdout + result.stderr


def test_lock_blocks_the_package_manager(lab):
    host = lab.first("apt", 1)  # not the fwupd host (the last apt host)
    lab_cli("fault", "lock", host)
    try:
        proc = lab.in_root(host, "apt-get", "-o", "DPkg::Lock::Timeout=0", "install", "-y", "lab-agent")
        assert proc.returncode != 0
        assert "lock" in (proc.stderr + proc.stdout).lower()
    finally:
        lab_cli("fault", "clear", "lock", host)
    proc = lab.in_root(host, "apt-get", "-o", "DPkg::Lock::Timeout=0", "check")
    assert proc.returncode == 0, proc.stderr


def test_fill_disk_leaves_no_space(lab):
    host = lab.first("apt", 1)  # not the fwupd host (the last apt host)
    lab_cli("fault", "fill-disk", host)
    try:
        free = lab.in_root(host, "python3", "-c", "import os; v = os.statvfs('/'); print(v.f_bavail * v.f_frsize)")
        assert free.stdout.strip() == "0", free.stdout + free.stderr
        proc = lab.in_root(host, "dd", "if=/dev/zero", "of=/root/fill-probe", "bs=64k", "count=4")
        assert proc.returncode != 0
        assert "No space left" in proc.stderr
    finally:
        lab_cli("fault", "clear", "fill-disk", host)
    proc = lab.in_root(host, "sh", "-c", "dd if=/dev/zero of=/root/fill-probe bs=64k count=4 && rm /root/fill-probe")
    assert proc.returncode == 0, proc.stderr


def test_break_repo_fails_the_metadata_refresh(lab):
    host = lab.first("apt", 1)  # not the fwupd host (the last apt host)
    lab_cli("fault", "break-repo", host)
    try:
        proc = lab.in_root(host, "apt-get", "update", "-o", "APT::Update::Error-Mode=any")
        assert proc.returncode != 0, proc.stdout
    finally:
        lab_cli("fault", "clear", "break-repo", host)
    proc = lab.in_root(host, "apt-get", "update", "-o", "APT::Update::Error-Mode=any")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_failing_maintainer_script(lab):
    host = lab.first("apt", 1)  # not the fwupd host (the last apt host)
    lab_cli("fault", "fail-script", host, "lab-agent")
    try:
        # --reinstall: the postinst runs whatever version the host has now.
        proc = lab.in_root(host, "sh", "-c", "apt-get update -qq && apt-get install -y --reinstall lab-agent")
        assert proc.returncode != 0, proc.stdout
        assert "failing on purpose" in proc.stdout + proc.stderr
    finally:
        lab_cli("fault", "clear", "fail-script", host, "lab-agent")
        lab_cli("reset", host)
    proc = lab.in_root(host, "dpkg", "--audit")
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout


def test_unknown_fault_is_a_clear_error(lab):
    proc = lab_cli("fault", "melt", lab.first("apt"), check=False)
    assert proc.returncode == 2
    assert "unknown fault" in proc.stderr
    assert "Traceback" not in proc.stderr

"""The lab hosts are real: Ansible upgrades a package over SSH and the package database in the chroot agrees."""

from __future__ import annotations

import pytest
from lab_testlib import lab_cli

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PACKAGE = "lab-agent"


def _deb_version(lab, host):
    proc = lab.in_root(host, "dpkg-query", "-W", "-f=${Version}", PACKAGE)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _rpm_version(lab, host):
    proc = lab.in_root(host, "rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", PACKAGE)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize(
    ("manager", "module", "version_of"),
    [
        ("apt", f"ansible.builtin.apt: {{name: {PACKAGE}, state: latest, update_cache: true}}", _deb_version),
        ("dnf", f"ansible.builtin.dnf: {{name: {PACKAGE}, state: latest}}", _rpm_version),
    ],
    ids=["apt", "dnf"],
)
def test_upgrade_one_package_over_ssh(lab, tmp_path, manager, module, version_of):
    host = lab.first(manager, 2)
    lab_cli("reset", host)  # start from the baseline, whatever other tests did to this host
    before = version_of(lab, host)
    try:
        result = lab.playbook(
            tmp_path,
            f"""\
            - name: Upgrade one lab package
              hosts: {host}
              gather_facts: false
              tasks:
                - name: Upgrade {PACKAGE}
                  {module}
            """,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "changed=1" in result.stdout
        after = version_of(lab, host)
        assert after != before, f"{PACKAGE} still at {before} on {host}"
    finally:
        lab_cli("reset", host)
    assert version_of(lab, host) == before, "reset did not bring the host back to its baseline"


def test_inventory_verifies_host_keys(lab):
    for asset in lab.assets.values():
        if "os" not in asset["layers"]:
            continue
        args = asset["vars"]["ansible_ssh_common_args"]
        assert "StrictHostKeyChecking=yes" in args
        assert asset["vars"]["ansible_python_interpreter"] == "/usr/bin/python3"
    known = open(lab.info["known_hosts"]).read()
    for name, host in lab.info["hosts"].items():
        assert f"[127.0.0.1]:{host['port']} ssh-ed25519 " in known, name


def test_each_host_has_its_own_identity(lab):
    names = {}
    for name in lab.info["hosts"]:
        proc = lab.in_root(name, "cat", "/etc/hostname")
        names[name] = proc.stdout.strip()
    assert names == {n: n for n in names}
    keys = {open(lab.root(n) / "etc/ssh/ssh_host_ed25519_key.pub").read().split()[1] for n in names}
    assert len(keys) == len(names), "hosts share sshd host keys"

"""The one reboot rule set every backend uses (reboot.py) and the apt backend's use of it."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import apt, reboot


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("linux-image-6.1.0-40-amd64", "kernel"),
        ("kernel-core", "kernel"),
        ("libc6", "C library"),
        ("glibc", "C library"),
        ("systemd", "init"),
        ("libssl3", "TLS library every daemon maps"),
        ("openssl-libs", "TLS library every daemon maps"),
        ("intel-microcode", "CPU microcode"),
        ("firmware-misc-nonfree", "firmware"),
        ("dbus", "system bus"),
        ("tzdata", None),
        ("openssh-server", None),
        ("libc-bin", None),
    ],
)
def test_rules(name, expected):
    assert reboot.reason(name) == expected


def test_installhint_provide():
    assert reboot.reason("lab-agent", ["installhint(reboot-needed)"]) == "installhint(reboot-needed)"


def test_services_of_package_files():
    files = [
        "/lib/systemd/system/ssh.service",
        "/lib/systemd/system/ssh@.service",
        "/usr/lib/systemd/system/rescue-ssh.target",
        "/usr/lib/systemd/system/nginx.service",
        "/etc/systemd/system/multi-user.target.wants/ssh.service",
        "/usr/sbin/sshd",
    ]
    assert reboot.services(files) == ["nginx.service", "ssh.service"]


class _Module:
    params = {"apt_changelogs": False}

    def __init__(self, answers):
        self.answers = answers

    def run_command(self, argv, environ_update=None, **kw):
        for key, answer in self.answers.items():
            if key in argv:
                return answer
        raise AssertionError(argv)


def test_apt_kernel_libc_and_openssl_updates_ask_for_a_reboot(tmp_path, monkeypatch):
    """Debian's kernel packages do not write /var/run/reboot-required: the rules must flag them anyway."""
    monkeypatch.setattr(apt, "REBOOT_FILE", str(tmp_path / "reboot-required"))
    monkeypatch.setattr(reboot, "MARKER", str(tmp_path / "everylayer" / "reboot-required"))
    sim = (
        "Inst linux-image-6.1.0-40-amd64 [6.1.153-1] (6.1.158-1 Debian-Security:12/stable-security [amd64])\n"
        "Inst libc6 [2.36-9+deb12u12] (2.36-9+deb12u14 Debian:12.13/stable [amd64])\n"
        "Inst libssl3 [3.0.17-1~deb12u2] (3.0.19-1~deb12u2 Debian-Security:12/stable-security [amd64])\n"
        "Inst tzdata [2025b-0+deb12u1] (2025b-0+deb12u2 Debian:12.13/stable [all])\n"
    )
    b = apt.AptBackend(_Module({"dist-upgrade": (0, sim, "")}))
    flagged = {e["name"]: e["reboot"] for e in b.updates({})}
    assert flagged == {"linux-image-6.1.0-40-amd64": True, "libc6": True, "libssl3": True, "tzdata": False}
    assert b.reboot_names(["libc6", "tzdata"]) == ["libc6"]
    assert b.reboot_state() == (False, [])
    b.mark_reboot(["libc6"])
    assert b.reboot_state() == (True, ["libc6"])  # until the next boot (the marker lives in /run)

"""dnf and zypper hosts read and repair the rpm database the same way (RpmDatabase in _packages/dnf.py)."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import dnf, reboot, zypper
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError


class Rpm:
    """A module whose run_command answers rpm as a host would; records every argv."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def run_command(self, argv, environ_update=None, **kw):
        self.calls.append(argv)
        for prefix, answer in self.answers.items():
            if argv[: len(prefix)] == list(prefix):
                return answer
        return 0, "", ""


def backend(cls, answers):
    """The backend without its constructor (dnf's needs the python3-dnf bindings), holding a fake module."""
    made = object.__new__(cls)
    made.module = Rpm(answers)
    return made


@pytest.mark.parametrize("cls", [dnf.DnfBackend, zypper.ZypperBackend])
def test_rpm_hosts_share_the_rpm_database(cls, tmp_path, monkeypatch):
    answers = {
        ("rpm", "-q", "--qf", "[%{NAME}\\t%{FILENAMES}\\n]"): (
            0,
            "openssh-server\t/usr/lib/systemd/system/sshd.service\n",
            "",
        ),
        ("rpm", "-q", "--qf", "[%{NAME}\\t%{PROVIDENAME}\\n]"): (0, "kernel-core\tkernel\nbash\tbash\n", ""),
        ("rpm", "-qa"): (1, "", "error: rpmdb: BDB0113 Thread/process 1/2 failed\n"),
        ("rpm", "--rebuilddb"): (1, "", "error: cannot open Packages index\n"),
    }
    b = backend(cls, answers)
    assert b.files(["openssh-server"]) == {"openssh-server": ["/usr/lib/systemd/system/sshd.service"]}
    assert b.files([]) == {} and len(b.module.calls) == 1  # nothing asked for, nothing run
    assert b.reboot_names(["bash", "kernel-core"]) == ["kernel-core"]
    assert b.problems() == ["rpm database problem (rpm -qa rc 1): error: rpmdb: BDB0113 Thread/process 1/2 failed"]
    with pytest.raises(PackagesError, match=r"rpm --rebuilddb \(repair\) failed \(rc 1\): error: cannot open"):
        b.repair()
    monkeypatch.setattr(reboot, "MARKER", str(tmp_path / "everylayer" / "reboot-required"))
    b.mark_reboot(["kernel-core"])
    assert reboot.marker_state() == (True, ["kernel-core"])


@pytest.mark.parametrize("cls", [dnf.DnfBackend, zypper.ZypperBackend])
def test_the_reboot_list_runs_no_command(cls, tmp_path, monkeypatch):
    """reboot_packages() (asked for the changed packages) reads the marker only; reboot_state() (asked once, for the
    result) is the one that runs needs-restarting / zypper needs-rebooting."""
    monkeypatch.setattr(reboot, "MARKER", str(tmp_path / "everylayer" / "reboot-required"))
    b = backend(cls, {("zypper", "needs-rebooting"): (102, "", "")})
    assert b.reboot_packages() == []
    b.mark_reboot(["kernel-lab"])
    assert b.reboot_packages() == ["kernel-lab"] and b.module.calls == []
    if cls is zypper.ZypperBackend:
        assert b.reboot_state() == (True, ["kernel-lab"]) and b.module.calls == [["zypper", "needs-rebooting"]]

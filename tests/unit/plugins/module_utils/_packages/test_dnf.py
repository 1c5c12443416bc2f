"""Pure parts of the dnf backend (the Python API itself runs against the lab's dnf hosts)."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._packages import dnf, reboot


def test_versionlock_patterns():
    text = "# comment\nlab-web-0:1.0-1.*\n!kernel-lab-1.2-1.noarch\n\nbash-5.1-2.el9.x86_64\n"
    locked, excluded = dnf.versionlock_patterns(text)
    assert locked == ["lab-web", "bash"]
    assert excluded == ["kernel-lab"]


@pytest.mark.parametrize(
    ("name", "provides", "expected"),
    [
        ("kernel", (), True),
        ("kernel-lab", (), True),
        ("glibc", (), True),
        ("lab-web", (), False),
        ("lab-web", ("installhint(reboot-needed)",), True),
        ("kernelshark", (), False),
    ],
)
def test_needs_reboot(name, provides, expected):
    assert dnf.needs_reboot(name, provides) is expected


def test_reboot_marker(tmp_path):
    marker = str(tmp_path / "run" / "reboot-required")
    reboot.write_marker(["kernel-lab"], marker)
    reboot.write_marker(["kernel-lab", "glibc"], marker)
    assert reboot.marker_state(marker) == (True, ["kernel-lab", "glibc"])


class _Rpm:
    def __init__(self, answer):
        self.answer = answer

    def run_command(self, argv, environ_update=None, **kw):
        return self.answer


def test_rpm_database_errors_are_problems_warnings_are_not():
    error = "error: rpmdb: BDB0113 Thread/process 2264/140317 failed: BDB1507 Thread died in Berkeley DB library\n"
    assert dnf.rpm_problems(_Rpm((1, "", error))) == [f"rpm database problem (rpm -qa rc 1): {error.strip()}"]
    assert dnf.rpm_problems(_Rpm((0, "bash\n", "warning: Generating 12 missing index(es), please wait...\n"))) == []
    assert dnf.rpm_problems(_Rpm((0, "bash\n", ""))) == []

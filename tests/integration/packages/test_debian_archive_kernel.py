"""The kernel variant of the real-archive tier: the release's linux-image-amd64 installed (a cached layer), the
security suite's kernel pending. Patching it pulls in a new linux-image-<abi> package and must flag the reboot
(Debian's kernel packages do not write /var/run/reboot-required); the rollback leaves dpkg as it was."""

from __future__ import annotations

import pytest
from debian_archive_driver import run_module

from lab.realdeb.host import RealDebHost

pytestmark = [pytest.mark.debian_archive, pytest.mark.slow]
KERNEL = "linux-image-amd64"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    with RealDebHost(tmp_path_factory.mktemp("realdeb-kernel"), kernel=True, name="realdeb-kernel") as h:
        yield h


ARGS = {"state": "patched", "names": ["linux-image-*"], "apt_changelogs": False, "update_cache": False}


def test_check_mode_forecasts_the_reboot_of_the_new_kernel(host, tmp_path):
    assert KERNEL in host.upgradable(), "the snapshot's security suite should offer a newer kernel"
    check = run_module(host, ARGS, tmp_path, check=True)
    assert not check.get("failed"), check.get("msg")
    new = [c for c in check["changes"] if c["before"] is None and c["component"].startswith("linux-image-6")]
    assert new, f"the security kernel should pull in a new linux-image-<abi> package: {check['changes']}"
    assert all(c["reboot_required"] for c in new), f"check mode: the new kernel needs a reboot: {new}"


def test_kernel_update_flags_the_reboot_and_rolls_back_exactly(host, tmp_path):
    before = host.dpkg_status()
    patch = run_module(host, ARGS, tmp_path)
    assert not patch.get("failed"), patch["msg"]
    new = [c["component"] for c in patch["changes"] if c["before"] is None]
    assert KERNEL in {c["component"] for c in patch["changes"]} and any(n.startswith("linux-image-6") for n in new)
    back = run_module(host, {"state": "rolled_back", "rollback": patch["rollback"], "update_cache": False}, tmp_path)
    # the rollback first: whatever the reboot verdict, the host must be left as it was
    assert not back.get("failed"), back["msg"]
    assert host.dpkg_status() == before, "dpkg -l after the rollback differs from before the patch"
    assert patch["reboot_required"] is True, "a kernel update on an apt host must flag the reboot"
    assert any(n in patch["reboot_packages"] for n in [KERNEL, *new]), patch["reboot_packages"]

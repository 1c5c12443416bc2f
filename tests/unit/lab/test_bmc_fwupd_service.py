"""The lab's fwupd service prepares a host root: private system bus config, fwupd test devices, bus address."""

from __future__ import annotations

from pathlib import Path

from lab.services.fwupd import BUS_ADDRESS, SERVICE, pick_host


def test_pick_host_prefers_the_last_apt_host():
    hosts = {name: Path("/") for name in ("lab-apt-01", "lab-dnf-01", "lab-apt-03", "lab-apt-02")}
    assert pick_host(hosts) == "lab-apt-03"
    assert pick_host({"lab-dnf-01": Path("/"), "lab-dnf-02": Path("/")}) == "lab-dnf-02"
    assert pick_host({}) is None


def test_prepare_writes_bus_fwupd_and_environment(tmp_path):
    root = tmp_path / "root"
    (root / "etc/fwupd/remotes.d").mkdir(parents=True)
    (root / "etc/fwupd/fwupd.conf").write_text("[fwupd]\n# use `man 5 fwupd.conf` for documentation\n")
    (root / "etc/fwupd/remotes.d/lvfs.conf").write_text("[fwupd Remote]\nEnabled=true\nTitle=LVFS\n")
    (root / "etc/environment").write_text("LANG=C.UTF-8\nDBUS_SYSTEM_BUS_ADDRESS=unix:path=/old\n")
    SERVICE._prepare(root)
    SERVICE._prepare(root)  # idempotent
    conf = (root / "etc/fwupd/fwupd.conf").read_text().splitlines()
    assert conf.count("TestDevices=true") == 1 and conf.count("OnlyTrusted=false") == 1
    assert conf.index("TestDevices=true") > conf.index("[fwupd]")
    lvfs = (root / "etc/fwupd/remotes.d/lvfs.conf").read_text().splitlines()
    assert "Enabled=false" in lvfs and "Enabled=true" not in lvfs and "Title=LVFS" in lvfs
    env = (root / "etc/environment").read_text().splitlines()
    assert env == ["LANG=C.UTF-8", f"DBUS_SYSTEM_BUS_ADDRESS={BUS_ADDRESS}"]
    assert BUS_ADDRESS in (root / "etc/profile.d/everylayer-fwupd.sh").read_text()
    bus = (root / "etc/everylayer/fwupd-bus.conf").read_text()
    assert "<listen>unix:path=/run/dbus/system_bus_socket</listen>" in bus and "<type>system</type>" in bus
    assert (root / "run/dbus").is_dir()

"""scanned -> check mode -> upgraded -> idempotent re-run -> check mode -> rolled_back, per platform."""

from __future__ import annotations

import os
import stat

import pytest
from helpers.change_record import validate

PLATFORMS = ["cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos"]


@pytest.mark.slow
@pytest.mark.parametrize("device", PLATFORMS, indirect=True)
def test_upgrade_and_roll_back(device):
    d = device
    scan, check, up, again, check_again = d.play(
        {"state": "scanned", "version": d.new_version, "image": str(d.image)},
        {**d.upgrade_args(), "_check": True},
        d.upgrade_args(),
        d.upgrade_args(),
        {**d.upgrade_args(), "_check": True},
    )
    for res in (scan, check, up, again, check_again):
        assert not res.get("failed"), res.get("msg")
        validate(res)

    assert scan["changed"] is False and scan["facts"]["before"]["version"] == d.old_version
    assert [(p["component"], p["before"], p["after"], p["kind"]) for p in scan["pending"]] == [
        (d.new_file, d.old_version, d.new_version, "image")
    ]
    assert set(scan["snapshot"]) == {"interfaces", "lldp", "bgp"}

    assert check["changed"] is True and check["simulated"] is True and check["transfer"] is None
    assert "version: " + d.old_version in check["diff"]["before"]

    assert up["changed"] is True and up["simulated"] is False and up["reboot_required"] is False
    assert [(c["component"], c["before"], c["after"]) for c in up["changes"]] == [
        (d.new_file, d.old_version, d.new_version)
    ]
    assert up["rollback"]["strategy"] == "image"
    assert (up["rollback"]["data"]["file"], up["rollback"]["data"]["version"]) == (d.old_file, d.old_version)
    assert up["transfer"]["transferred"] is True and up["transfer"]["resent"] == 0
    assert up["postcheck"]["differences"] == []
    assert [s["step"] for s in up["steps"]][-3:] == ["reload", "back", "postcheck"]
    backup = up["backup_path"]
    assert os.path.isfile(backup) and stat.S_IMODE(os.stat(backup).st_mode) == 0o600

    assert again["changed"] is False and again["changes"] == [] and again["msg"].startswith("already running")
    assert check_again["changed"] is False

    state = d.sim.state()
    assert (state["version"], state["image"], state["reloads"]) == (d.new_version, d.new_file, 1)

    back, back_again = d.play(
        {
            "state": "rolled_back",
            "rollback": up["rollback"]["data"],
            **{k: v for k, v in d.upgrade_args().items() if k.startswith("reload")},
        },
        {"state": "rolled_back", "rollback": up["rollback"]["data"]},
    )
    for res in (back, back_again):
        assert not res.get("failed"), res.get("msg")
        validate(res)
    assert back["changed"] is True
    assert [(c["component"], c["before"], c["after"]) for c in back["changes"]] == [
        (d.old_file, d.new_version, d.old_version)
    ]
    assert back["rollback"]["data"]["file"] == d.new_file  # undoing the rollback rolls forward
    assert back_again["changed"] is False
    state = d.sim.state()
    assert (state["version"], state["image"], state["boot"][0], state["reloads"]) == (
        d.old_version,
        d.old_file,
        d.old_file,
        2,
    )


@pytest.mark.parametrize("device", ["cisco_ios"], indirect=True)
def test_staged_is_idempotent_and_does_not_reload(device):
    d = device
    staged, again = d.play({**d.upgrade_args(), "state": "staged"}, {**d.upgrade_args(), "state": "staged"})
    validate(staged)
    validate(again)
    assert staged["changed"] is True and staged["reboot_required"] is True
    assert staged["changes"][0]["reboot_required"] is True
    assert (
        again["changed"] is False and again["pending"][0]["after"] == d.new_version and again["reboot_required"] is True
    )
    state = d.sim.state()
    assert state["reloads"] == 0 and state["version"] == d.old_version
    assert state["boot"] == [d.new_file, d.old_file]  # new image first, the running one as fallback

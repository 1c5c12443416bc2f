"""IOS-XE install mode and stacks against the simulator: add / activate / commit, a stack member left on the old
image (not committed: rolled back to the committed set), roll back after the commit through the device's rollback
point (install rollback to id N), clean up inactive packages when space is short."""

from __future__ import annotations

import pytest
from helpers.change_record import validate

from lab.netsim import images

INSTALL_STACK = {"platform": "cisco_ios", "boot_mode": "install", "stack": 2, "reload_delay": 1}


def _ok(res: dict) -> dict:
    assert not res.get("failed"), res.get("msg")
    return validate(res)


def _states(state: dict) -> dict:
    return {p["version"]: p["state"] for p in state["packages"]}


@pytest.mark.parametrize("device", [INSTALL_STACK], indirect=True)
def test_install_mode_stack(device, tmp_path):
    d = device
    d.sim.fault("stack-member-stale")  # the first activation leaves switch 2 on the old image
    check, staged, stale, up, again = d.play(
        {**d.upgrade_args(), "_check": True},
        {**d.upgrade_args(), "state": "staged"},
        d.upgrade_args(),
        d.upgrade_args(),
        d.upgrade_args(),
    )
    for res in (check, staged, up, again):
        _ok(res)
    assert check["changed"] is True and check["simulated"] is True and "install add, activate, commit" in check["msg"]
    assert staged["changed"] is True and "install_add" in [s["step"] for s in staged["steps"]]

    validate(stale)
    assert stale["failed"] is True and "not every stack member / supervisor runs" in stale["msg"], stale["msg"]
    assert f"standby 2 runs {d.old_version}" in stale["msg"]
    assert "rolled back to the committed package set" in stale["msg"]
    assert stale["changed"] is True and stale["rollback"]["data"]["version"] == d.old_version
    assert "install_commit" not in [s["step"] for s in stale["steps"]]

    assert up["changed"] is True and "committed" in up["msg"]
    steps = [s["step"] for s in up["steps"]]
    assert steps.index("install_activate") < steps.index("members") < steps.index("install_commit")
    assert [(m["id"], m["version"]) for m in up["members"]] == [("1", d.new_version), ("2", d.new_version)]
    assert again["changed"] is False
    state = d.sim.state()
    assert (state["image"], state["boot"], state["version"]) == ("packages.conf", ["packages.conf"], d.new_version)
    assert _states(state) == {d.old_version: "I", d.new_version: "C"}
    assert state["saves"] == 0  # install mode never saves the configuration: no boot variable to persist
    assert up["rollback"]["data"]["mode"] == "install" and up["rollback"]["data"]["file"] == d.old_file

    # after the commit: the device's own rollback point of the old set (show install rollback), not a re-add
    check_back, back = d.play(
        {"state": "rolled_back", "rollback": up["rollback"]["data"], "reload_poll_interval": 1, "_check": True},
        {"state": "rolled_back", "rollback": up["rollback"]["data"], "reload_poll_interval": 1},
    )
    _ok(check_back)
    assert "install rollback to id 1" in check_back["msg"], check_back["msg"]
    _ok(back)
    state = d.sim.state()
    assert state["version"] == d.old_version and _states(state) == {d.old_version: "C", d.new_version: "I"}
    assert [(c["before"], c["after"]) for c in back["changes"]] == [(d.new_version, d.old_version)]
    steps = [s["step"] for s in back["steps"]]
    assert "install_rollback_id" in steps and "install_add" not in steps and "install_activate" not in steps
    assert "install rollback to id 1" in back["msg"]

    # short of space: 'install remove inactive' (the new set, inactive again) before the transfer
    third = images.make_image(tmp_path / "cat9k_iosxe.17.15.01.SPA.bin", "cisco_ios", "17.15.01")
    d.sim.fault("flash-full")
    (room,) = d.play({"state": "staged", "image": str(third), "version": "17.15.01"})
    _ok(room)
    steps = [s["step"] for s in room["steps"]]
    assert steps.index("install_remove") < steps.index("transfer") < steps.index("install_add")
    assert _states(d.sim.state()) == {d.old_version: "C", "17.15.01": "I"}
    assert not (d.sim.device_dir / "flash" / d.new_file).exists()


@pytest.mark.parametrize("device", [{"platform": "cisco_ios", "stack": 2, "reload_delay": 1}], indirect=True)
def test_bundle_stack_member_left_on_the_old_image_fails_the_postcheck(device):
    d = device
    d.sim.fault("stack-member-stale")
    (res,) = d.play(d.upgrade_args())
    assert res["failed"] is True and "not every stack member / supervisor runs" in res["msg"], res["msg"]
    assert f"standby 2 runs {d.old_version}" in res["msg"]
    validate(res)
    assert res["changed"] is True and [(c["before"], c["after"]) for c in res["changes"]] == [
        (d.old_version, d.new_version)
    ]
    assert res["rollback"]["data"]["file"] == d.old_file

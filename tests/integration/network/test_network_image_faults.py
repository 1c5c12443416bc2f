"""One test per simulator fault: the module's result and the device's final state."""

from __future__ import annotations

import pytest
from helpers.change_record import validate


def _ok(res: dict) -> dict:
    assert not res.get("failed"), res.get("msg")
    return validate(res)


def _failed(res: dict, text: str) -> dict:
    assert res.get("failed") is True, res
    assert text in res["msg"], res["msg"]
    return validate(res)


@pytest.mark.parametrize("device", ["cisco_ios"], indirect=True)
def test_corrupt_transfer_is_resent_once(device):
    d = device
    d.sim.fault("corrupt-transfer")
    (res,) = d.play(d.upgrade_args())
    _ok(res)
    assert res["transfer"]["resent"] == 1
    assert any(s.get("result") == "corrupt, re-sending" for s in res["steps"])
    assert d.sim.state()["version"] == d.new_version


@pytest.mark.parametrize("device", ["arista_eos"], indirect=True)
def test_corrupt_twice_fails_and_keeps_boot_variable(device):
    d = device
    d.sim.fault("corrupt-transfer", "2")
    (res,) = d.play(d.upgrade_args())
    _failed(res, "still corrupt after a second transfer")
    state = d.sim.state()
    assert (state["version"], state["boot"], state["reloads"]) == (d.old_version, [d.old_file], 0)


@pytest.mark.parametrize("device", ["juniper_junos"], indirect=True)
def test_dropped_session_mid_transfer_reconnects_and_resumes(device):
    d = device
    d.sim.fault("drop-transfer")
    (res,) = d.play(d.upgrade_args())
    _ok(res)
    assert res["transfer"]["reconnects"] >= 1 and res["reconnects"] >= 1
    assert any("session lost" in str(s.get("result")) for s in res["steps"])
    assert d.sim.state()["version"] == d.new_version


@pytest.mark.parametrize("device", ["cisco_nxos"], indirect=True)
def test_slow_hash_within_and_beyond_the_timeout(device):
    d = device
    d.sim.fault("slow-hash", "2")
    slow_ok, too_slow = d.play(
        {**d.upgrade_args(), "state": "staged", "hash_timeout": 30},
        {**d.upgrade_args(), "state": "staged", "dest": "copy-" + d.new_file, "hash_timeout": 1},
    )
    _ok(slow_ok)
    assert slow_ok["changed"] is True
    _failed(too_slow, "did not answer within 1s (hash_timeout)")
    state = d.sim.state()
    assert state["boot"] == [d.new_file] and state["reloads"] == 0


@pytest.mark.parametrize("device", ["arista_eos"], indirect=True)
def test_failing_hash_fails_clearly_without_touching_boot(device):
    d = device
    d.sim.fault("fail-hash")
    (res,) = d.play(d.upgrade_args())
    _failed(res, "could not hash")
    state = d.sim.state()
    assert (state["boot"], state["version"]) == ([d.old_file], d.old_version)


@pytest.mark.parametrize("device", ["cisco_ios"], indirect=True)
def test_reload_that_never_returns_times_out(device):
    d = device
    d.sim.fault("reload-hang")
    (res,) = d.play(d.upgrade_args(reload_timeout=8))
    _failed(res, "did not come back within reload_timeout=8s")
    assert res["changed"] is True
    assert res["rollback"]["data"]["file"] == d.old_file and res["pending"][0]["after"] == d.new_version
    assert d.sim.state()["up"] is False
    d.sim.fault("clear")  # the device finishes booting: restore
    d.sim.wait_listening(20)
    assert d.sim.state()["version"] == d.new_version


@pytest.mark.parametrize("device", ["cisco_ios", "arista_eos"], indirect=True)
def test_boot_failure_falls_back_and_boot_variable_stays_bootable(device):
    d = device
    d.sim.fault("boot-fail")
    (res,) = d.play(d.upgrade_args())
    _failed(res, f"came back on {d.old_version}")
    assert "boot variable reset to " + d.old_file in res["msg"]
    assert res["changes"] == [] and res["pending"][0]["after"] == d.new_version
    state = d.sim.state()
    assert (state["version"], state["image"], state["boot"]) == (d.old_version, d.old_file, [d.old_file])
    assert state["last_boot"]["result"] == "fallback"


@pytest.mark.parametrize("device", ["cisco_nxos"], indirect=True)
def test_full_flash_fails_unless_old_images_may_be_deleted(device):
    d = device
    d.sim.fault("flash-full")
    legacy = "legacy-" + d.old_file
    refused, freed = d.play(
        {**d.upgrade_args(), "state": "staged"},
        {**d.upgrade_args(), "state": "staged", "delete_images": [d.old_file, legacy]},
    )
    _failed(refused, "not enough free space")
    _ok(freed)
    assert freed["deleted_images"] == [legacy]  # the running image is protected
    files = set((d.sim.device_dir / "flash").iterdir())
    names = {p.name for p in files}
    assert legacy not in names and d.old_file in names and d.new_file in names
    assert d.sim.state()["boot"] == [d.new_file]


@pytest.mark.parametrize("device", ["cisco_ios"], indirect=True)
def test_host_key_is_verified_unless_relaxed(device, tmp_path):
    d = device
    other = tmp_path / "other_known_hosts"
    other.write_text(
        f"[127.0.0.1]:{d.sim.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJe0a1nY5QmzJmJ1+IiY1mJx2h9YwS0f5v1J4dUe8aK\n"
    )
    wrong, missing, relaxed = d.play(
        {"state": "scanned", "known_hosts": str(other)},
        {"state": "scanned", "known_hosts": str(tmp_path / "nope")},
        {"state": "scanned", "known_hosts": str(other), "host_key_checking": False},
    )
    assert wrong["failed"] and "SSH to 127.0.0.1" in wrong["msg"]
    assert missing["failed"] and "does not exist" in missing["msg"]
    _ok(relaxed)
    assert relaxed["facts"]["before"]["version"] == d.old_version


@pytest.mark.parametrize("device", ["cisco_ios"], indirect=True)
def test_unsaved_configuration_is_not_saved_silently(device):
    d = device
    from ansible_collections.everylayer.patch.plugins.plugin_utils._network.platforms import get_platform
    from ansible_collections.everylayer.patch.plugins.plugin_utils._network.session import Session

    s = Session(
        get_platform("cisco_ios"), "127.0.0.1", d.sim.port, "admin", d.sim.password, known_hosts=str(d.sim.known_hosts)
    )
    s.connect()
    s.config(["logging host 192.0.2.99"])
    s.close()
    refused, allowed = d.play(
        {**d.upgrade_args(), "state": "staged"}, {**d.upgrade_args(), "state": "staged", "save_unsaved_config": True}
    )
    _failed(refused, "unsaved changes")
    _ok(allowed)
    assert d.sim.state()["saved"] is True


@pytest.mark.parametrize("device", ["cisco_ios"], indirect=True)
def test_postcheck_differences_are_reported_as_a_warning(device):
    d = device
    d.sim.fault("link-down")
    (res,) = d.play(d.upgrade_args())
    _ok(res)
    diffs = {(x["check"], x["item"]): (x["before"], x["after"]) for x in res["postcheck"]["differences"]}
    assert diffs == {
        ("interfaces", "Gi1/0/2"): ("connected", "notconnect"),
        ("lldp", "Gi1/0/2"): ("lab-core-02", None),
        ("bgp", "10.0.0.5"): ("Established", "Idle"),
    }
    assert any("post-checks differ" in w for w in res.get("warnings", []))
    assert d.sim.state()["version"] == d.new_version


@pytest.mark.parametrize("device", ["juniper_junos"], indirect=True)
def test_postcheck_differences_fail_the_task_when_asked(device):
    d = device
    d.sim.fault("link-down")
    (res,) = d.play(d.upgrade_args(fail_on_postcheck_diff=True))
    _failed(res, "post-checks differ from the pre-check snapshot")
    assert "ge-0/0/1: up/up -> up/down" in res["msg"]
    assert res["changed"] is True and d.sim.state()["version"] == d.new_version
    assert [(c["before"], c["after"]) for c in res["changes"]] == [(d.old_version, d.new_version)]
    assert res["rollback"]["data"]["file"] == d.old_file

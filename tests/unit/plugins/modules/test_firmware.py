"""The firmware module's wiring: argument checks, results, check mode and failures, run in-process."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args
from ansible_collections.everylayer.patch.plugins.modules import firmware
from helpers.change_record import validate

REPO = Path(__file__).resolve().parents[4]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lab.bmcsim import testing  # noqa: E402


@pytest.fixture(scope="module")
def bmc(tmp_path_factory):
    running = testing.start(tmp_path_factory.mktemp("bmc"), step_seconds=0.02, reset_seconds=0.5)
    yield running
    running.stop()


def run(args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        firmware.main()
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = exc.value.code
    return out


def redfish_args(bmc, **extra):
    args = {
        "backend": "redfish",
        "baseuri": bmc.baseuri,
        "username": "admin",
        "password": "lab-bmc-password",
        "ca_path": bmc.ca_path,
        "use_proxy": False,
        "poll_interval": 0.05,
        "timeout": 30,
    }
    args.update(extra)
    return args


def test_scan_result_is_a_change_record(bmc, capsys):
    out = run(redfish_args(bmc), capsys)
    assert out["_rc"] == 0 and out["changed"] is False
    assert out["layer"] == "firmware" and out["rollback"] == {"strategy": "none", "data": {}}
    validate(out)


def test_password_is_not_logged(bmc, capsys, monkeypatch):
    # What the module sends to the target's log (journal/syslog) is captured at the syslog sink.
    logged = []
    monkeypatch.setattr(basic, "has_journal", False)
    monkeypatch.setattr(basic.AnsibleModule, "_log_to_syslog", lambda self, msg: logged.append(msg))
    args = redfish_args(bmc)
    # ansible-core >= 2.21 only returns the invocation when asked (INJECT_INVOCATION, default off: KeyError before);
    # ask for it where the core knows the flag, so the masked module_args are checked on every version.
    if "inject_invocation" in PASS_VARS:
        args["_ansible_inject_invocation"] = True
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        firmware.main()
    raw = capsys.readouterr().out
    assert exc.value.code == 0, raw
    assert "lab-bmc-password" not in raw
    assert logged and all("lab-bmc-password" not in msg for msg in logged)
    assert any("password=NOT_LOGGING_PARAMETER" in msg for msg in logged)
    # no_log honoured: the invocation is returned with the value masked, not dropped by accident
    assert json.loads(raw)["invocation"]["module_args"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_check_mode_and_diff(bmc, capsys):
    args = redfish_args(
        bmc,
        state="updated",
        components=["NIC1"],
        version="25.6.0",
        image_uri=bmc.image_uri("NIC1", "25.6.0"),
        _ansible_check_mode=True,
        _ansible_diff=True,
    )
    out = run(args, capsys)
    assert out["changed"] and out["changes"] == [] and out["pending"][0]["after"] == "25.6.0"
    assert out["diff"]["before"] == "NIC1 25.5.6\n" and out["diff"]["after"] == "NIC1 25.6.0\n"
    assert bmc.version("NIC1") == "25.5.6"
    validate(out)


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"state": "updated", "components": ["BIOS"]}, "needs one component in components and the version"),
        ({"state": "updated", "components": ["BIOS"], "version": "2.3.0"}, "needs image_uri"),
        ({"state": "rolled_back"}, "needs rollback"),
        (
            {
                "state": "rolled_back",
                "rollback": {"strategy": "firmware", "data": {"backend": "fwupd", "components": {"x": {}}}},
            },
            "for backend fwupd",
        ),
        ({"state": "rolled_back", "components": ["BIOS"], "version": "2.2.0"}, "needs that version's image"),
        ({"state": "activated", "components": ["BIOS"]}, "state=activated needs one component"),
        ({"state": "activated", "components": ["BIOS", "BMC"], "version": "2.3.0"}, "needs one component"),
        (
            {"state": "activated", "components": ["BIOS"], "version": "2.3.0", "image_uri": "http://x/b.bin"},
            "state=activated sends no image",
        ),
    ],
)
def test_argument_errors_are_explained(bmc, capsys, extra, message):
    out = run(redfish_args(bmc, **extra), capsys)
    assert out["_rc"] == 1 and out["failed"] and message in out["msg"]


def test_redfish_needs_connection_arguments(capsys):
    out = run({"backend": "redfish"}, capsys)
    assert out["failed"] and "baseuri" in out["msg"]


def test_unreachable_bmc(capsys):
    out = run(
        {
            "backend": "redfish",
            "baseuri": "https://127.0.0.1:9",
            "username": "admin",
            "password": "secret-password",
            "use_proxy": False,
            "request_timeout": 2,
        },
        capsys,
    )
    assert out["failed"] and "unreachable" in out["msg"]


def test_fwupd_without_fwupdmgr(capsys, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(firmware.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    out = run({"backend": "fwupd"}, capsys)
    assert out["failed"] and "fwupdmgr is not installed" in out["msg"]


def test_activated_check_mode_resets_nothing(bmc, capsys):
    sim = bmc.server.bmc
    args = redfish_args(
        bmc, state="activated", components=["BIOS"], version="2.3.0", _ansible_check_mode=True, _ansible_diff=True
    )
    out = run(args, capsys)
    assert out["_rc"] == 0 and out["changed"] and out["state"] == "activated"
    assert out["changes"] == [] and out["pending"][0]["after"] == "2.3.0"
    assert out["diff"]["before"] == "BIOS 2.2.4\n" and out["diff"]["after"] == "BIOS 2.3.0\n"
    assert (sim.resets, sim.system_resets, bmc.version("BIOS")) == (0, 0, "2.2.4")
    validate(out)


def test_fwupd_cannot_activate(capsys, monkeypatch):
    monkeypatch.setattr(firmware.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/fwupdmgr")
    out = run({"backend": "fwupd", "state": "activated", "components": ["x"], "version": "1.2.4"}, capsys)
    assert out["_rc"] == 1 and "fwupd activates staged firmware at the host's reboot" in out["msg"]

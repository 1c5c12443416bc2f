"""everylayer.patch.firmware through ansible-playbook against BMC simulators that misbehave the way real BMCs do
(lab.bmcsim faults): no crash, the BMC's own words and a wait that ends on the BMC's answer, never by the timeout.

One simulator per misbehaviour, all hosts of ONE playbook run (each ansible-playbook start costs seconds):
1. update BIOS 2.2.4 -> 2.3.0 with a 600 s timeout no host may reach; 2. the same in check mode;
3. a scan with ``auth: basic``.
"""

from __future__ import annotations

import json

import pytest
import yaml
from firmware_driver import bmc_hostvars, connection, run_playbook, testing
from helpers.change_record import validate

LONG = 600
FAULTS = {
    "empty202": {"empty_202": True},
    "vendor_failed": {"task_fail_at": 55, "task_failed_state": "Failed"},
    "unknown_state": {"task_stuck_state": "Flashing"},
    "busy": {"push_targets_busy": True, "oem_updating": True},
    "error_ids_only": {"update_refused": True, "error_style": "ids_only"},
    "error_code_only": {"update_refused": True, "error_style": "code_only"},
    "error_none": {"update_refused": True, "error_style": "none"},
    "third_version": {"third_version": "2.2.9"},
    "no_sessions": {"no_sessions": True},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{host: {"update": result, "check": result, "scan": result, "bmc": RunningBmc}} from one playbook run."""
    base = tmp_path_factory.mktemp("misbehaviour")
    bmcs = {name: testing.start(base / name, step_seconds=0.05, reset_seconds=1.5) for name in FAULTS}
    try:
        for name, faults in FAULTS.items():
            bmcs[name].set_faults(**faults)
        hosts = {name: bmc_hostvars(bmc) for name, bmc in bmcs.items()}
        (base / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
        update = connection(
            state="updated",
            components=["BIOS"],
            version="2.3.0",
            image_uri="{{ everylayer_firmware_image_base }}/bios-2.3.0.bin",
            rollback_image="{{ everylayer_firmware_image_base }}/bios-2.2.4.bin",
            timeout=LONG,
        )
        steps = [("update", update, False), ("check", update, True), ("scan", connection(auth="basic"), False)]
        tasks = [
            {"name": name, "everylayer.patch.firmware": args, "register": name, "ignore_errors": True}
            | ({"check_mode": True} if check else {})
            for name, args, check in steps
        ]
        tasks.append(
            {
                "name": "save results",
                "delegate_to": "localhost",
                "ansible.builtin.copy": {
                    "content": "{{ {'update': update, 'check': check, 'scan': scan} | to_nice_json }}",
                    "dest": str(base) + "/{{ inventory_hostname }}.json",
                    "mode": "0600",
                },
            }
        )
        play = [{"name": "misbehaving BMCs", "hosts": "all", "gather_facts": False, "tasks": tasks}]
        (base / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
        with pytest.MonkeyPatch.context() as env:
            env.setenv("ANSIBLE_FORKS", str(len(FAULTS)))
            run_playbook(base, base / "play.yml", base / "hosts.yml", check=False)
        found = {}
        for name in FAULTS:
            path = base / f"{name}.json"
            assert path.exists(), (base / "output.txt").read_text()[-4000:]
            found[name] = dict(json.loads(path.read_text()), bmc=bmcs[name])
            found[name]["transfers"] = bmcs[name].image_transfers
        yield found
    finally:
        for bmc in bmcs.values():
            bmc.stop()


def bios_version(result):
    return next(d["version"] for d in result["devices"] if d["id"] == "BIOS")


def test_empty_202_is_followed_to_the_new_version(runs):
    run = runs["empty202"]
    assert not run["update"].get("failed"), run["update"].get("msg")
    assert [(c["before"], c["after"]) for c in run["update"]["changes"]] == [("2.2.4", "2.3.0")]
    assert run["update"]["task"]["state"] == "Completed" and run["update"]["task"]["progress"]
    assert run["check"]["changed"] is False and bios_version(run["scan"]) == "2.3.0"
    validate(run["update"])


@pytest.mark.parametrize(
    "host, expected",
    [("vendor_failed", "ended Failed/OK at 100%"), ("unknown_state", "unknown task state 'Flashing'")],
)
def test_vendor_task_states_end_the_wait(runs, host, expected):
    result = runs[host]["update"]
    assert result["failed"] and expected in result["msg"], result["msg"]
    assert "Timed out" not in result["msg"]  # ended on the task's state, not on the 600 s timeout
    assert result["changed"] is False and bios_version(runs[host]["scan"]) == "2.2.4"


def test_busy_and_oem_in_progress_are_refused_before_sending(runs):
    run = runs["busy"]
    for result in (run["update"], run["check"]):
        assert result["failed"] and "busy with another update, so nothing was sent" in result["msg"]
        assert "HttpPushUriTargetsBusy" in result["msg"] and "Oem.Hpe.State is Updating (37%)" in result["msg"]
    assert run["transfers"] == 0 and run["bmc"].server.bmc.tasks == {}


@pytest.mark.parametrize(
    "host, words",
    [
        ("error_ids_only", "HTTP 409: Base.1.22.ResourceInUse: A firmware update is already in progress"),
        ("error_code_only", "HTTP 409: Base.1.22.ResourceInUse"),
        ("error_none", "HTTP 409: the BMC gave no message"),
    ],
)
def test_error_bodies_keep_the_bmcs_words(runs, host, words):
    result = runs[host]["update"]
    assert result["failed"] and words in result["msg"], result["msg"]
    assert result["changed"] is False


def test_third_version_reports_the_change_it_saw(runs):
    result = runs["third_version"]["update"]
    assert result["failed"] and "BIOS now runs 2.2.9, neither 2.2.4 nor 2.3.0" in result["msg"], result["msg"]
    assert result["changed"] is True
    assert [(c["component"], c["before"], c["after"]) for c in result["changes"]] == [("BIOS", "2.2.4", "2.2.9")]
    components = result["rollback"]["data"]["components"]
    assert components["BIOS"]["version"] == "2.2.4" and components["BIOS"]["image"].endswith("/bios-2.2.4.bin")
    validate(result)


def test_no_session_service_suggests_basic_auth(runs):
    run = runs["no_sessions"]
    assert run["update"]["failed"] and "HTTP 404" in run["update"]["msg"] and "try auth: basic" in run["update"]["msg"]
    assert not run["scan"].get("failed") and bios_version(run["scan"]) == "2.2.4"

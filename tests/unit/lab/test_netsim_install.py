"""The simulator's IOS-XE install mode (lab/netsim/install.py): the questions before a reload and their answers."""

from __future__ import annotations

import json

import pytest

from lab.netsim import images
from lab.netsim.cli_cisco import CiscoIos
from lab.netsim.device import Device

QUESTION = "{op}: START\nThis operation may require a reload of the system. Do you want to proceed? [y/n]"


class Sim:
    """The server side of a CLI session: counts the reloads the CLI asks for."""

    def __init__(self):
        self.reloads = 0

    def request_reload(self):
        self.reloads += 1


def added(tmp_path):
    """An install-mode device with the catalogue's new version added (install add file), not yet activated."""
    device, sim = Device(tmp_path, "cisco_ios", "sw1", boot_mode="install"), Sim()
    cli = CiscoIos(device, sim)
    _old, (name, version) = images.CATALOG["cisco_ios"]
    images.make_image(device.flash / name, "cisco_ios", version)
    assert "SUCCESS: install_add" in cli.install_add(f"flash:{name}")
    return cli, device, sim, version


def saved(device):
    return json.loads(device.state_path.read_text())


@pytest.mark.parametrize("answer", ["n", "no", ""])
def test_activate_answered_no_changes_nothing(tmp_path, answer):
    cli, device, sim, _version = added(tmp_path)
    before = saved(device)
    assert cli.install_activate("30") == ""
    assert cli.confirm.question == QUESTION.format(op="install_activate")
    out = cli.confirm.answer(answer)
    assert out.startswith("FAILED: install_activate ") and out.endswith(" : aborted by user")
    assert saved(device) == before and sim.reloads == 0 and not cli.closing


def test_activate_answered_yes_saves_the_pending_set_and_reloads(tmp_path):
    cli, device, sim, version = added(tmp_path)
    cli.install_activate("90")
    assert cli.confirm.answer("y") == ""
    state = saved(device)
    assert state["install_pending"] == version and state["abort_timer"] == "01:30:00"
    assert sim.reloads == 1 and cli.closing


def test_rollback_to_committed_after_activation(tmp_path):
    cli, device, sim, version = added(tmp_path)
    cli.install_activate("60")
    cli.confirm.answer("yes")
    device.boot()  # the reload: the new set runs activated, uncommitted
    assert [p["state"] for p in device.state["packages"] if p["version"] == version] == ["U"]
    assert cli.install_rollback() == ""
    assert cli.confirm.question == QUESTION.format(op="install_rollback")
    out = cli.confirm.answer("n")
    assert out.startswith("FAILED: install_rollback ") and out.endswith(" : aborted by user")
    assert "U" in [p["state"] for p in saved(device)["packages"]] and sim.reloads == 1
    cli.install_rollback()
    cli.confirm.answer("y")
    state = saved(device)
    assert [p["state"] for p in state["packages"] if p["version"] == version] == ["I"]
    assert "abort_timer" not in state and sim.reloads == 2

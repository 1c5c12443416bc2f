"""Access the Ansible way against the simulator: enable via become, credentials from -u / connection password file,
ANSIBLE_NET_*, a key file, an SSH agent, host key checking from ansible.cfg / ANSIBLE_HOST_KEY_CHECKING; the write
guard on the 'already current' path, counted by the device; a command that never answers."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from helpers.change_record import validate

from lab.netsim import images

CREDENTIALS = ("ansible_user", "ansible_password")


def _ok(res: dict) -> dict:
    assert not res.get("failed"), res.get("msg")
    return validate(res)


@pytest.mark.parametrize("device", [{"platform": "cisco_ios", "enable_secret": "en-s3cret"}], indirect=True)
def test_user_mode_login_and_enable_through_become(device):
    d = device
    refused, wrong, enabled, option = d.play(
        {"state": "scanned"},
        {"state": "scanned", "_task": {"become": True, "vars": {"ansible_become_password": "nope"}}},
        {"state": "scanned", "_task": {"become": True, "vars": {"ansible_become_password": "en-s3cret"}}},
        {"state": "scanned", "enable_secret": "en-s3cret"},
    )
    assert refused["failed"] and "user mode (prompt 'sim-ios-01>')" in refused["msg"], refused["msg"]
    assert "ansible_become" in refused["msg"]
    assert wrong["failed"] and "'enable' failed" in wrong["msg"], wrong["msg"]
    for res in (enabled, option):
        _ok(res)
        assert res["facts"]["before"]["version"] == d.old_version


@pytest.mark.parametrize("device", ["cisco_ios"], indirect=True)
def test_credentials_from_the_command_line_and_the_environment(device, tmp_path):
    d = device
    secret = tmp_path / "conn_pass"
    secret.write_text(d.sim.password + "\n")
    (cli,) = d.play(
        {"state": "scanned"}, drop_vars=CREDENTIALS, argv=("-u", "admin", "--connection-password-file", str(secret))
    )
    _ok(cli)
    env = {"ANSIBLE_NET_USERNAME": "admin", "ANSIBLE_NET_PASSWORD": d.sim.password}
    (awx,) = d.play({"state": "scanned"}, drop_vars=CREDENTIALS, env=env)
    _ok(awx)


@pytest.mark.parametrize("device", [{"platform": "arista_eos", "keys": True, "password_auth": False}], indirect=True)
def test_key_file_and_ssh_agent(device, tmp_path):
    d = device
    (by_var,) = d.play(
        {"state": "scanned"}, drop_vars=("ansible_password",), host_vars={"ansible_ssh_private_key_file": str(d.key)}
    )
    _ok(by_var)
    env = {"ANSIBLE_NET_USERNAME": "admin", "ANSIBLE_NET_SSH_KEYFILE": str(d.key)}
    (by_env,) = d.play({"state": "scanned"}, drop_vars=CREDENTIALS, env=env)
    _ok(by_env)
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)  # noqa: S607
    try:
        for _ in range(50):
            if sock.exists():
                break
            time.sleep(0.1)
        subprocess.run(["ssh-add", "-q", str(d.key)], env=dict(os.environ, SSH_AUTH_SOCK=str(sock)), check=True)  # noqa: S607
        by_agent, no_agent = d.play(
            {"state": "scanned"},
            {"state": "scanned", "allow_agent": False},
            drop_vars=("ansible_password",),
            env={"SSH_AUTH_SOCK": str(sock)},
        )
    finally:
        agent.terminate()
        agent.wait(10)
    _ok(by_agent)
    assert no_agent["failed"] and "no credentials" in no_agent["msg"]


@pytest.mark.parametrize("device", ["cisco_ios"], indirect=True)
def test_host_key_checking_from_ansible_cfg_and_environment(device, tmp_path):
    d = device
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text(
        f"[127.0.0.1]:{d.sim.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJe0a1nY5QmzJmJ1+IiY1mJx2h9YwS0f5v1J4dUe8aK\n"
    )
    hosts = {"ansible_ssh_common_args": f"-o UserKnownHostsFile={wrong}"}
    # (on by default with this wrong file: test_network_image_faults.py::test_host_key_is_verified_unless_relaxed)
    (by_env,) = d.play({"state": "scanned"}, host_vars=hosts, env={"ANSIBLE_HOST_KEY_CHECKING": "False"})
    _ok(by_env)
    cfg = tmp_path / "ansible.cfg"
    repo = Path(__file__).resolve().parents[3]
    cfg.write_text(f"[defaults]\ncollections_path = {repo / '.collections'}\nhost_key_checking = False\n")
    (by_cfg,) = d.play({"state": "scanned"}, host_vars=hosts, env={"ANSIBLE_CONFIG": str(cfg)})
    _ok(by_cfg)


@pytest.mark.parametrize("device", ["cisco_ios"], indirect=True)
def test_already_current_boot_variable_goes_through_the_write_guard(device):
    """The device runs the target but boots another image, with unsaved configuration: no silent save.
    Then (same run) a command that never answers: 'show switch', which only the scan reads."""
    from ansible_collections.everylayer.patch.plugins.plugin_utils._network.platforms import get_platform  # noqa: PLC0415
    from ansible_collections.everylayer.patch.plugins.plugin_utils._network.session import Session  # noqa: PLC0415

    d = device
    current = images.make_image(d.tmp / "images" / d.old_file, "cisco_ios", d.old_version)
    legacy = "legacy-" + d.old_file
    s = Session(
        get_platform("cisco_ios"), "127.0.0.1", d.sim.port, "admin", d.sim.password, known_hosts=str(d.sim.known_hosts)
    )
    s.connect()
    s.config(["no boot system", f"boot system flash:{legacy}"])
    s.send("write memory")
    s.config(["logging host 192.0.2.99"])  # unsaved
    s.close()
    saves, journal = d.sim.state()["saves"], len(d.sim.state()["journal"])
    args = {"state": "upgraded", "image": str(current), "version": d.old_version}
    d.sim.fault("hang-command", "show", "switch")
    check, refused, allowed, hung = d.play(
        {**args, "_check": True},
        args,
        {**args, "save_unsaved_config": True},
        {"state": "scanned", "command_timeout": 3},
    )
    for res in (check, refused):
        assert res["failed"] is True and "unsaved changes" in res["msg"], res["msg"]
        assert res["changed"] is False and not {"boot", "save"} & {s["step"] for s in res["steps"]}
    _ok(allowed)
    assert allowed["changed"] is True and "boot variable set to " + d.old_file in allowed["msg"]
    state = d.sim.state()
    assert state["saves"] == saves + 1 and state["boot"] == [d.old_file]  # one save: the consented one
    # what the device saw: each task's facts read the configuration once; only the consented task read it again
    # (its backup) and then saved; the refused and check-mode tasks took no backup and saved nothing
    assert state["journal"][journal:][:6] == ["config-read"] * 4 + ["save", "config-read"]
    assert os.path.isfile(allowed["backup_path"])
    steps = [s["step"] for s in allowed["steps"]]
    assert steps.index("backup") < steps.index("save")

    validate(hung)
    assert hung["failed"] is True and "'show switch' did not answer within 3s" in hung["msg"], hung["msg"]
    assert (hung["step"], hung["command"]) == ("members", "show switch")

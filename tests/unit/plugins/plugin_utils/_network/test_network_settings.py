"""Credentials and host-key checking the Ansible way: variables, play context (-u, connection password file,
--private-key, become), ANSIBLE_NET_* environment, SSH agent, Ansible's host_key_checking setting."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import NetworkImageError, settings


def _args(**kw):
    base = {"connect_timeout": 5, "transfer_timeout": 5, "command_timeout": 5, "known_hosts": None}
    base.update(kw)
    return base


def _play(**kw):
    base = dict(remote_user=None, password=None, private_key_file=None, become=False, become_pass=None)
    base.update(kw)
    return SimpleNamespace(**base)


def _conn(variables=None, play=None, env=None, args=None, default_hkc=True):
    variables = {"ansible_network_os": "ios", **(variables or {})}
    return settings.connection(
        _args(**(args or {})), variables.get, "sw1", play=play, env=env or {}, default_host_key_checking=default_hkc
    )


def test_dash_u_and_connection_password_file():
    conn = _conn(play=_play(remote_user="admin", password="from-file"))
    assert (conn["username"], conn["password"]) == ("admin", "from-file")


def test_variables_win_over_the_play_and_the_environment():
    env = {"ANSIBLE_NET_USERNAME": "env-user", "ANSIBLE_NET_PASSWORD": "env-pw"}
    conn = _conn({"ansible_user": "var-user", "ansible_password": "var-pw"}, _play(remote_user="cli-user"), env)
    assert (conn["username"], conn["password"]) == ("var-user", "var-pw")


def test_ansible_net_environment_as_awx_injects_it():
    env = {"ANSIBLE_NET_USERNAME": "awx", "ANSIBLE_NET_PASSWORD": "pw", "ANSIBLE_NET_SSH_KEYFILE": "~/k"}
    conn = _conn(play=_play(), env=env)
    assert (conn["username"], conn["password"]) == ("awx", "pw")
    assert conn["ssh_key_file"].endswith("/k") and not conn["ssh_key_file"].startswith("~")


def test_private_key_from_variable_and_from_the_command_line():
    assert _conn({"ansible_user": "u", "ansible_ssh_private_key_file": "/keys/a"})["ssh_key_file"] == "/keys/a"
    assert _conn({"ansible_user": "u"}, _play(private_key_file="/keys/b"))["ssh_key_file"] == "/keys/b"


def test_an_ssh_agent_is_a_credential_unless_disabled():
    conn = _conn({"ansible_user": "u"}, env={"SSH_AUTH_SOCK": "/run/agent.sock"})
    assert conn["allow_agent"] is True and conn["password"] is None
    with pytest.raises(NetworkImageError, match="no credentials"):
        _conn({"ansible_user": "u"}, env={"SSH_AUTH_SOCK": "/run/agent.sock"}, args={"allow_agent": False})


def test_no_credentials_names_every_source():
    with pytest.raises(NetworkImageError) as err:
        _conn({"ansible_user": "u"})
    for source in ("ansible_password", "--connection-password-file", "ANSIBLE_NET_PASSWORD", "SSH agent"):
        assert source in str(err.value)


def test_become_and_enable_secret():
    conn = _conn(
        {"ansible_user": "u", "ansible_password": "p", "ansible_become": True, "ansible_become_password": "en"}
    )
    assert (conn["become"], conn["enable_secret"]) == (True, "en")
    conn = _conn({"ansible_user": "u", "ansible_password": "p"}, _play(become=True, become_pass="k"))
    assert (conn["become"], conn["enable_secret"]) == (True, "k")
    conn = _conn({"ansible_user": "u", "ansible_password": "p"}, args={"enable_secret": "opt"})
    assert (conn["become"], conn["enable_secret"]) == (True, "opt")
    assert _conn({"ansible_user": "u", "ansible_password": "p"})["become"] is False


@pytest.mark.parametrize(
    ("variables", "args", "default", "expected"),
    [
        ({}, {}, True, True),  # verification stays on by default
        ({}, {}, False, False),  # ansible.cfg host_key_checking = False / ANSIBLE_HOST_KEY_CHECKING=False
        ({"ansible_host_key_checking": "false"}, {}, True, False),
        ({"ansible_host_key_checking": "false"}, {"host_key_checking": True}, True, True),
    ],
)
def test_host_key_checking_sources(variables, args, default, expected):
    conn = _conn({"ansible_user": "u", "ansible_password": "p", **variables}, args=args, default_hkc=default)
    assert conn["host_key_checking"] is expected

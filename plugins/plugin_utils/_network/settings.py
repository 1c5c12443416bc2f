# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where connection settings come from: task options first, then Ansible's usual connection variables."""

from __future__ import annotations

import os
import shlex

from . import NetworkImageError

#: setting -> connection variables tried in order
VARIABLES = {
    "host": ("ansible_host", "ansible_ssh_host"),
    "port": ("ansible_port", "ansible_ssh_port"),
    "username": ("ansible_user", "ansible_ssh_user"),
    "password": ("ansible_password", "ansible_ssh_pass", "ansible_ssh_password"),
    "ssh_key_file": ("ansible_ssh_private_key_file", "ansible_private_key_file"),
    "platform": ("ansible_network_os",),
    "enable_secret": ("ansible_become_password", "ansible_become_pass"),
    "host_key_checking": ("ansible_host_key_checking", "ansible_ssh_host_key_checking"),
}
#: setting -> what Ansible resolved from the command line / play keywords / ansible.cfg (-u, remote_user,
#: --connection-password-file / -k, --private-key, become)
PLAY_CONTEXT = {
    "username": "remote_user",
    "password": "password",
    "ssh_key_file": "private_key_file",
    "enable_secret": "become_pass",
}
#: setting -> environment variable, last (what AWX's Network credential injects)
ENVIRONMENT = {
    "username": "ANSIBLE_NET_USERNAME",
    "password": "ANSIBLE_NET_PASSWORD",
    "ssh_key_file": "ANSIBLE_NET_SSH_KEYFILE",
    "enable_secret": "ANSIBLE_NET_AUTH_PASS",
}
_TRUE = ("1", "true", "yes", "on", "y", "t")


def _bool(value) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE


def known_hosts_from_ssh_args(*args: str | None) -> str | None:
    """UserKnownHostsFile from ansible_ssh_common_args / ansible_ssh_extra_args, if one is set."""
    for value in args:
        if not value:
            continue
        words = shlex.split(value)
        for index, word in enumerate(words):
            option = word
            if word == "-o" and index + 1 < len(words):
                option = words[index + 1]
            elif word.startswith("-o"):
                option = word[2:]
            key, path = option.partition("=")[::2]
            if key.strip().lower() == "userknownhostsfile" and path:
                return os.path.expanduser(path.split()[0])
    return None


def connection(args: dict, var, inventory_hostname: str, play=None, env=None, default_host_key_checking=True) -> dict:
    """Where each setting comes from, first found wins: the task option, the host's connection variables
    (``var(name)`` returns a templated variable or None), what Ansible resolved for the play (``play``, a
    PlayContext: -u, remote_user, --connection-password-file, --private-key, become), then the ANSIBLE_NET_*
    environment. ``default_host_key_checking`` is Ansible's own setting (ansible.cfg, ANSIBLE_HOST_KEY_CHECKING).
    """
    env = os.environ if env is None else env
    out = {}
    for key, names in VARIABLES.items():
        value = args.get(key)
        for name in names:
            if value is not None:
                break
            value = var(name)
        if value in (None, "") and key in PLAY_CONTEXT and play is not None:
            value = getattr(play, PLAY_CONTEXT[key], None) or None
        if value in (None, "") and key in ENVIRONMENT:
            value = env.get(ENVIRONMENT[key]) or None
        out[key] = value
    out["host"] = out["host"] or inventory_hostname
    out["port"] = int(out["port"] or 22)
    if out["ssh_key_file"]:
        out["ssh_key_file"] = os.path.expanduser(str(out["ssh_key_file"]))
    if not out["platform"]:
        raise NetworkImageError(
            "no platform: set ansible_network_os for the host (cisco_ios, cisco_nxos, arista_eos, "
            "juniper_junos) or the platform option"
        )
    if not out["username"]:
        raise NetworkImageError(
            "no user name: set ansible_user (or remote_user, -u, ANSIBLE_NET_USERNAME, the username option)"
        )
    out["allow_agent"] = _bool(args.get("allow_agent", True))
    agent = out["allow_agent"] and bool(env.get("SSH_AUTH_SOCK"))
    if not out["password"] and not out["ssh_key_file"] and not agent:
        raise NetworkImageError(
            "no credentials: set ansible_password (or --connection-password-file, ANSIBLE_NET_PASSWORD), "
            "ansible_ssh_private_key_file (or --private-key, ANSIBLE_NET_SSH_KEYFILE), or run an SSH agent"
        )
    become = var("ansible_become")
    if become is None and play is not None:
        become = getattr(play, "become", False)
    become = become or env.get("ANSIBLE_NET_AUTHORIZE")
    out["become"] = _bool(become or False) or bool(args.get("enable_secret"))
    known = args.get("known_hosts") or known_hosts_from_ssh_args(
        var("ansible_ssh_common_args"), var("ansible_ssh_extra_args")
    )
    out["known_hosts"] = known or os.path.expanduser("~/.ssh/known_hosts")
    hkc = out["host_key_checking"]
    out["host_key_checking"] = _bool(default_host_key_checking if hkc is None else hkc)
    for key in ("connect_timeout", "transfer_timeout", "command_timeout"):
        out[key] = args[key]
    return out

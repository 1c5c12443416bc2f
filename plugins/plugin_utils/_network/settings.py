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
}


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


def connection(args: dict, var, inventory_hostname: str) -> dict:
    """``var(name)`` returns a templated variable or None."""
    out = {}
    for key, names in VARIABLES.items():
        value = args.get(key)
        for name in names:
            if value is not None:
                break
            value = var(name)
        out[key] = value
    out["host"] = out["host"] or inventory_hostname
    out["port"] = int(out["port"] or 22)
    if not out["platform"]:
        raise NetworkImageError(
            "no platform: set ansible_network_os for the host (cisco_ios, cisco_nxos, arista_eos, "
            "juniper_junos) or the platform option"
        )
    if not out["username"]:
        raise NetworkImageError("no user name: set ansible_user (or the username option)")
    if not out["password"] and not out["ssh_key_file"]:
        raise NetworkImageError("no credentials: set ansible_password or ansible_ssh_private_key_file (or the options)")
    known = args.get("known_hosts") or known_hosts_from_ssh_args(
        var("ansible_ssh_common_args"), var("ansible_ssh_extra_args")
    )
    out["known_hosts"] = known or os.path.expanduser("~/.ssh/known_hosts")
    out["host_key_checking"] = args["host_key_checking"]
    out["connect_timeout"] = args["connect_timeout"]
    out["transfer_timeout"] = args["transfer_timeout"]
    return out

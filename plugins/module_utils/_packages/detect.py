# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Pick the package manager of a host: /etc/os-release ID and ID_LIKE first, then the tools present."""

from __future__ import annotations

import shlex
import shutil

from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError

MANAGERS = ("apt", "dnf", "zypper")
_FAMILIES = {
    "apt": ("debian", "ubuntu", "linuxmint", "raspbian", "pop", "kali"),
    "dnf": ("rhel", "fedora", "centos", "rocky", "almalinux", "ol", "amzn", "el"),
    "zypper": ("suse", "opensuse", "sles", "sled", "opensuse-leap", "opensuse-tumbleweed"),
}
_TOOLS = {"apt": "apt-get", "dnf": "dnf", "zypper": "zypper"}


def os_release(text):
    """{KEY: value} of an os-release file (shell-quoted values)."""
    values = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key.strip()] = parts[0] if parts else ""
    return values


def from_os_release(values):
    """The manager an os-release names through ID, then ID_LIKE; None when it names none we know."""
    ids = [values.get("ID", "").lower()] + values.get("ID_LIKE", "").lower().split()
    for ident in ids:
        for manager, family in _FAMILIES.items():
            if ident in family:
                return manager
    return None


def choose(requested="auto", release_path="/etc/os-release", which=shutil.which):
    """The manager to use: ``requested`` unless 'auto'; else os-release's family when its tool exists; else
    the first of apt-get, dnf, zypper found on PATH."""
    if requested and requested != "auto":
        if requested not in MANAGERS:
            raise PackagesError(f"manager: {requested!r} is not supported (auto, {', '.join(MANAGERS)})")
        return requested
    try:
        with open(release_path, encoding="utf-8") as handle:
            guess = from_os_release(os_release(handle.read()))
    except OSError:
        guess = None
    if guess and which(_TOOLS[guess]):
        return guess
    for manager in MANAGERS:
        if which(_TOOLS[manager]):
            return manager
    raise PackagesError("no supported package manager found (apt-get, dnf or zypper); set manager: explicitly")

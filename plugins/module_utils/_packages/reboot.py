# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""One reboot rule set for every backend (apt, dnf, zypper): which updated packages need a reboot, the marker
this module keeps in volatile /run, and the services an update only needs restarted. docs/packages.md shows
the table; the distribution's own signals (/var/run/reboot-required, needs-restarting -r, zypper
needs-rebooting) are read by each backend and added to this."""

from __future__ import annotations

import fnmatch
import os
import re

# (name glob, why): Debian and RPM names side by side. Whatever runs from the first process on (kernel, init,
# the C library and the libraries every daemon maps, the system bus, firmware and microcode loaded at boot)
# only takes effect after a reboot.
REBOOT_RULES = (
    ("linux-image-*", "kernel"),
    ("linux-signed-*", "kernel"),
    ("kernel", "kernel"),
    ("kernel-*", "kernel"),
    ("linux-firmware", "firmware"),
    ("firmware-*", "firmware"),
    ("kernel-firmware*", "firmware"),
    ("intel-microcode", "CPU microcode"),
    ("amd64-microcode", "CPU microcode"),
    ("microcode_ctl", "CPU microcode"),
    ("ucode-*", "CPU microcode"),
    ("libc6", "C library"),
    ("glibc", "C library"),
    ("systemd", "init"),
    ("systemd-sysv", "init"),
    ("libsystemd0", "init"),
    ("sysvinit-core", "init"),
    ("udev", "device manager"),
    ("dbus", "system bus"),
    ("dbus-broker", "system bus"),
    ("dbus-daemon", "system bus"),
    ("dbus-system-bus-common", "system bus"),
    ("libssl3", "TLS library every daemon maps"),
    ("libssl1.1", "TLS library every daemon maps"),
    ("openssl-libs", "TLS library every daemon maps"),
    ("libopenssl3", "TLS library every daemon maps"),
    ("libgnutls30", "TLS library every daemon maps"),
    ("gnutls", "TLS library every daemon maps"),
    ("libgnutls30t64", "TLS library every daemon maps"),
)
# libzypp's convention, honoured on every rpm host: a package that provides this asks for a reboot.
REBOOT_PROVIDE = "installhint(reboot-needed)"
MARKER = "/run/everylayer-patch/reboot-required"
_UNIT_RE = re.compile(r"^/(?:usr/)?lib/systemd/system/(?P<unit>[^/@]+\.service)$")


def reason(name, provides=()):
    """Why updating ``name`` needs a reboot (a table entry's word), or None."""
    for pattern, why in REBOOT_RULES:
        if fnmatch.fnmatchcase(name, pattern):
            return why
    if REBOOT_PROVIDE in provides:
        return REBOOT_PROVIDE
    return None


def needs_reboot(name, provides=()):
    return reason(name, provides) is not None


def services(files):
    """The systemd service units among a package's files (``/lib/systemd/system/ssh.service`` -> ``ssh.service``);
    template units (``getty@.service``) are left out: which instances run is not known from the package."""
    return sorted({m.group("unit") for m in (_UNIT_RE.match(f) for f in files) if m})


def marker_packages(marker=None):
    marker = marker or MARKER
    try:
        with open(marker + ".pkgs", encoding="utf-8") as handle:
            return list(dict.fromkeys(line.strip() for line in handle if line.strip()))
    except OSError:
        return []


def marker_state(marker=None):
    """(True, packages) when this module recorded a reboot need since the last boot (/run is volatile)."""
    marker = marker or MARKER
    if os.path.exists(marker):
        return True, marker_packages(marker)
    return False, []


def write_marker(names, marker=None):
    """Record that ``names`` need a reboot, so that a later scan still reports it until the host reboots."""
    marker = marker or MARKER
    os.makedirs(os.path.dirname(marker), mode=0o755, exist_ok=True)
    with open(marker, "w", encoding="utf-8") as handle:
        handle.write("*** System restart required ***\n")
    known = marker_packages(marker)
    with open(marker + ".pkgs", "a", encoding="utf-8") as handle:
        for name in names:
            if name not in known:
                handle.write(name + "\n")

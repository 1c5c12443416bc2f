# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for version, uptime, boot variable, file system and hash output, per platform.

Every parser takes the raw text a device prints (netmiko ``send_command`` output, which may still
carry a login banner, an echoed ``prompt#command`` line, CRLF line ends or tabs) and returns plain
data. They are tested against real captures in tests/unit/plugins/plugin_utils/_network/fixtures.
"""

from __future__ import annotations

import re

_UNIT_SECONDS = {"year": 365 * 86400, "week": 7 * 86400, "day": 86400, "hour": 3600, "minute": 60, "second": 1}
_SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_JUNOS_VERSION = re.compile(r"^\d+\.\d+[A-Z][\w.-]*$")


def clean(text: str) -> str:
    """Normalise line ends and tabs so every parser sees the same text."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")


def normalize_version(version: str) -> tuple[str, ...]:
    """A comparable key: 17.09.04a == 17.9.4a, 10.3(6) == 10.3.6, 4.27.6M == 4.27.6m."""
    parts = re.split(r"[^0-9A-Za-z]+", version.strip().lower())
    return tuple(p.lstrip("0") or "0" if p[:1].isdigit() else p for p in parts if p)


def same_version(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and normalize_version(a) == normalize_version(b)


def duration_words(text: str) -> int | None:
    """'2 years, 31 weeks, 6 days, 9 hours, 55 minutes' / '60 day(s), 17 hour(s)' / '1 hour and 5 minutes'."""
    total, found = 0, False
    for number, unit in re.findall(r"(\d+)\s+(year|week|day|hour|minute|second)", text):
        total += int(number) * _UNIT_SECONDS[unit]
        found = True
    return total if found else None


def junos_ago(text: str) -> int | None:
    """'(22w0d 19:16 ago)', '(1d 04:46 ago)', '(00:12:26 ago)' -> seconds."""
    match = re.search(r"\((?:(\d+)w)?(?:(\d+)d)?\s*(\d+):(\d+)(?::(\d+))?\s+ago\)", text)
    if not match:
        return None
    weeks, days, a, b, c = match.groups()
    if c is None:  # w/d form: hours:minutes
        hours, minutes, seconds = int(a), int(b), 0
    else:
        hours, minutes, seconds = int(a), int(b), int(c)
    return int(weeks or 0) * 604800 + int(days or 0) * 86400 + hours * 3600 + minutes * 60 + seconds


def human_size(text: str) -> int:
    """'17G', '1.2G', '512K', '0B', '12345' -> bytes (1024-based, as Junos prints them)."""
    match = re.fullmatch(r"([\d.]+)\s*([BKMGT]?)i?B?", text.strip(), re.I)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])


# -- show version ---------------------------------------------------------------------------------
def ios_version(text: str) -> dict:
    text = clean(text)
    versions = []
    xe = re.search(r"Cisco IOS XE Software, Version (\S+)", text) or re.search(r"IOS XE Version: (\S+)", text)
    if xe:
        versions.append(xe.group(1))
    ios = re.search(r"^(?!Cisco IOS XE Software).*IOS.*?Software.*?,\s+Version\s+([^,\s]+)", text, re.M)
    if ios:
        versions.append(ios.group(1))
    versions = list(dict.fromkeys(versions))
    image = re.search(r'^System image file is "([^"]+)"', text, re.M)
    uptime = re.search(r"^(\S+) uptime is (.+)$", text, re.M)
    return {
        "version": versions[0] if versions else None,
        "versions": versions,
        "image": image.group(1) if image else None,
        "hostname": uptime.group(1) if uptime else None,
        "uptime": duration_words(uptime.group(2)) if uptime else None,
    }


def nxos_version(text: str) -> dict:
    text = clean(text)
    ver = re.search(r"^\s*(?:NXOS|system):\s+version\s+(\S+)", text, re.M)
    image = re.search(r"^\s*(?:NXOS|system) image file is:\s+(\S+)", text, re.M)
    uptime = re.search(r"^Kernel uptime is (.+)$", text, re.M)
    name = re.search(r"^\s*Device name:\s+(\S+)", text, re.M)
    version = ver.group(1) if ver else None
    return {
        "version": version,
        "versions": [version] if version else [],
        "image": image.group(1).replace(":///", ":") if image else None,
        "hostname": name.group(1) if name else None,
        "uptime": duration_words(uptime.group(1)) if uptime else None,
    }


def eos_version(text: str) -> dict:
    text = clean(text)
    ver = re.search(r"^Software image version:\s+(\S+)", text, re.M)
    uptime = re.search(r"^Uptime:\s+(.+)$", text, re.M)
    version = ver.group(1) if ver else None
    return {
        "version": version,
        "versions": [version] if version else [],
        "image": None,
        "hostname": None,
        "uptime": duration_words(uptime.group(1)) if uptime else None,
    }


def junos_version(text: str) -> dict:
    """First routing engine / node only: clusters and virtual chassis print one block per member."""
    text = clean(text)
    ver = re.search(r"^Junos:\s+(\S+)", text, re.M)
    version = ver.group(1) if ver else None
    if version is None:
        for candidate in re.findall(r"^JUNOS .*?\[([^\]]+)\]", text, re.M):
            if _JUNOS_VERSION.match(candidate):
                version = candidate
                break
    name = re.search(r"^Hostname:\s+(\S+)", text, re.M)
    return {
        "version": version,
        "versions": [version] if version else [],
        "image": None,
        "hostname": name.group(1) if name else None,
        "uptime": None,
    }


def junos_uptime(text: str) -> int | None:
    booted = re.search(r"^System booted:.*$", clean(text), re.M)
    return junos_ago(booted.group(0)) if booted else None


# -- boot variable ----------------------------------------------------------------------------------
def ios_boot(text: str) -> list[str]:
    """'BOOT path-list : a;b' (Catalyst) or 'BOOT variable = a,12;b,1;' (routers, IOS-XE)."""
    text = clean(text)
    match = re.search(r"^BOOT (?:path-list|variable)\s*[:=]\s*(.*)$", text, re.M)
    if not match:
        return []
    return [entry.split(",")[0].strip() for entry in match.group(1).split(";") if entry.strip()]


def nxos_boot(text: str) -> list[str]:
    """The variables for the next reload (falls back to the current ones on older releases)."""
    text = clean(text)
    sep, after = text.partition("Boot Variables on next reload")[1:]
    block = after if sep else text
    return re.findall(r"^\s*(?:NXOS|system) variable = (\S+)", block, re.M)


def eos_boot(text: str) -> list[str]:
    match = re.search(r"^Software image:\s+(\S+)", clean(text), re.M)
    return [match.group(1)] if match and match.group(1) != "(not" else []


def junos_pending(text: str) -> dict:
    text = clean(text)
    booted = re.search(r"^Booted software:\s+(\S+)", text, re.M)
    pending = re.search(r"^Pending software:\s+(\S+)", text, re.M)
    return {
        "booted": booted.group(1) if booted else None,
        "pending": pending.group(1) if pending and pending.group(1) != "none" else None,
    }


# -- file systems -----------------------------------------------------------------------------------
def dir_listing(text: str) -> dict:
    """IOS / NX-OS / EOS 'dir': file names with sizes, and free/total bytes from the footer."""
    text = clean(text)
    files = {}
    for line in text.splitlines():
        cisco = re.match(r"^\s*\d+\s+[-dlrwx ]{3,}\s+(\d+)\s+.*\s(\S+)\s*$", line)
        nxos = re.match(r"^\s*(\d+)\s+\w{3}\s+\d+\s+[\d:]+\s+\d{4}\s+(\S+)\s*$", line)
        eos = re.match(r"^\s*[-d][-rwx]{3,}\s+(\d+)\s+.*\s(\S+)\s*$", line)
        match = cisco or nxos or eos
        if match and not match.group(2).endswith("/"):
            files[match.group(2)] = int(match.group(1))
    free = total = None
    footer = re.search(r"(\d+)\s+bytes total\s+\((\d+)\s+bytes free\)", text)
    if footer:
        total, free = int(footer.group(1)), int(footer.group(2))
    else:
        free_m = re.search(r"^\s*(\d+)\s+bytes free", text, re.M)
        total_m = re.search(r"^\s*(\d+)\s+bytes total", text, re.M)
        free = int(free_m.group(1)) if free_m else None
        total = int(total_m.group(1)) if total_m else None
    return {"files": files, "free": free, "total": total}


def junos_file_list(text: str) -> dict:
    files = {}
    for line in clean(text).splitlines():
        match = re.match(r"^[-l][-rwxs]{9}\S*\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\w{3}\s+\d+\s+[\d:]+\s+(\S+)$", line.strip())
        if match:
            files[match.group(2).rsplit("/", 1)[-1]] = int(match.group(1))
    return {"files": files, "free": None, "total": None}


def junos_storage(text: str, mounts: tuple[str, ...] = ("/.mount/var/tmp", "/var/tmp", "/.mount/var", "/var")) -> dict:  # noqa: S108 - device paths
    """'show system storage': the row of the first mount found in ``mounts``, sizes with units."""
    rows = {}
    for line in clean(text).splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[-2].endswith("%"):
            rows[cols[-1]] = cols
    for mount in mounts:
        if mount in rows:
            cols = rows[mount]
            return {"free": human_size(cols[-3]), "total": human_size(cols[-5]), "mount": mount}
    return {"free": None, "total": None, "mount": None}


def md5_digest(text: str) -> str | None:
    """The hash from 'verify /md5 (f) = h', 'MD5 (f) = h' or a bare NX-OS digest; None on errors."""
    text = clean(text).strip()
    match = re.search(r"=\s*([0-9a-fA-F]{32})\s*$", text) or re.fullmatch(r"([0-9a-fA-F]{32})", text)
    return match.group(1).lower() if match else None

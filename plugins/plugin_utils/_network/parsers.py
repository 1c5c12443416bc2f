# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for version, uptime, boot variable, file system and hash output, per platform.

Every parser takes the raw text a device prints (netmiko ``send_command`` output, which may still
carry a login banner, an echoed ``prompt#command`` line, CRLF line ends or tabs) and returns plain
data. They are tested against real captures in tests/fixtures/network.
"""

from __future__ import annotations

import re

from . import NetworkImageError

_UNIT_SECONDS = {"year": 365 * 86400, "week": 7 * 86400, "day": 86400, "hour": 3600, "minute": 60, "second": 1}
_SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_JUNOS_VERSION = re.compile(r"^\d+\.\d+[A-Z][\w.-]*$")
_DIR_ERROR = re.compile(r"Input/output error|I/O error|^\s*%\s*Error\b", re.I)


def clean(text: str) -> str:
    """Normalise line ends and tabs so every parser sees the same text."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")


# IOS-XE special (customer) builds name themselves V<major><minor>_<rebuild>_SR<case>_<n>: V169_5_SR689355441_2
_XE_SPECIAL = re.compile(r"^V(1\d)(\d{1,2})_(\d+)(?:_\w*)?$")
# IOS-XE 3.x names itself only in the IOS line: 'Cisco IOS Software, IOS-XE Software, Catalyst ...'
_XE_NAMED = re.compile(r"\bIOS[- ]XE Software\b")
# EOS internal build suffix: 4.32.1F-37265360.4321F, 4.28.9M-33818481.4289M
_EOS_BUILD = re.compile(r"^(\d+\.\d+\.\d+(?:\.\d+)?[A-Z]*)-\d{5,}\.\w+$")


def display_version(raw: str | None) -> str | None:
    """The version a person reads in ``raw``: build and special-build decorations removed.

    'V169_5_SR689355441_2' -> '16.9.5', '4.32.1F-37265360.4321F' -> '4.32.1F'; anything else unchanged.
    """
    if not raw:
        return None
    raw = raw.strip()
    special = _XE_SPECIAL.match(raw)
    if special:
        return f"{special.group(1)}.{special.group(2)}.{special.group(3)}"
    build = _EOS_BUILD.match(raw)
    return build.group(1) if build else raw


def normalize_version(version: str) -> tuple[str, ...]:
    """A comparable key: 17.09.04a == 17.9.4a, 10.3(6) == 10.3.6, 4.27.6M == 4.27.6m; build suffixes dropped."""
    parts = re.split(r"[^0-9A-Za-z]+", (display_version(version) or "").lower())
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
def _version_facts(raw: str | None, **extra: object) -> dict:
    version = display_version(raw)
    return {"version": version, "version_raw": raw, "versions": [version] if version else [], **extra}


def ios_version(text: str) -> dict:
    """IOS and IOS-XE. ``version`` is what a person reads (a special build's release, not its build name);
    ``version_raw`` the first version string as printed; ``boot_mode`` 'install' | 'bundle' on IOS-XE."""
    text = clean(text)
    raws = []
    xe = re.search(r"Cisco IOS XE Software, Version (\S+)", text) or re.search(r"IOS XE Version: (\S+)", text)
    if xe:
        raws.append(xe.group(1))
    ios = re.search(r"^(?!Cisco IOS XE Software).*IOS.*?Software.*?,\s+Version\s+([^,\s]+)", text, re.M)
    if ios:
        raws.append(ios.group(1))
    raws = list(dict.fromkeys(raws))
    versions = list(dict.fromkeys(display_version(v) for v in raws))
    version = versions[0] if versions else None
    if xe and _XE_SPECIAL.match(xe.group(1)) and ios and not _XE_SPECIAL.match(ios.group(1)):
        version = display_version(ios.group(1))  # the release the special build is based on, as IOS prints it
    image = re.search(r'^System image file is "([^"]+)"', text, re.M)
    uptime = re.search(r"^(\S+) uptime is (.+)$", text, re.M)
    return {
        "version": version,
        "version_raw": raws[0] if raws else None,
        "versions": versions,
        "image": image.group(1) if image else None,
        "hostname": uptime.group(1) if uptime else None,
        "uptime": duration_words(uptime.group(2)) if uptime else None,
        "boot_mode": ios_boot_mode(text, image.group(1) if image else None, is_xe=bool(xe or _XE_NAMED.search(text))),
    }


def ios_boot_mode(text: str, image: str | None, is_xe: bool) -> str | None:
    """IOS-XE install mode boots a package set (packages.conf), bundle mode a .bin; classic IOS has neither.

    The per-switch 'Mode' column of a Catalyst's version table (INSTALL / BUNDLE) wins when present.
    """
    modes = re.findall(r"^\*?\s*\d+\s+\d+\s+\S+\s+\S+\s+\S+\s+(INSTALL|BUNDLE)\s*$", text, re.M)
    if modes:
        return "install" if "INSTALL" in modes else "bundle"
    if not is_xe or not image:
        return None
    if image.lower().endswith(".conf"):
        return "install"
    return "bundle" if image.lower().endswith(".bin") else None


def nxos_version(text: str) -> dict:
    """NX-OS. ``aci`` is true on a Nexus 9000 in ACI mode (an APIC-managed fabric switch, not standalone
    NX-OS): its image is aci-n9000-dk9.*, it lists a PE (policy element) version and runs 'PolicyElem'."""
    text = clean(text)
    ver = re.search(r"^\s*(?:NXOS|system):\s+version\s+(\S+)", text, re.M)
    image = re.search(r"^\s*(?:NXOS|system) image file is:\s+(\S+)", text, re.M)
    uptime = re.search(r"^Kernel uptime is (.+)$", text, re.M)
    name = re.search(r"^\s*Device name:\s+(\S+)", text, re.M)
    aci = bool(
        re.search(r"image file is:\s+\S*aci-n9000", text)
        or re.search(r"^\s*PE:\s+version", text, re.M)
        or re.search(r"^\s*Service:\s+PolicyElem", text, re.M)
    )
    return _version_facts(
        ver.group(1) if ver else None,
        image=image.group(1).replace(":///", ":") if image else None,
        hostname=name.group(1) if name else None,
        uptime=duration_words(uptime.group(1)) if uptime else None,
        aci=aci,
    )


def eos_version(text: str) -> dict:
    """EOS and cEOS: 'Software image version: 4.32.1F-37265360.4321F (engineering build)' reads 4.32.1F."""
    text = clean(text)
    ver = re.search(r"^Software image version:\s+(\S+)", text, re.M)
    uptime = re.search(r"^Uptime:\s+(.+)$", text, re.M)
    return _version_facts(
        ver.group(1) if ver else None,
        image=None,
        hostname=None,
        uptime=duration_words(uptime.group(1)) if uptime else None,
    )


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
    return _version_facts(version, image=None, hostname=name.group(1) if name else None, uptime=None)


def junos_uptime(text: str) -> int | None:
    booted = re.search(r"^System booted:.*$", clean(text), re.M)
    return junos_ago(booted.group(0)) if booted else None


# -- boot variable ----------------------------------------------------------------------------------
def ios_boot(text: str) -> list[str]:
    """'BOOT path-list : a;b' (Catalyst) or 'BOOT variable = a,12;b,1;' (routers, IOS-XE).

    IOS-XE prints the current variables and those for the next reload; the next reload is what counts
    (a 'boot system' not yet reloaded). A standby RP's 'Standby BOOT variable' is not the active's.
    """
    text = clean(text)
    sep, after = text.partition("Boot Variables on next reload")[1:]
    block = after if sep else text
    match = re.search(r"^\s*BOOT (?:path-list|variable)\s*[:=]\s*(.*)$", block, re.M)
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
    """IOS / NX-OS / EOS 'dir': file names with sizes, and free/total bytes from the footer.

    A listing the device could not read completely (an 'Input/output error' or a '%Error' line, as a
    failing flash prints them) raises NetworkImageError naming the line: a partial listing is not data.
    Directories are not files (IOS/EOS 'drwx' rows, NX-OS names ending in '/'), and only the first
    'Directory of' block counts: a recursive listing's subdirectories do not hold the image.
    """
    text = clean(text)
    files = {}
    blocks = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if _DIR_ERROR.search(line):
            raise NetworkImageError(
                f"the file system listing reports an error on line {number}: {line.strip()!r}; "
                "check the device's flash (e.g. fsck) before staging an image on it",
                line=number,
                output=line.strip(),
            )
        if line.startswith("Directory of"):
            blocks += 1
        if blocks > 1:
            continue
        cisco = re.match(r"^\s*\d+\s+([-dlrwx ]{3,})\s+(\d+)\s+.*\s(\S+)\s*$", line)
        nxos = re.match(r"^\s*()(\d+)\s+\w{3}\s+\d+\s+[\d:]+\s+\d{4}\s+(\S+)\s*$", line)
        eos = re.match(r"^\s*([-d][-rwx]{3,})\s+(\d+)\s+.*\s(\S+)\s*$", line)
        match = cisco or nxos or eos
        if match and not match.group(1).startswith("d") and not match.group(3).endswith("/"):
            files[match.group(3)] = int(match.group(2))
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
    """'file list <dir> detail': file names with sizes; a path Junos cannot list raises, naming the line."""
    files = {}
    for number, line in enumerate(clean(text).splitlines(), start=1):
        if re.search(r"No such file or directory|Input/output error|Permission denied", line):
            raise NetworkImageError(
                f"the file listing reports an error on line {number}: {line.strip()!r}",
                line=number,
                output=line.strip(),
            )
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


# -- IOS-XE install mode ----------------------------------------------------------------------------
_INSTALL_STATES = {"I": "inactive", "U": "activated", "C": "committed", "D": "deactivated"}


def install_summary(text: str) -> dict:
    """IOS-XE 'show install summary'.

    Returns ``packages``: [{name, type, state, version, locations}] with state committed | activated
    (activated, not yet committed) | inactive | deactivated, one entry per package and location block
    ('[ Switch 1 2 ]', '[ R0 R1 ]'); ``committed`` / ``activated`` / ``inactive``: the package names in that
    state anywhere; ``auto_abort``: 'active' | 'inactive' | None and ``rollback_in``: 'hh:mm:ss' | None.
    """
    text = clean(text)
    packages = []
    locations: list[str] = []
    for line in text.splitlines():
        block = re.match(r"^\s*\[\s*(.+?)\s*\]\s+Installed Package", line)
        if block:
            words = block.group(1).split()
            kind = words[0] if words and not words[0][-1:].isdigit() else ""
            locations = [f"{kind} {w}" for w in words[1:]] if kind else words
            continue
        row = re.match(r"^\s*(IMG|SMU|APSP|APDP|PKG|SUBPKG)\s+([IUCD])\s+(\S+)\s*$", line)
        if row:
            name = row.group(3)
            numbers = re.match(r"^(\d+\.\d+\.\d+[A-Za-z]*)(?:\.\d+){1,2}$", name)
            packages.append(
                {
                    "name": name,
                    "type": row.group(1),
                    "state": _INSTALL_STATES[row.group(2)],
                    "version": numbers.group(1) if numbers and row.group(1) == "IMG" else None,
                    "locations": list(locations),
                }
            )
    timer = re.search(r"^\s*Auto abort timer:\s*(active|inactive)\b(.*)$", text, re.M)
    remaining = re.search(r"time before rollback\s*-\s*([\d:]+)", timer.group(2)) if timer else None
    by_state = {
        state: list(dict.fromkeys(p["name"] for p in packages if p["state"] == state))
        for state in ("committed", "activated", "inactive")
    }
    return {
        "packages": packages,
        **by_state,
        "auto_abort": timer.group(1) if timer else None,
        "rollback_in": remaining.group(1) if remaining else None,
    }


def install_rollback_points(text: str) -> list[int]:
    """IOS-XE 'show install rollback': the rollback point IDs, newest (highest) first, without repeats."""
    ids = re.findall(r"^\s*(\d+)\s+\S.*$", clean(text), re.M)
    return sorted({int(i) for i in ids}, reverse=True)

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Debian changelogs as an advisory source: dpkg version order, binNMU versions, the entries newer than what is
installed and the advisory ids (CVE, DSA, DLA, ELA, DTSA, USN, xxSA, GHSA) they name. Pure functions."""

from __future__ import annotations

import re

from ansible_collections.everylayer.patch.plugins.module_utils._change import highest_severity

# First line of an entry: "source (version) dists; urgency=..." (the name is the SOURCE package).
HEAD_RE = re.compile(r"^(?P<name>[a-z0-9][a-z0-9+.-]*)\s+\((?P<version>[^)\s]+)\)\s+(?P<dists>[^;]*);(?P<rest>.*)$")
_URGENCY_RE = re.compile(r"\burgency=(\w+)", re.IGNORECASE)
CVE_RE = re.compile(r"\bCVE-\d{4}-\d{4,7}\b")
# Debian DSA/DLA/DTSA, Freexian ELA, Ubuntu USN ("DSA-5999-1", also written "DSA 5999-1").
DEBIAN_ADVISORY_RE = re.compile(r"\b(DSA|DLA|DTSA|ELA|USN)[- ](\d{1,5}-\d{1,3})\b")
# Red Hat style ids that the lab's changelogs (and some backports) carry: ELSA-2026:0104, RHSA-2024:1234.
XXSA_RE = re.compile(r"\b[A-Z]{2,4}[SBE]A-\d{4}:\d{3,6}\b")
# GitHub security advisories: GHSA-xxxx-xxxx-xxxx in GitHub's base-32 alphabet.
GHSA_RE = re.compile(r"\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b")
SEVERITY_IN_TEXT_RE = re.compile(r"\bseverity[:\s]+(critical|important|high|moderate|medium|low)\b", re.IGNORECASE)
_BINNMU_RE = re.compile(r"\+b\d+$")
_STATED = ("critical", "important", "moderate", "low")


# --- dpkg version order (dpkg's verrevcmp, lib/dpkg/version.c) -------------------------------------------------


def _order(char):
    if char == "~":
        return -1
    if char.isdigit():
        return 0
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _verrevcmp(a, b):
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return -1 if ac < bc else 1
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return -1 if first_diff < 0 else 1
    return 0


def _split(version):
    epoch, sep, rest = version.partition(":")
    if not sep or not epoch.isdigit():
        epoch, rest = "0", version
    upstream, sep, revision = rest.rpartition("-")
    if not sep:
        upstream, revision = rest, ""
    return int(epoch), upstream, revision


def compare(a, b):
    """Compare two Debian versions as dpkg does: -1, 0 or 1."""
    ea, ua, ra = _split(a)
    eb, ub, rb = _split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _verrevcmp(ua, ub) or _verrevcmp(ra, rb)


def source_version(binary_version, stated=None):
    """The source version of a binary package: dpkg's ``${source:Version}`` when known, else the binary version
    without a binNMU suffix (``5.2.15-2+b8`` was built from ``5.2.15-2``; the ``+bN`` never appears in the
    source's changelog)."""
    if stated:
        return stated
    return _BINNMU_RE.sub("", binary_version) if binary_version else binary_version


# --- entries ----------------------------------------------------------------------------------------------------


def entries(text):
    """[(source, version, urgency, body)] of a changelog, newest first (as written)."""
    found = []
    current = None
    for line in text.splitlines():
        head = HEAD_RE.match(line)
        if head:
            urgency = _URGENCY_RE.search(head.group("rest"))
            current = [head.group("name"), head.group("version"), urgency.group(1).lower() if urgency else None, []]
            found.append(current)
        elif current is not None:
            current[3].append(line)
    return [(name, version, urgency, "\n".join(body)) for name, version, urgency, body in found]


def advisory_ids(text):
    """Advisory ids named in ``text``, in order of appearance, each once (``DSA 5999-1`` becomes ``DSA-5999-1``)."""
    found = []
    hits = [(m.start(), m.group(0)) for m in CVE_RE.finditer(text)]
    hits += [(m.start(), f"{m.group(1)}-{m.group(2)}") for m in DEBIAN_ADVISORY_RE.finditer(text)]
    hits += [(m.start(), m.group(0)) for m in XXSA_RE.finditer(text)]
    hits += [(m.start(), m.group(0)) for m in GHSA_RE.finditer(text)]
    for _pos, ident in sorted(hits):
        if ident not in found:
            found.append(ident)
    return found


def newer_entries(text, installed_source_version):
    """The entries newer than the installed source version: reading stops at the first entry that is not newer
    (the installed one, or an older one when the installed version has no entry of its own)."""
    kept = []
    for entry in entries(text):
        if installed_source_version and compare(entry[1], installed_source_version) <= 0:
            break
        kept.append(entry)
    return kept


def advisories(text, installed_source_version):
    """(ids, severity) named by the entries newer than the installed source version.

    The severity is the one the entries state (``severity Important``), else the Debian urgency of an entry that
    names a CVE; None when neither says anything.
    """
    ids = []
    stated = []
    urgencies = []
    for _name, _version, urgency, body in newer_entries(text, installed_source_version):
        named = advisory_ids(body)
        for ident in named:
            if ident not in ids:
                ids.append(ident)
        stated.extend(m.group(1) for m in SEVERITY_IN_TEXT_RE.finditer(body))
        if urgency and any(i.startswith("CVE-") for i in named):
            urgencies.append({"emergency": "critical"}.get(urgency, urgency))
    words = [s for s in stated if s.lower() in _STATED] or stated or urgencies
    return ids, highest_severity(words)


def split(text):
    """{source: changelog text} from the concatenated output of ``apt-get changelog A B ...`` (keyed by the
    entries' SOURCE name, which differs from the binary name for libssl3, zlib1g, libc6, linux-image-...)."""
    logs = {}
    current = None
    for line in text.splitlines(keepends=True):
        head = HEAD_RE.match(line)
        if head and (current is None or head.group("name") != current):
            current = head.group("name")
        if current:
            logs[current] = logs.get(current, "") + line
    return logs

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""An offline advisory source the user supplies (``advisory_source``): Debian Security Tracker JSON or OSV
records, from a file on the host or a URL. It fills advisories and severity of apt updates whose changelog could
not be read. Lookups are by SOURCE package and source versions, as both formats key them."""

from __future__ import annotations

import gzip
import json
import os

from ansible_collections.everylayer.patch.plugins.module_utils._change import highest_severity, normalize_severity
from ansible_collections.everylayer.patch.plugins.module_utils._packages import changelogs
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError

MAX_BYTES = 512 * 1024 * 1024  # the whole tracker JSON is well under this
# Debian tracker urgencies beyond the usual words ("unimportant" is a real but negligible issue).
_TRACKER_URGENCY = {"unimportant": "low", "not yet assigned": None, "end-of-life": None}


class AdvisoryIndex:
    """Advisories by source package. ``complete`` (tracker data): a source it does not name has no known CVE;
    OSV records only speak for the packages they name."""

    def __init__(self, origin, complete, by_source):
        self.origin = origin
        self.complete = complete
        self.by_source = by_source  # {source: [{"ids": [...], "fixed": version, "severity": word or None}]}

    def covers(self, source):
        return self.complete or source in self.by_source

    def lookup(self, source, installed, candidate):
        """(ids, severity) of the fixes in (installed, candidate] of ``source`` (source versions)."""
        ids, severities = [], []
        for item in self.by_source.get(source, ()):
            fixed = item["fixed"]
            if installed and changelogs.compare(fixed, installed) <= 0:
                continue
            if candidate and changelogs.compare(fixed, candidate) > 0:
                continue
            for ident in item["ids"]:
                if ident not in ids:
                    ids.append(ident)
            severities.append(item["severity"])
        return ids, highest_severity(severities)


def _read(location, module, timeout):
    if "://" in location:
        if not location.startswith(("https://", "http://", "file://")):
            raise PackagesError(f"advisory_source: {location!r}: only http(s):// and file:// URLs are read")
        from ansible.module_utils.urls import fetch_url  # noqa: PLC0415 - only when a URL is given

        response, info = fetch_url(module, location, timeout=timeout)
        if response is None or info.get("status", 0) >= 400:
            raise PackagesError(
                f"advisory_source: {location} could not be read: HTTP {info.get('status')} {info.get('msg', '')}".strip()
            )
        data = response.read(MAX_BYTES + 1)
    else:
        if not os.path.isfile(location):
            raise PackagesError(f"advisory_source: {location} does not exist on the host (a file or a URL)")
        with open(location, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PackagesError(f"advisory_source: {location} is larger than {MAX_BYTES // 2**20} MiB")
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackagesError(f"advisory_source: {location} is not JSON: {exc}") from None


def _is_osv(record):
    return isinstance(record, dict) and "id" in record and isinstance(record.get("affected"), list)


def _osv_severity(record):
    words = [s.get("score") for s in record.get("severity") or () if isinstance(s, dict)]
    words.append((record.get("database_specific") or {}).get("severity"))
    return highest_severity(w for w in words if isinstance(w, str) and normalize_severity(w))


def _ecosystem_matches(ecosystem, host):
    """``Debian:12`` / ``Ubuntu:22.04:LTS`` against the host's os-release ID and VERSION_ID (any when unknown)."""
    family, _sep, release = (ecosystem or "").partition(":")
    if host.get("id") and family.lower() != host["id"]:
        return False
    return not (release and host.get("version_id") and host["version_id"] not in release.split(":"))


def _from_osv(records, origin, host):
    by_source = {}
    for record in records:
        if not _is_osv(record):
            raise PackagesError(f"advisory_source: {origin}: an entry is not an OSV record (id and affected)")
        ids = [record["id"], *(record.get("aliases") or []), *(record.get("upstream") or [])]
        ids = [i for i in ids if isinstance(i, str) and not i.startswith(("DEBIAN-CVE-", "UBUNTU-CVE-"))]
        severity = _osv_severity(record)
        for affected in record["affected"]:
            package = affected.get("package") or {}
            if not package.get("name") or not _ecosystem_matches(package.get("ecosystem"), host):
                continue
            for rng in affected.get("ranges") or ():
                for event in rng.get("events") or ():
                    fixed = event.get("fixed")
                    if fixed:
                        by_source.setdefault(package["name"], []).append(
                            {"ids": ids, "fixed": fixed, "severity": severity}
                        )
            by_source.setdefault(package["name"], [])
    return AdvisoryIndex(origin, False, by_source)


def _from_tracker(data, origin, host):
    codename = host.get("codename")
    if not codename:
        raise PackagesError(
            f"advisory_source: {origin} is Debian Security Tracker data, but the host's release codename is unknown"
            " (VERSION_CODENAME in /etc/os-release)"
        )
    by_source = {}
    for source, cves in data.items():
        items = by_source.setdefault(source, [])
        if not isinstance(cves, dict):
            raise PackagesError(f"advisory_source: {origin}: {source!r} is not a mapping of CVE ids (tracker JSON)")
        for cve, info in cves.items():
            release = ((info or {}).get("releases") or {}).get(codename) or {}
            fixed = release.get("fixed_version")
            if release.get("status") != "resolved" or not fixed or fixed == "0":
                continue
            word = str(release.get("urgency") or "").rstrip("*").strip().lower()
            severity = _TRACKER_URGENCY[word] if word in _TRACKER_URGENCY else normalize_severity(word)
            items.append({"ids": [cve], "fixed": fixed, "severity": severity})
    return AdvisoryIndex(origin, True, by_source)


def load(location, module=None, host=None, timeout=60):
    """The AdvisoryIndex of a file or URL: tracker JSON ({source: {CVE: {releases...}}}), one OSV record, a list
    of them, or ``{"vulns": [...]}`` (osv-scanner / the OSV API)."""
    host = host or {}
    data = _read(location, module, timeout)
    if _is_osv(data):
        return _from_osv([data], location, host)
    if isinstance(data, list):
        return _from_osv(data, location, host)
    if isinstance(data, dict) and isinstance(data.get("vulns"), list):
        return _from_osv(data["vulns"], location, host)
    if isinstance(data, dict):
        return _from_tracker(data, location, host)
    raise PackagesError(f"advisory_source: {location}: neither Debian Security Tracker JSON nor OSV records")

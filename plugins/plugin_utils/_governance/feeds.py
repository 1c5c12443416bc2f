# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Advisory intelligence, offline first: OSV records (a file, a directory, an ecosystem dump ``all.zip``), the
CISA KEV catalogue (JSON), FIRST EPSS scores (CSV, optionally gzipped), from paths or URLs the user controls.
CVSS vectors (v2, v3.x, v4.0) are scored by the ``cvss`` library, never here.

The OSV record test and its severity words are the target side's (module_utils/_packages/advisory_source.py);
this module keeps what the controller needs beyond it: every record by id and alias, with vectors and dates."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import zipfile

from ansible_collections.everylayer.patch.plugins.module_utils._change import normalize_severity
from ansible_collections.everylayer.patch.plugins.module_utils._packages.advisory_source import _is_osv, _osv_severity

from .common import GovernanceError

MAX_BYTES = 1024 * 1024 * 1024  # an ecosystem dump of osv.dev (Debian's all.zip) is a few hundred MiB


def _fetch(location, what, timeout=60):
    """The bytes of a path, file:// or http(s):// URL (TLS verified), gunzipped when gzip."""
    if "://" in location and not location.startswith("file://"):
        if not location.startswith(("https://", "http://")):
            raise GovernanceError(f"{what}: {location!r}: only paths, file:// and http(s):// URLs are read")
        from ansible.module_utils.urls import open_url  # noqa: PLC0415 - only when a URL is given

        try:
            with open_url(location, timeout=timeout, validate_certs=True) as response:
                data = response.read(MAX_BYTES + 1)
        except Exception as exc:  # noqa: BLE001 - urllib/ssl/socket errors all mean "could not read it"
            raise GovernanceError(f"{what}: {location} could not be read: {exc}") from None
    else:
        path = location[len("file://") :] if location.startswith("file://") else location
        if not os.path.isfile(path):
            raise GovernanceError(f"{what}: {path} does not exist")
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise GovernanceError(f"{what}: {location} is larger than {MAX_BYTES // 2**20} MiB")
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _json(data, origin, what):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GovernanceError(f"{what}: {origin} is not JSON: {exc}") from None


# --- CVSS ------------------------------------------------------------------------------------------------
def cvss_score(vector, origin="vector"):
    """``{"version", "vector", "base_score", "severity"}`` of a CVSS v2/v3.x/v4.0 vector, scored by ``cvss``."""
    try:
        from cvss import CVSS2, CVSS3, CVSS4, CVSSError  # noqa: PLC0415 - a controller requirement, named below
    except ImportError:
        raise GovernanceError(
            "scoring CVSS vectors needs the Python package cvss on the controller (requirements.txt)"
        ) from None
    text = str(vector or "").strip()
    try:
        if text.startswith("CVSS:4.0/"):
            parsed = CVSS4(text)
            version, score, severity = "4.0", float(parsed.base_score), parsed.severity
        elif text.startswith("CVSS:3."):
            parsed = CVSS3(text)
            version, score, severity = text[5:8], float(parsed.base_score), parsed.severities()[0]
        elif text.startswith("AV:"):
            parsed = CVSS2(text)
            version, score, severity = "2.0", float(parsed.base_score), parsed.severities()[0]
        else:
            raise GovernanceError(f"{origin}: {text!r} is not a CVSS v2, v3.x or v4.0 vector")
    except CVSSError as exc:
        raise GovernanceError(f"{origin}: CVSS vector {text!r}: {exc}") from None
    return {"version": version, "vector": text, "base_score": score, "severity": normalize_severity(severity)}


# --- OSV -------------------------------------------------------------------------------------------------
def _osv_records(location):
    """OSV records of a file (one record, a list, ``{"vulns": [...]}``), a directory of them or a zip dump."""
    if os.path.isdir(location):
        for root, dirs, files in os.walk(location):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".json", ".json.gz", ".zip")):
                    yield from _osv_records(os.path.join(root, name))
        return
    data = _fetch(location, "osv")
    if data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise GovernanceError(f"osv: {location} is not a readable zip: {exc}") from None
        for member in sorted(archive.namelist()):
            if member.endswith(".json"):
                yield from _osv_items(
                    _json(archive.read(member), f"{location}!{member}", "osv"), f"{location}!{member}"
                )
        return
    yield from _osv_items(_json(data, location, "osv"), location)


def _osv_items(data, origin):
    items = data if isinstance(data, list) else data.get("vulns") if isinstance(data, dict) else None
    if items is None or _is_osv(data):
        items = [data]
    for index, item in enumerate(items):
        if not _is_osv(item):
            raise GovernanceError(f"osv: {origin}: entry {index} is not an OSV record (it needs id and affected)")
        yield item, origin


def _advisory(record, origin):
    cvss = []
    for entry in record.get("severity") or ():
        if isinstance(entry, dict) and str(entry.get("type", "")).startswith("CVSS_"):
            cvss.append(cvss_score(entry.get("score"), f"osv: {origin}: {record['id']} severity"))
    aliases = [a for a in (record.get("aliases") or []) + (record.get("upstream") or []) if isinstance(a, str)]
    return {
        "id": record["id"],
        "aliases": aliases,
        "published": record.get("published"),
        "withdrawn": record.get("withdrawn"),
        "cvss": cvss,
        "severity": _osv_severity(record),
        "packages": sorted({(a.get("package") or {}).get("name") for a in record["affected"]} - {None}),
        "source": origin,
    }


# --- KEV and EPSS ---------------------------------------------------------------------------------------
def _kev(location):
    data = _json(_fetch(location, "kev"), location, "kev")
    entries = data.get("vulnerabilities") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise GovernanceError(f"kev: {location}: no 'vulnerabilities' list (the CISA KEV catalogue JSON)")
    out = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not str(entry.get("cveID", "")).startswith("CVE-"):
            raise GovernanceError(f"kev: {location}: vulnerabilities[{index}] has no cveID")
        out[entry["cveID"]] = {
            "date_added": entry.get("dateAdded"),
            "due_date": entry.get("dueDate"),
            "ransomware": entry.get("knownRansomwareCampaignUse"),
            "name": entry.get("vulnerabilityName"),
        }
    if not out:
        raise GovernanceError(f"kev: {location}: the 'vulnerabilities' list is empty (an empty or failed download?)")
    return out, {"kev_catalog": data.get("catalogVersion"), "kev_released": data.get("dateReleased")}


def _epss(location):
    text = _fetch(location, "epss").decode("utf-8", "replace")
    meta, scores, header = {}, {}, None
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if row[0].startswith("#"):  # "#model_version:v2025.03.14,score_date:2025-09-03T12:55:00Z"
            for item in ",".join(row).lstrip("#").split(","):
                key, _sep, value = item.partition(":")
                meta["epss_" + key.strip()] = value.strip()
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            if not {"cve", "epss", "percentile"} <= set(header):
                raise GovernanceError(f"epss: {location} line {number}: the header must name cve, epss, percentile")
            continue
        cells = dict(zip(header, row, strict=False))  # a short row fails below, naming its line
        try:
            scores[cells["cve"].strip()] = {"epss": float(cells["epss"]), "percentile": float(cells["percentile"])}
        except (KeyError, ValueError):
            raise GovernanceError(
                f"epss: {location} line {number}: {','.join(row)!r} is not cve,epss,percentile"
            ) from None
    if header is None:
        raise GovernanceError(f"epss: {location} has no header line (cve,epss,percentile)")
    if not scores:
        raise GovernanceError(f"epss: {location} has a header and no score (an empty or failed download?)")
    return scores, meta


class Intel:
    """Advisories by id and alias, the KEV catalogue and EPSS scores, as one lookup."""

    def __init__(self, osv=(), kev=None, epss=None):
        self.advisories, self.by_alias, self.kev, self.epss, self.meta = {}, {}, {}, {}, {}
        for location in [osv] if isinstance(osv, str) else osv or ():
            count = 0
            for record, origin in _osv_records(location):
                count += 1
                adv = _advisory(record, origin)
                self.advisories[adv["id"]] = adv
                for alias in adv["aliases"]:
                    self.by_alias.setdefault(alias, []).append(adv["id"])
            if not count:  # no data read is no "nothing is vulnerable"
                raise GovernanceError(f"osv: {location} holds no OSV record (.json, .json.gz or an all.zip dump)")
        if kev:
            self.kev, meta = _kev(kev)
            self.meta.update(meta)
        if epss:
            self.epss, meta = _epss(epss)
            self.meta.update(meta)
        self.read = {"osv": len(self.advisories), "kev": len(self.kev), "epss": len(self.epss)}

    def summary(self):
        """What was read: record counts per feed and the feeds' own versions and dates (for reports)."""
        return dict(
            self.meta, osv_records=self.read["osv"], kev_entries=self.read["kev"], epss_scores=self.read["epss"]
        )

    def names(self, ident):
        """Every name an advisory id is known by: itself, its records' ids and their aliases."""
        names, todo = set(), [str(ident)]
        while todo:
            name = todo.pop()
            if name in names:
                continue
            names.add(name)
            for rid in [name, *self.by_alias.get(name, ())]:
                adv = self.advisories.get(rid)
                if adv:
                    todo.extend([adv["id"], *adv["aliases"]])
        return names

    def about(self, idents):
        """What is known about a pending update's advisories: highest CVSS, KEV entries, highest EPSS, dates."""
        cvss, kev, epss, published, severities, known = None, [], None, [], [], []
        for ident in idents or ():
            for name in sorted(self.names(ident)):
                adv = self.advisories.get(name)
                if adv and not adv.get("withdrawn"):
                    known.append(name)
                    severities.append(adv["severity"])
                    if adv.get("published"):
                        published.append(adv["published"])
                    for score in adv["cvss"]:
                        if cvss is None or score["base_score"] > cvss["base_score"]:
                            cvss = dict(score, advisory=name)
                if name in self.kev and not any(k["cve"] == name for k in kev):
                    kev.append(dict(self.kev[name], cve=name))
                if name in self.epss and (epss is None or self.epss[name]["epss"] > epss["epss"]):
                    epss = dict(self.epss[name], cve=name)
        return {
            "cvss": cvss,
            "kev": sorted(kev, key=lambda k: str(k.get("due_date"))),
            "epss": epss,
            "published": min(published) if published else None,
            "severities": [s for s in severities if s],
            "known": sorted(set(known)),
        }

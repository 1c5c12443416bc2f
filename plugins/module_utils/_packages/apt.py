# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The apt backend: dpkg-query for what is installed, apt-get --simulate for what would change,
apt-get changelog for the CVEs an update fixes, apt-get install NAME=VERSION to apply or roll back."""

from __future__ import annotations

import os
import re

from ansible_collections.everylayer.patch.plugins.module_utils._change import highest_severity
from ansible_collections.everylayer.patch.plugins.module_utils._packages import parsers
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError, update

REBOOT_FILE = "/var/run/reboot-required"
ADVISORY_RE = re.compile(r"\b(?:DSA|DLA|USN|[A-Z]{2,4}[SBE]A)-\d{4}[-:]\d+(?:-\d+)?\b")
SEVERITY_IN_TEXT_RE = re.compile(r"\bseverity[:\s]+(critical|important|high|moderate|medium|low)\b", re.IGNORECASE)
_URGENCY_RE = re.compile(r";\s*urgency=(\w+)")
ENV = {"LANG": "C", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none"}


def advisories_from_changelog(text, installed_version):
    """(advisories, severity) named by the changelog entries newer than the installed version.

    Advisories are CVE ids and distribution advisory ids (DSA-, DLA-, USN-, xxSA-); the severity is the
    one the entries state ("severity Important"), else the Debian urgency of an entry that names a CVE.
    """
    ids = []
    severities = []
    entry_has_cve = False
    entry_urgency = None
    for line in text.splitlines():
        head = parsers._CHANGELOG_HEAD_RE.match(line)
        if head:
            if entry_has_cve and entry_urgency:
                severities.append(entry_urgency)
            if installed_version is not None and head.group("version") == installed_version:
                entry_has_cve = False
                break
            urgency = _URGENCY_RE.search(line)
            entry_urgency = {"emergency": "critical"}.get(urgency.group(1), urgency.group(1)) if urgency else None
            entry_has_cve = False
            continue
        for ident in ADVISORY_RE.findall(line) + parsers.CVE_RE.findall(line):
            if ident not in ids:
                ids.append(ident)
        if parsers.CVE_RE.search(line):
            entry_has_cve = True
        stated = SEVERITY_IN_TEXT_RE.search(line)
        if stated:
            severities.append(stated.group(1))
    if entry_has_cve and entry_urgency:
        severities.append(entry_urgency)
    stated_first = [s for s in severities if s.lower() in ("critical", "important", "moderate", "low")]
    return ids, highest_severity(stated_first or severities)


def split_changelogs(text):
    """{package: changelog text} from the concatenated output of ``apt-get changelog A B ...``."""
    logs = {}
    current = None
    for line in text.splitlines(keepends=True):
        head = parsers._CHANGELOG_HEAD_RE.match(line)
        if head:
            current = head.group("name")
        if current:
            logs[current] = logs.get(current, "") + line
    return logs


class AptBackend:
    name = "apt"
    strategy = "packages"
    locks = (
        ("fcntl", "/var/lib/dpkg/lock-frontend"),
        ("fcntl", "/var/lib/dpkg/lock"),
        ("fcntl", "/var/cache/apt/archives/lock"),
        ("fcntl", "/var/lib/apt/lists/lock"),
    )

    def __init__(self, module, lock_timeout=0):
        self.module = module
        self.lock_timeout = int(lock_timeout)
        self.status = {}

    def _run(self, argv, what, check=True):
        rc, out, err = self.module.run_command(argv, environ_update=ENV)
        if check and rc != 0:
            detail = (err or out).strip().splitlines()
            raise PackagesError(f"{what} failed (rc {rc}): {' / '.join(detail[-6:]) or 'no output'}")
        return out

    def _apt_get(self, *args):
        return [
            "apt-get",
            "-q",
            "-o",
            f"DPkg::Lock::Timeout={self.lock_timeout}",
            "-o",
            "Dpkg::Options::=--force-confdef",
            "-o",
            "Dpkg::Options::=--force-confold",
            *args,
        ]

    def refresh(self):
        # --error-on=any: a repository that cannot be read is an error, not a warning (nothing is changed yet).
        self._run(self._apt_get("update", "--error-on=any"), "apt-get update (repository metadata)")

    def installed(self):
        out = self._run(["dpkg-query", "-W", "-f", parsers.DPKG_QUERY_FORMAT], "dpkg-query")
        self.status = parsers.dpkg_query(out)
        return {name: info["version"] for name, info in self.status.items()}

    def held(self):
        return {name for name, info in self.status.items() if info["held"]}

    def broken(self):
        """Packages dpkg does not consider fully installed (a maintainer script failed)."""
        return {name for name, info in self.status.items() if not info["ok"]}

    def _simulate(self, args):
        out = self._run(
            ["apt-get", "-s", "-q", "-o", "Debug::NoLocking=1", "-o", "APT::Get::Show-User-Simulation-Note=false"]
            + list(args),
            "apt-get --simulate",
        )
        return parsers.apt_simulation(out)

    def _changelogs(self, names):
        if not names:
            return {}
        _rc, out, _err = self.module.run_command(["apt-get", "-q", "changelog", *sorted(names)], environ_update=ENV)
        # A missing changelog only costs the advisory details: the rest of the output is still parsed.
        return split_changelogs(out) if out else {}

    def _held_candidates(self, installed):
        held = sorted(self.held() & set(installed))
        if not held:
            return []
        out = self._run(["apt-cache", "policy", *held], "apt-cache policy")
        found = []
        for name, cand in _policy_candidates(out).items():
            if name in held and cand and cand != installed.get(name):
                found.append(update(name, installed[name], cand, held=True))
        return found

    def updates(self, installed):
        ops = self._simulate(["dist-upgrade"])
        entries = []
        for op in ops:
            if op["action"] != "Inst" or op["old"] is None:
                continue  # a new dependency is not an update of its own
            entries.append(
                update(
                    op["name"],
                    op["old"],
                    op["new"],
                    security=parsers.is_security_suite(op["suites"]),
                    source=", ".join(op["suites"]) or None,
                )
            )
        entries.extend(self._held_candidates(installed))
        read = (getattr(self.module, "params", None) or {}).get("apt_changelogs", True) is not False
        logs = self._changelogs([e["name"] for e in entries]) if read else {}
        for entry in entries:
            ids, severity = advisories_from_changelog(logs.get(entry["name"], ""), entry["current"])
            entry["advisories"] = ids
            entry["severity"] = severity
            entry["security"] = entry["security"] or any(i.startswith("CVE-") for i in ids)
        return entries

    def simulate(self, targets):
        """{name: (before, after)} that installing ``targets`` {name: version} would change."""
        ops = self._simulate(["install", "--allow-downgrades", *_install_args(targets)])
        plan = {}
        for op in ops:
            if op["action"] == "Inst":
                plan[op["name"]] = (op["old"], op["new"])
            else:
                plan[op["name"]] = (op["old"], None)
        return plan

    def missing(self, versions):
        """[(name, version)] of the requested versions no repository offers (removals are always possible)."""
        wanted = {n: v for n, v in versions.items() if v is not None}
        if not wanted:
            return []
        out = self._run(["apt-cache", "madison", *sorted(wanted)], "apt-cache madison", check=False)
        available = parsers.apt_madison(out)
        return [(n, v) for n, v in sorted(wanted.items()) if v not in available.get(n, [])]

    def apply(self, targets):
        self._run(
            self._apt_get("install", "-y", "--allow-downgrades", *_install_args(targets)),
            "apt-get install",
        )

    def restore(self, versions, data=None):
        self._run(
            self._apt_get(
                "install", "-y", "--allow-downgrades", "--allow-change-held-packages", *_install_args(versions)
            ),
            "apt-get install (rollback)",
        )

    def reboot_state(self):
        """(reboot required now, [packages that asked for it])."""
        if not os.path.exists(REBOOT_FILE):
            return False, []
        try:
            with open(REBOOT_FILE + ".pkgs", encoding="utf-8") as handle:
                return True, parsers.reboot_required_pkgs(handle.read())
        except OSError:
            return True, []


def _install_args(versions):
    """apt-get install arguments: NAME=VERSION to install that version, NAME- to remove."""
    return [f"{name}={version}" if version is not None else f"{name}-" for name, version in sorted(versions.items())]


def _policy_candidates(text):
    """{name: candidate version} from ``apt-cache policy A B`` output."""
    found = {}
    name = None
    for line in text.splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            name = line.strip()[:-1]
        elif name and line.strip().startswith("Candidate:"):
            value = line.split(":", 1)[1].strip()
            found[name] = None if value == "(none)" else value
    return found

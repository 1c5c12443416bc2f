# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Pure parsers of package-manager outputs (no I/O: unit-tested against real captures)."""

from __future__ import annotations

import re
from xml.etree import ElementTree

# An apt-get --simulate line: "Inst NAME [OLD] (NEW SUITE[, SUITE] [ARCH]) [...]", "Remv NAME [OLD]", "Conf ...".
_SIM_RE = re.compile(
    r"^(?P<action>Inst|Remv|Purg|Conf)\s+(?P<name>\S+)"
    r"(?:\s+\[(?P<old>[^\]]+)\])?"
    r"(?:\s+\((?P<new>\S+)(?:\s+(?P<suites>[^\[\)]*?))?(?:\s+\[(?P<arch>[^\]]+)\])?\))?"
)
SECURITY_WORD_RE = re.compile(r"security", re.IGNORECASE)
_BINNMU_RE = re.compile(r"\+b\d+$")


def apt_simulation(text):
    """Operations from ``apt-get --simulate`` output: [{action, name, old, new, suites, arch}], Inst/Remv/Purg only.

    Conf lines repeat the Inst ones and are dropped; a name may carry ":arch" (multiarch), which is stripped.
    """
    ops = []
    for line in text.splitlines():
        match = _SIM_RE.match(line.strip())
        if not match or match.group("action") == "Conf":
            continue
        suites = [s.strip() for s in (match.group("suites") or "").split(",") if s.strip()]
        ops.append(
            {
                "action": match.group("action"),
                "name": match.group("name").split(":", 1)[0],
                "old": match.group("old"),
                "new": match.group("new"),
                "suites": suites,
                "arch": match.group("arch"),
            }
        )
    return ops


def is_security_suite(suites):
    """True when any "Origin:Codename/Suite" or archive name is a security suite."""
    return any(SECURITY_WORD_RE.search(suite) for suite in suites)


DPKG_QUERY_FORMAT = (
    "${Package}\\t${Version}\\t${db:Status-Abbrev}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\n"
)


def dpkg_query(text):
    """{name: {version, status, held, ok, source, source_version}} from ``dpkg-query -W -f DPKG_QUERY_FORMAT``.

    ``source``/``source_version`` are the source package (``openssl`` for ``libssl3``) and its version (without a
    binNMU's ``+bN``); older captures without those columns fall back to the binary's name and version.

    Status-Abbrev is three letters: desired (h = hold), status (i installed, U unpacked, F half-configured,
    H half-installed, W/t triggers...), error flag. Packages without a version (never installed) are skipped.
    """
    packages = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or not fields[1]:
            continue
        name, version, abbrev = fields[0], fields[1], fields[2].strip()
        if len(abbrev) < 2 or abbrev[1] in ("n", "c"):  # not installed / config files only
            continue
        source = fields[4].strip() if len(fields) > 4 and fields[4].strip() else name
        source_version = fields[5].strip() if len(fields) > 5 and fields[5].strip() else None
        packages[name] = {
            "version": version,
            "status": abbrev,
            "held": abbrev[0] == "h",
            "ok": abbrev[1] == "i" and abbrev[2:3].strip() == "",
            "arch": fields[3].strip() if len(fields) > 3 else "",
            "source": source,
            "source_version": source_version or _BINNMU_RE.sub("", version),
        }
    return packages


def apt_madison(text):
    """{name: [versions]} from ``apt-cache madison`` ("name | version | source") lines."""
    found = {}
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) >= 3 and parts[0] and parts[1]:
            found.setdefault(parts[0], [])
            if parts[1] not in found[parts[0]]:
                found[parts[0]].append(parts[1])
    return found


def reboot_required_pkgs(text):
    """Package names from /var/run/reboot-required.pkgs (one per line, duplicates removed, order kept)."""
    names = []
    for line in text.splitlines():
        name = line.strip()
        if name and name not in names:
            names.append(name)
    return names


RPM_QUERY_FORMAT = "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n"


def evr(epoch, version, release):
    """The version string this collection uses for rpm: ``[epoch:]version-release`` (epoch omitted when 0)."""
    epoch = str(epoch or "0")
    text = f"{version}-{release}" if release else str(version)
    return text if epoch in ("0", "(none)", "") else f"{epoch}:{text}"


def rpm_query(text):
    """{name: version} from ``rpm -qa --qf RPM_QUERY_FORMAT``; the highest-listed wins for multi-version names."""
    packages = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 5 or fields[0] == "gpg-pubkey":
            continue
        packages[fields[0]] = evr(fields[1], fields[2], fields[3])
    return packages


def _xml(text, what):
    try:
        # Local package-manager output and repository metadata the host already trusts; expat >= 2.4.1 (every
        # supported Python) refuses entity expansion bombs and ElementTree never fetches external entities.
        return ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise ValueError(f"{what}: not valid XML ({exc})") from None


def zypper_messages(root):
    """The error/warning messages zypper put in its XML output."""
    return [
        (m.text or m.get("text") or "").strip() for m in root.iter("message") if m.get("type") in ("error", "warning")
    ]


def zypper_updates(text):
    """Package updates from ``zypper --xmlout list-updates``: [{name, old, new, arch, repo}]."""
    root = _xml(text, "zypper list-updates")
    updates = []
    for node in root.iter("update"):
        if node.get("kind", "package") != "package":
            continue
        source = node.find("source")
        updates.append(
            {
                "name": node.get("name"),
                "old": node.get("edition-old"),
                "new": node.get("edition"),
                "arch": node.get("arch"),
                "repo": source.get("alias") if source is not None else None,
            }
        )
    return updates


def zypper_patches(text):
    """Needed patches from ``zypper --xmlout list-patches``: [{id, category, severity, issues, restart}]."""
    root = _xml(text, "zypper list-patches")
    patches = []
    for node in root.iter("update"):
        if node.get("kind") != "patch":
            continue
        issues = [i.get("id") for i in node.iter("issue") if i.get("id")]
        patches.append(
            {
                "id": node.get("name"),
                "category": node.get("category"),
                "severity": node.get("severity"),
                "issues": issues,
                "restart": node.get("restart") == "true",
                "status": node.get("status"),
            }
        )
    return patches


def updateinfo(text):
    """Advisories from an rpm-md updateinfo.xml: {id: {type, severity, references, reboot, packages{name: evr}}}."""
    root = _xml(text, "updateinfo.xml")
    advisories = {}
    for node in root.iter("update"):
        ident = (node.findtext("id") or "").strip()
        if not ident:
            continue
        packages = {}
        for pkg in node.iter("package"):
            name = pkg.get("name")
            if name:
                packages[name] = evr(pkg.get("epoch"), pkg.get("version"), pkg.get("release"))
        refs = [r.get("id") for r in node.iter("reference") if r.get("id")]
        advisories[ident] = {
            "type": node.get("type"),
            "severity": (node.findtext("severity") or "").strip() or None,
            "references": refs,
            "reboot": node.find(".//reboot_suggested") is not None,
            "packages": packages,
        }
    return advisories


def zypper_search(text):
    """{name: [editions]} available, from ``zypper --xmlout search -s --match-exact NAME...``."""
    root = _xml(text, "zypper search")
    found = {}
    for node in root.iter("solvable"):
        name, edition = node.get("name"), node.get("edition")
        if name and edition and edition not in found.setdefault(name, []):
            found[name].append(edition)
    return found


def zypper_summary(text):
    """{name: (before, after)} from the <install-summary> of a zypper --xmlout install/remove (dry run or not)."""
    root = _xml(text, "zypper install summary")
    plan = {}
    for summary in root.iter("install-summary"):
        for section in summary:
            for node in section.iter("solvable"):
                if node.get("type", "package") != "package":
                    continue
                name = node.get("name")
                if section.tag == "to-remove":
                    plan[name] = (node.get("edition"), None)
                else:
                    plan[name] = (node.get("edition-old"), node.get("edition"))
    return plan


def zypp_locks(text):
    """Locked package names (globs) from /etc/zypp/locks."""
    names = []
    for line in text.splitlines():
        key, _sep, value = line.partition(":")
        if key.strip() == "solvable_name" and value.strip():
            names.append(value.strip())
    return names


_VERSION_SEGMENT_RE = re.compile(r"(\d+|[A-Za-z]+|~|\^)")


def _rpmvercmp(a, b):
    """rpm's version comparison of one version or release string (-1, 0, 1)."""
    if a == b:
        return 0
    sa, sb = _VERSION_SEGMENT_RE.findall(a), _VERSION_SEGMENT_RE.findall(b)
    while sa or sb:
        if sa and sa[0] == "~" or sb and sb[0] == "~":
            if not (sa and sa[0] == "~"):
                return 1
            if not (sb and sb[0] == "~"):
                return -1
            sa, sb = sa[1:], sb[1:]
            continue
        if not sa or not sb:
            return 1 if sa else -1
        x, y = sa.pop(0), sb.pop(0)
        if x.isdigit() != y.isdigit():
            return 1 if x.isdigit() else -1
        if x.isdigit():
            x, y = int(x), int(y)
        if x != y:
            return 1 if x > y else -1
    return 0


def rpm_compare(a, b):
    """Compare two ``[epoch:]version[-release]`` strings as rpm does (-1, 0, 1)."""

    def split(text):
        epoch, _sep, rest = text.rpartition(":") if ":" in text else ("0", "", text)
        version, _sep, release = rest.partition("-")
        return int(epoch or 0), version, release

    ea, va, ra = split(a)
    eb, vb, rb = split(b)
    if ea != eb:
        return 1 if ea > eb else -1
    return _rpmvercmp(va, vb) or (_rpmvercmp(ra, rb) if ra and rb else 0)

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The apt backend: dpkg-query for what is installed, apt-get --simulate for what would change,
apt-get changelog for the CVEs an update fixes, apt-get install NAME=VERSION to apply or roll back."""

from __future__ import annotations

import os
import re

from ansible_collections.everylayer.patch.plugins.module_utils._packages import (
    advisory_source,
    changelogs,
    detect,
    parsers,
    reboot,
)
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError, update

REBOOT_FILE = "/var/run/reboot-required"
DPKG_INFO = "/var/lib/dpkg/info"
DPKG_UPDATES = "/var/lib/dpkg/updates"
ENV = {"LANG": "C", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none"}
DEFAULT_CHANGELOG_TIMEOUT = 120
# apt/dpkg output lines worth keeping in an error message beside apt's last lines.
_MEANINGFUL_RE = re.compile(
    r"No space left on device|dpkg: error|dpkg was interrupted|error processing|Read-only file system|"
    r"Permission denied|unable to|cannot|E: ",
)


def advisories_from_changelog(text, installed_version):
    """(advisories, severity) of the entries newer than ``installed_version`` (a source version); see changelogs."""
    return changelogs.advisories(text, changelogs.source_version(installed_version))


def split_changelogs(text):
    """{source: changelog text} from the concatenated output of ``apt-get changelog A B ...``."""
    return changelogs.split(text)


def error_detail(rc, out, err, keep=6):
    """apt's own words for a failed command: its last lines plus, before them, the meaningful lines of the whole
    output (``No space left on device`` is printed by dpkg long before apt's closing ``E: Sub-process ...``)."""
    lines = [line.strip() for line in ((out or "") + "\n" + (err or "")).splitlines() if line.strip()]
    tail = [line for line in (err or out or "").strip().splitlines() if line.strip()][-keep:]
    early = []
    for line in lines:
        if _MEANINGFUL_RE.search(line) and line not in tail and line not in early:
            early.append(line)
    return " / ".join(early[:keep] + tail) or f"no output (rc {rc})"


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
        self.warnings = []

    def _run(self, argv, what, check=True):
        rc, out, err = self.module.run_command(argv, environ_update=ENV)
        if check and rc != 0:
            raise PackagesError(f"{what} failed (rc {rc}): {error_detail(rc, out, err)}")
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

    def _changelogs(self, sources, timeout):
        """({source: changelog}, {source: apt's words}) from ``apt-get changelog``, each call bounded by ``timeout``.

        ``sources`` maps each source package to one of its binaries (apt looks changelogs up by binary name and
        answers with the source's changelog, whose entries carry the source name). One call for all; when it fails
        without timing out, apt prints no changelog at all once one cannot be fetched, so each source it neither
        returned nor named in an error of its own is asked for alone, stopping at the first call that times out
        (the server hangs: the rest would too). One missing changelog leaves the others known; an unreachable
        server (apt names every source) costs no more calls.
        """
        if not sources:
            return {}, {}
        logs, failed, rc, named = self._changelog_call(sources, timeout)
        if rc in (0, 124, 137):
            return logs, failed
        rest = sorted(s for s in sources if s in failed and s not in named)
        for index, source in enumerate(rest):
            found, words, rc, _named = self._changelog_call({source: sources[source]}, timeout)
            logs.update(found)
            failed.pop(source, None)
            failed.update(words)
            if rc in (124, 137):
                for other in rest[index + 1 :]:
                    failed[other] = f"not tried: the changelog call for {source} did not finish within {int(timeout)} s"
                break
        return logs, failed

    def _changelog_call(self, sources, timeout):
        """({source: changelog}, {source: apt's words}, exit code, {sources apt's errors name}) of one
        ``apt-get changelog`` call."""
        names = sorted(set(sources.values()))
        wait = str(int(timeout))
        argv = ["timeout", "-k", "5", wait, "apt-get", "-q", "-o", f"Acquire::http::Timeout={wait}"]
        argv += ["-o", f"Acquire::https::Timeout={wait}", "changelog", *names]
        rc, out, err = self.module.run_command(argv, environ_update=ENV)
        found = split_changelogs(out) if out else {}
        logs = {s: found[s] for s in sources if s in found}
        failed = {}
        lines = [line.strip() for line in ((out or "") + "\n" + (err or "")).splitlines() if line.strip()]
        named = {s for s in sources if any(f"for {s}=" in line for line in lines)}
        for source in sorted(sources):
            if source in logs:
                continue
            if rc in (124, 137):
                failed[source] = f"apt-get changelog did not finish within {wait} s (changelog_timeout)"
                continue
            failed[source] = _changelog_error(source, lines, rc)
        return logs, failed, rc, named

    def _advisory_index(self, params):
        location = params.get("advisory_source")
        if not location:
            return None
        try:
            with open("/etc/os-release", encoding="utf-8") as handle:
                release = detect.os_release(handle.read())
        except OSError:
            release = {}
        host = {
            "id": release.get("ID", "").lower(),
            "version_id": release.get("VERSION_ID", ""),
            "codename": release.get("VERSION_CODENAME", ""),
        }
        timeout = params.get("changelog_timeout") or DEFAULT_CHANGELOG_TIMEOUT
        return advisory_source.load(location, self.module, host, timeout)

    def _source_of(self, name, version):
        info = self.status.get(name) or {}
        if info.get("version") == version and info.get("source_version"):
            return info.get("source") or name, info["source_version"]
        return info.get("source") or name, changelogs.source_version(version)

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
                    reboot=reboot.needs_reboot(op["name"]),
                )
            )
        entries.extend(self._held_candidates(installed))
        self._advisories(entries)
        return entries

    def _advisories(self, entries):
        """Advisories and severity of each update, from its SOURCE package's changelog (read once per source),
        else from the advisory source; what neither can tell is marked unknown, with a warning naming it."""
        params = getattr(self.module, "params", None) or {}
        index = self._advisory_index(params)
        sources = {}
        for entry in entries:
            entry["_source"] = self._source_of(entry["name"], entry["current"])[0]
            sources.setdefault(entry["_source"], entry["name"])
        logs, failed = {}, {}
        if params.get("apt_changelogs", True) is not False:
            logs, failed = self._changelogs(sources, params.get("changelog_timeout") or DEFAULT_CHANGELOG_TIMEOUT)
        for entry in entries:
            source = entry.pop("_source")
            installed_src = self._source_of(entry["name"], entry["current"])[1]
            if source in logs:
                ids, severity = changelogs.advisories(logs[source], installed_src)
                entry["advisory_data"] = "changelog"
            elif index is not None and index.covers(source):
                ids, severity = index.lookup(source, installed_src, changelogs.source_version(entry["candidate"]))
                entry["advisory_data"] = "advisory_source"
            else:
                ids, severity = [], None
                entry["advisory_data"] = "unknown"
            entry["advisories"] = ids
            entry["severity"] = severity
            entry["security"] = entry["security"] or any(i.startswith("CVE-") for i in ids)
        for source, words in sorted(failed.items()):
            names = sorted(e["name"] for e in entries if self._source_of(e["name"], e["current"])[0] == source)
            filled = index is not None and index.covers(source)
            self.warnings.append(
                f"changelog of {', '.join(names)}"
                + (f" (source {source})" if names != [source] else "")
                + f" not read: {words}; advisories and severity "
                + (f"taken from advisory_source {index.origin}" if filled else "unknown")
            )

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
        # Packages that did not exist before are purged, not removed: no conffiles left behind. One transaction:
        # --purge turns every NAME- removal into a purge (apt 2.6 has no NAME_ form: "Unable to locate package").
        self._run(
            self._apt_get(
                "install",
                "-y",
                "--purge",
                "--allow-downgrades",
                "--allow-change-held-packages",
                *_install_args(versions),
            ),
            "apt-get install (rollback)",
        )

    def reboot_state(self):
        """(reboot required now, [packages that asked for it]): Debian's /var/run/reboot-required(.pkgs), which
        its kernel packages do not always write, or this module's own marker (the shared reboot rules)."""
        marked, names = reboot.marker_state()
        if not os.path.exists(REBOOT_FILE):
            return marked, names
        try:
            with open(REBOOT_FILE + ".pkgs", encoding="utf-8") as handle:
                found = parsers.reboot_required_pkgs(handle.read())
        except OSError:
            found = []
        return True, list(dict.fromkeys(found + names))

    def reboot_names(self, names):
        return [n for n in sorted(names) if reboot.needs_reboot(n)]

    def reboot_packages(self):
        return self.reboot_state()[1]  # files only: as cheap as the list alone

    def mark_reboot(self, names):
        reboot.write_marker(names)

    def files(self, names):
        """{name: [files]} from dpkg's own lists (/var/lib/dpkg/info/NAME[:ARCH].list)."""
        found = {}
        for name in names:
            arch = (self.status.get(name) or {}).get("arch")
            for path in (f"{DPKG_INFO}/{name}.list", f"{DPKG_INFO}/{name}:{arch}.list"):
                try:
                    with open(path, encoding="utf-8", errors="replace") as handle:
                        found[name] = handle.read().splitlines()
                    break
                except OSError:
                    continue
        return found

    # --- broken package state ---------------------------------------------------------------------

    def problems(self, ignore=()):
        """What keeps dpkg from planning anything: an interrupted run (journal in /var/lib/dpkg/updates),
        packages not fully installed, and whatever ``dpkg --audit`` reports. Call after installed().

        ``ignore``: packages the caller is about to reinstall anyway (a rollback of a half-configured package)."""
        found = []
        try:
            journal = [f for f in os.listdir(DPKG_UPDATES) if f.isdigit()]
        except OSError:
            journal = []
        if journal:
            found.append("dpkg was interrupted (unfinished journal in /var/lib/dpkg/updates): dpkg --configure -a")
        not_ok = {n: i["status"] for n, i in self.status.items() if not i["ok"]}
        half = {n: st for n, st in not_ok.items() if n not in set(ignore)}
        if half:
            found.append(
                "packages not fully installed: " + ", ".join(f"{n} ({s.strip()})" for n, s in sorted(half.items()))
            )
        rc, out, err = self.module.run_command(["dpkg", "--audit"], environ_update=ENV)
        audit = [line.strip() for line in (out + "\n" + err).splitlines() if line.strip()]
        if audit and not not_ok:
            found.append("dpkg --audit: " + " / ".join(audit[:6]))
        elif rc not in (0, 1):
            found.append(f"dpkg --audit failed (rc {rc}): {' / '.join(audit[-3:]) or 'no output'}")
        return found

    def repair(self):
        """Finish what dpkg left: configure unpacked packages, then let apt fix broken dependencies."""
        self._run(["dpkg", "--force-confdef", "--force-confold", "--configure", "-a"], "dpkg --configure -a (repair)")
        self._run(self._apt_get("install", "-f", "-y"), "apt-get install -f (repair)")
        return ["dpkg --configure -a", "apt-get install -f"]


def _changelog_error(source, lines, rc):
    """apt's words about the changelog of ``source`` (``Changelog unavailable for openssl=3.0.22-1~deb12u2
    (Could not resolve '...')``), else its last error line."""
    for line in lines:
        if f"for {source}=" in line:
            return line[line.index("Changelog unavailable") :] if "Changelog unavailable" in line else line
    errors = [line for line in lines if line.startswith(("E:", "W:"))]
    return errors[-1] if errors else f"no changelog in the output of apt-get changelog (rc {rc})"


def _install_args(versions):
    """apt-get install arguments: NAME=VERSION to install that version, NAME- to remove (purged with --purge)."""
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

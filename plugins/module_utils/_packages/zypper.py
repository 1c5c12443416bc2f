# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The zypper backend: zypper --xmlout for updates and (dry-run) installs, the repositories' updateinfo.xml for
advisories, rpm -qa for the exact installed versions, zypper needs-rebooting for the reboot state."""

from __future__ import annotations

import fnmatch
import glob
import gzip

from ansible_collections.everylayer.patch.plugins.module_utils._change import highest_severity
from ansible_collections.everylayer.patch.plugins.module_utils._packages import parsers, reboot
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError, update
from ansible_collections.everylayer.patch.plugins.module_utils._packages.dnf import (
    RpmDatabase,
    needs_reboot,
    rpm_installed,
)

UPDATEINFO_GLOB = "/var/cache/zypp/raw/*/repodata/*updateinfo.xml*"
LOCKS_FILE = "/etc/zypp/locks"
# zypper exit codes that still mean success (100 updates needed, 101 security updates needed,
# 102 reboot needed, 103 restart of zypper needed, 106 some repositories skipped).
OK_CODES = (0, 100, 101, 102, 103)
ENV = {"LANG": "C", "LC_ALL": "C", "ZYPP_LOCK_TIMEOUT": "0"}


def _read_updateinfo(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.read()


class ZypperBackend(RpmDatabase):
    name = "zypper"
    strategy = "packages"
    locks = (("pidfile", "/run/zypp.pid"), ("pidfile", "/var/run/zypp.pid"), ("fcntl", "/var/lib/rpm/.rpm.lock"))

    def __init__(self, module, lock_timeout=0):
        self.module = module
        self.lock_timeout = int(lock_timeout)

    def _zypper(self, args, what, xml=True, codes=OK_CODES):
        argv = ["zypper", "--non-interactive", "--no-refresh"]
        if xml:
            argv.append("--xmlout")
        rc, out, err = self.module.run_command(argv + list(args), environ_update=ENV)
        if rc not in codes:
            detail = err.strip()
            if xml and out:
                try:
                    detail = " / ".join(parsers.zypper_messages(parsers._xml(out, what))) or detail
                except ValueError:
                    pass
            raise PackagesError(f"{what} failed (zypper rc {rc}): {detail or 'no output'}")
        return out

    def refresh(self):
        rc, out, err = self.module.run_command(["zypper", "--non-interactive", "refresh"], environ_update=ENV)
        if rc != 0:
            raise PackagesError(f"zypper refresh failed (rc {rc}; nothing was changed): {(err or out).strip()}")

    def installed(self):
        return rpm_installed(self.module)

    def held(self):
        try:
            with open(LOCKS_FILE, encoding="utf-8") as handle:
                return set(parsers.zypp_locks(handle.read()))
        except OSError:
            return set()

    def broken(self):
        return set()

    def _advisories(self):
        found = {}
        for path in sorted(glob.glob(UPDATEINFO_GLOB)):
            try:
                found.update(parsers.updateinfo(_read_updateinfo(path)))
            except (OSError, ValueError):
                continue  # an unreadable cache only costs the advisory details
        return found

    def updates(self, installed):
        out = self._zypper(["list-updates"], "zypper list-updates")
        advisories = self._advisories()
        locked = self.held()
        entries = []
        for item in parsers.zypper_updates(out):
            name, current, candidate = item["name"], installed.get(item["name"]), item["new"]
            if current is None:
                continue
            ids, severities, security, reboot = [], [], False, False
            for ident, adv in sorted(advisories.items()):
                fixed = adv["packages"].get(name)
                if not fixed:
                    continue
                if parsers.rpm_compare(fixed, current) <= 0 or parsers.rpm_compare(fixed, candidate) > 0:
                    continue
                ids.append(ident)
                ids.extend(r for r in adv["references"] if r.startswith("CVE-"))
                severities.append(adv["severity"])
                security = security or adv["type"] == "security"
                reboot = reboot or adv["reboot"]
            entries.append(
                update(
                    name,
                    current,
                    candidate,
                    advisories=ids,
                    severity=highest_severity(severities),
                    security=security,
                    reboot=reboot or needs_reboot(name),
                    held=any(fnmatch.fnmatchcase(name, p) for p in locked),
                    source=item["repo"],
                )
            )
        return entries

    def missing(self, versions):
        wanted = {n: v for n, v in versions.items() if v is not None}
        if not wanted:
            return []
        _rc, out, _err = self.module.run_command(
            [
                "zypper",
                "--non-interactive",
                "--no-refresh",
                "--xmlout",
                "search",
                "-s",
                "--match-exact",
                *sorted(wanted),
            ],
            environ_update=ENV,
        )
        available = parsers.zypper_search(out) if out else {}
        return [(n, v) for n, v in sorted(wanted.items()) if v not in available.get(n, [])]

    def _install_args(self, versions):
        keep = [f"{n}={v}" for n, v in sorted(versions.items()) if v is not None]
        drop = [n for n, v in sorted(versions.items()) if v is None]
        return keep, drop

    def simulate(self, targets):
        keep, drop = self._install_args(targets)
        plan = {}
        if keep:
            out = self._zypper(["install", "--dry-run", "--oldpackage", *keep], "zypper install --dry-run")
            plan.update(parsers.zypper_summary(out))
        if drop:
            out = self._zypper(["remove", "--dry-run", *drop], "zypper remove --dry-run")
            plan.update(parsers.zypper_summary(out))
        return plan

    def apply(self, targets):
        keep, drop = self._install_args(targets)
        if keep:
            self._zypper(["install", "--oldpackage", *keep], "zypper install", xml=False)
        if drop:
            self._zypper(["remove", *drop], "zypper remove", xml=False)

    def restore(self, versions, data=None):
        self.apply(versions)

    def reboot_state(self):
        """zypper needs-rebooting (exit 102: reboot needed, libzypp's /run/reboot-needed) or this module's marker."""
        marked, names = reboot.marker_state()
        rc, _out, _err = self.module.run_command(["zypper", "needs-rebooting"], environ_update=ENV)
        return rc == 102 or marked, names

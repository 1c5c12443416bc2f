# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The dnf backend: dnf's Python API (as ansible.builtin.dnf uses it) for updates, advisories and transactions,
``rpm -qa`` for the exact installed versions, ``dnf history undo`` to roll a transaction back."""

from __future__ import annotations

import fnmatch
import shutil

from ansible_collections.everylayer.patch.plugins.module_utils._change import highest_severity
from ansible_collections.everylayer.patch.plugins.module_utils._packages import parsers, reboot
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError, update

# The reboot rules (kernel, glibc, systemd, firmware... or an installhint(reboot-needed) provide) are shared by
# every backend: see reboot.py. needs-restarting is not everywhere: this module then records the need itself.
needs_reboot = reboot.needs_reboot
MARKER = reboot.MARKER
VERSIONLOCK_LIST = "/etc/dnf/plugins/versionlock.list"


def versionlock_patterns(text):
    """(locked, excluded) name globs from versionlock.list (``[!]name-[epoch:]version-release[.arch]``)."""
    locked, excluded = [], []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        target = excluded if line.startswith("!") else locked
        spec = line.lstrip("!")
        # drop .arch, then -release and -version: what is left is the name
        parts = spec.rsplit("-", 2)
        target.append(parts[0] if len(parts) == 3 else spec)
    return locked, excluded


class RpmDatabase:
    """What a dnf and a zypper backend share: the rpm database (files, problems, repair, the packages that ask for
    a reboot) and the reboot marker. ``self.module`` is the backend's module."""

    def mark_reboot(self, names):
        reboot.write_marker(names)

    def files(self, names):
        return rpm_files(self.module, names)

    def problems(self, ignore=()):
        return rpm_problems(self.module)

    def repair(self):
        return rpm_repair(self.module)

    def reboot_names(self, names):
        return rpm_reboot_names(self.module, names)

    def reboot_packages(self):
        """The packages recorded as asking for a reboot (this module's marker): no command run, unlike
        reboot_state(), which asks needs-restarting / zypper needs-rebooting."""
        return reboot.marker_packages()


class DnfBackend(RpmDatabase):
    name = "dnf"
    strategy = "transaction"
    locks = (
        ("fcntl", "/var/lib/rpm/.rpm.lock"),
        ("pidfile", "/var/cache/dnf/metadata_lock.pid"),
        ("pidfile", "/var/lib/dnf/rpmdb_lock.pid"),
        ("pidfile", "/var/cache/dnf/download_lock.pid"),
    )

    def __init__(self, module, lock_timeout=0):
        self.module = module
        self.lock_timeout = int(lock_timeout)
        try:
            import dnf  # noqa: PLC0415 - only dnf hosts have it
            import hawkey  # noqa: PLC0415
        except ImportError:
            raise PackagesError(
                f"the dnf backend needs python3-dnf for the module's interpreter ({module._get_py_interpreter()})"
                if hasattr(module, "_get_py_interpreter")
                else "the dnf backend needs the python3-dnf bindings for the module's interpreter"
            ) from None
        self.dnf = dnf
        self.hawkey = hawkey
        self.base = None
        self.refresh_metadata = False
        self.locked_names = self._versionlocks()
        self.last_transaction = None

    # --- sack -------------------------------------------------------------------------------------

    def _versionlocks(self):
        try:
            with open(VERSIONLOCK_LIST, encoding="utf-8") as handle:
                locked, excluded = versionlock_patterns(handle.read())
        except OSError:
            return []
        return locked + excluded

    def _open(self):
        if self.base is not None:
            return self.base
        base = self.dnf.Base()
        conf = base.conf
        conf.read()
        conf.substitutions.update_from_etc(conf.installroot)
        conf.assumeyes = True
        base.read_all_repos()
        for repo in base.repos.iter_enabled():
            # An unreadable repository is an error, not a warning: nothing is changed with half the metadata.
            repo.skip_if_unavailable = False
        try:
            base.fill_sack(load_system_repo=True, load_available_repos=True)
        except self.dnf.exceptions.Error as exc:
            base.close()
            raise PackagesError(f"dnf could not load the repositories (nothing was changed): {exc}") from None
        self.base = base
        return base

    def close(self):
        if self.base is not None:
            self.base.close()
            self.base = None

    def refresh(self):
        """Metadata is refreshed when dnf considers it expired (metadata_expire), as dnf makecache and
        ansible.builtin.dnf's update_cache do; forcing a download of every repository each run costs seconds."""
        self.refresh_metadata = True

    # --- queries ----------------------------------------------------------------------------------

    def installed(self):
        return rpm_installed(self.module)

    def held(self):
        return set()  # versionlocked names are matched by pattern in updates()

    def broken(self):
        return set()

    def _advisories(self, base):
        """{name: [(evr, advisory)]} for the advisories newer than the installed packages."""
        query = base.sack.query().installed().latest(1)
        found = {}
        for apkg in query.get_advisory_pkgs(self.hawkey.GT):
            advisory = apkg.get_advisory(base.sack)
            if advisory is not None:
                found.setdefault(apkg.name, []).append((apkg.evr, advisory))
        return found

    def updates(self, installed):
        base = self._open()
        by_name = self._advisories(base)
        entries = []
        for pkg in base.sack.query().upgrades().latest():
            current = installed.get(pkg.name)
            if current is None:
                continue
            ids, severities, security = [], [], False
            for evr, advisory in by_name.get(pkg.name, []):
                if base.sack.evr_cmp(evr, pkg.evr) > 0:
                    continue  # fixed only by an even newer version than the candidate
                security = security or advisory.type == self.hawkey.ADVISORY_SECURITY
                ids.append(advisory.id)
                ids.extend(ref.id for ref in advisory.references if ref.type == self.hawkey.REFERENCE_CVE)
                severities.append(advisory.severity)
            held = any(fnmatch.fnmatchcase(pkg.name, p) for p in self.locked_names)
            entries.append(
                update(
                    pkg.name,
                    current,
                    pkg.evr,
                    advisories=ids,
                    severity=highest_severity(severities),
                    security=security,
                    held=held,
                    source=pkg.reponame,
                    reboot=needs_reboot(pkg.name, [str(p) for p in pkg.provides]),
                )
            )
        return entries

    def missing(self, versions):
        base = self._open()
        gone = []
        for name, version in sorted(versions.items()):
            if version is None:
                continue
            if not base.sack.query().filter(name=name, evr=version):
                gone.append((name, version))
        return gone

    # --- transactions -----------------------------------------------------------------------------

    def _mark(self, versions):
        base = self._open()
        installed = {p.name: p for p in base.sack.query().installed()}
        for name, version in sorted(versions.items()):
            if version is None:
                if name in installed:
                    base.remove(name)
                continue
            pkgs = base.sack.query().available().filter(name=name, evr=version).latest()
            if not pkgs:
                raise PackagesError(f"{name} {version} is not available from any enabled repository")
            pkg = pkgs[0]
            old = installed.get(name)
            if old is None:
                base.package_install(pkg, strict=True)
            elif base.sack.evr_cmp(pkg.evr, old.evr) > 0:
                base.package_upgrade(pkg)
            elif base.sack.evr_cmp(pkg.evr, old.evr) < 0:
                base.package_downgrade(pkg, strict=True)
        try:
            base.resolve(allow_erasing=False)
        except self.dnf.exceptions.DepsolveError as exc:
            raise PackagesError(f"dnf cannot resolve the change (nothing was changed): {exc}") from None
        return base

    def simulate(self, targets):
        base = self._mark(targets)
        installed = {p.name: p.evr for p in base.sack.query().installed()}
        plan = {pkg.name: (installed.get(pkg.name), pkg.evr) for pkg in base.transaction.install_set}
        for pkg in base.transaction.remove_set:
            if pkg.name not in plan:
                plan[pkg.name] = (pkg.evr, None)
        self.close()
        return plan

    def _run_transaction(self, versions):
        base = self._mark(versions)
        try:
            if base.transaction:
                base.download_packages(list(base.transaction.install_set))
                base.do_transaction()
        except self.dnf.exceptions.DownloadError as exc:
            raise PackagesError(f"dnf could not download the packages (nothing was changed): {exc}") from None
        except self.dnf.exceptions.Error as exc:
            raise PackagesError(f"dnf transaction failed: {exc}") from None
        finally:
            last = base.history.last()
            self.last_transaction = last.tid if last is not None else None
            self.close()

    def apply(self, targets):
        self._run_transaction(targets)

    def transaction(self):
        return self.last_transaction

    def restore(self, versions, data=None):
        """Undo the recorded transaction when possible, else install the recorded versions."""
        tid = (data or {}).get("transaction")
        if tid:
            rc, out, err = self.module.run_command(
                ["dnf", "-y", "-q", "--setopt=skip_if_unavailable=False", "history", "undo", str(int(tid))],
                environ_update={"LANG": "C", "LC_ALL": "C"},
            )
            if rc == 0 and self._matches(versions):
                return
        self._run_transaction(versions)

    def _matches(self, versions):
        installed = self.installed()
        return all(installed.get(n) == v for n, v in versions.items())

    def reboot_state(self):
        """needs-restarting -r (exit 1: reboot needed) when installed, or this module's own marker."""
        marked, names = reboot.marker_state()
        tool = shutil.which("needs-restarting")
        if tool:
            rc, _out, _err = self.module.run_command([tool, "-r"])
            if rc == 1:
                return True, names
        return marked, names


def rpm_installed(module):
    """{name: version-release} of every installed rpm (dnf and zypper hosts)."""
    rc, out, err = module.run_command(["rpm", "-qa", "--qf", parsers.RPM_QUERY_FORMAT])
    if rc != 0:
        raise PackagesError(f"rpm -qa failed (rc {rc}): {err.strip()}")
    return parsers.rpm_query(out)


def rpm_reboot_names(module, names):
    """Which of ``names`` (just changed, rpm-installed) ask for a reboot: by name, or by their installhint provide."""
    if not names:
        return []
    _rc, out, _err = module.run_command(["rpm", "-q", "--qf", "[%{NAME}\\t%{PROVIDENAME}\\n]", *sorted(names)])
    provides = {}
    for line in out.splitlines():
        name, _sep, provide = line.partition("\t")
        provides.setdefault(name, []).append(provide)
    return [n for n in sorted(names) if needs_reboot(n, provides.get(n, []))]


def rpm_problems(module):
    """rpm database problems (``error: rpmdb: ...``, a database rpm cannot open) that make any plan untrustworthy."""
    rc, _out, err = module.run_command(["rpm", "-qa", "--qf", "%{NAME}\\n"], environ_update={"LC_ALL": "C"})
    # Only errors: rpm prints harmless warnings (an index being regenerated, a database format note).
    errors = [line.strip() for line in err.splitlines() if line.strip().lower().startswith("error:")]
    if rc != 0 or errors:
        return [f"rpm database problem (rpm -qa rc {rc}): {' / '.join(errors[:6]) or 'no output'}"]
    return []


def rpm_repair(module):
    rc, out, err = module.run_command(["rpm", "--rebuilddb"], environ_update={"LC_ALL": "C"})
    if rc != 0:
        raise PackagesError(f"rpm --rebuilddb (repair) failed (rc {rc}): {(err or out).strip() or 'no output'}")
    return ["rpm --rebuilddb"]


def rpm_files(module, names):
    """{name: [files]} of installed rpms (for the service units an update only needs restarted)."""
    if not names:
        return {}
    _rc, out, _err = module.run_command(["rpm", "-q", "--qf", "[%{NAME}\\t%{FILENAMES}\\n]", *sorted(names)])
    found = {}
    for line in out.splitlines():
        name, _sep, path = line.partition("\t")
        if path:
            found.setdefault(name, []).append(path)
    return found

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""``state: downloaded``: fetch exactly the set ``state: patched`` would install into the package manager's own
cache, install nothing, so that a later ``patched`` run (inside a maintenance window) installs from the cache.

Per backend: apt (``apt-get install --download-only``; what is still missing from /var/cache/apt/archives is what
``--print-uris`` lists), dnf (dnf's ``download_packages`` into its repository caches, which dnf's own install then
uses after verifying the checksum) and zypper (``zypper install --download-only`` into /var/cache/zypp/packages).
The result is a change record with no ``changes`` (nothing was installed) and a ``downloaded`` list.
"""

from __future__ import annotations

import glob
import os
import re
from urllib.parse import unquote

from ansible_collections.everylayer.patch.plugins.module_utils import _change
from ansible_collections.everylayer.patch.plugins.module_utils._packages import common
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError

# apt-get --print-uris: 'URI' FILENAME SIZE HASH
_PRINT_URI_RE = re.compile(r"^'(?P<uri>[^']+)'\s+(?P<file>\S+)\s+(?P<size>\d+)")
ZYPP_PACKAGES = "/var/cache/zypp/packages"


class AptDownloads:
    def __init__(self, backend):
        self.backend = backend

    def missing_files(self, targets):
        """{package name: (file name, size)} that apt would still download to install ``targets``."""
        out = self.backend._run(
            [
                "apt-get",
                "-q",
                "-y",
                "-o",
                "Debug::NoLocking=1",
                "--print-uris",
                "install",
                "--allow-downgrades",
                *_apt_args(targets),
            ],
            "apt-get install --print-uris",
        )
        found = {}
        for line in out.splitlines():
            match = _PRINT_URI_RE.match(line.strip())
            if match:
                name = unquote(match.group("file")).split("_", 1)[0]
                found[name] = (match.group("file"), int(match.group("size")))
        return found

    def plan(self, targets):
        """[(name, version, fetch, size)] for every package installing ``targets`` needs (dependencies included)."""
        wanted = {n: a for n, (_b, a) in self.backend.simulate(targets).items() if a is not None}
        missing = self.missing_files(targets)
        return [(n, v, n in missing, missing.get(n, ("", 0))[1]) for n, v in sorted(wanted.items())]

    def fetch(self, targets):
        self.backend._run(
            self.backend._apt_get("install", "-y", "--download-only", "--allow-downgrades", *_apt_args(targets)),
            "apt-get install --download-only",
        )
        return sorted(self.missing_files(targets))


class DnfDownloads:
    def __init__(self, backend):
        self.backend = backend

    def _packages(self, targets):
        base = self.backend._mark(targets)
        return base, sorted(base.transaction.install_set, key=lambda p: p.name) if base.transaction else []

    @staticmethod
    def _cached(pkg):
        # A package of a local (file://) repository is read in place: dnf never copies it.
        return pkg._is_local_pkg() or (os.path.exists(pkg.localPkg()) and pkg.verifyLocalPkg())

    def plan(self, targets):
        try:
            _base, pkgs = self._packages(targets)
            return [(p.name, p.evr, not self._cached(p), 0 if self._cached(p) else int(p.downloadsize)) for p in pkgs]
        finally:
            self.backend.close()

    def fetch(self, targets):
        try:
            base, pkgs = self._packages(targets)
            todo = [p for p in pkgs if not self._cached(p)]
            if todo:
                base.download_packages(todo)
            return sorted(p.name for p in pkgs if not self._cached(p))
        except self.backend.dnf.exceptions.DownloadError as exc:
            raise PackagesError(f"dnf could not download the packages (nothing was installed): {exc}") from None
        finally:
            self.backend.close()


class ZypperDownloads:
    def __init__(self, backend):
        self.backend = backend

    @staticmethod
    def _cached(name, version):
        # zypper's cache keeps the repository layout: packages/<alias>/<dir>/<name>-<version>.<arch>.rpm
        file_version = version.split(":", 1)[1] if ":" in version else version
        pattern = os.path.join(
            glob.escape(ZYPP_PACKAGES), "**", f"{glob.escape(name)}-{glob.escape(file_version)}.*.rpm"
        )
        return bool(glob.glob(pattern, recursive=True))

    def plan(self, targets):
        wanted = {n: a for n, (_b, a) in self.backend.simulate(targets).items() if a is not None}
        return [(n, v, not self._cached(n, v), 0) for n, v in sorted(wanted.items())]

    def fetch(self, targets):
        keep, _drop = self.backend._install_args(targets)
        if keep:
            self.backend._zypper(
                ["install", "--download-only", "--oldpackage", *keep], "zypper install --download-only", xml=False
            )
        return [n for n, v, fetch, _size in self.plan(targets) if fetch]


DOWNLOADERS = {"apt": AptDownloads, "dnf": DnfDownloads, "zypper": ZypperDownloads}


def _apt_args(targets):
    # Removals cost no download: only NAME=VERSION of what gets installed.
    return [f"{name}={version}" for name, version in sorted(targets.items()) if version is not None]


def _select(runner, installed):
    """(targets, pending) exactly as ``state: patched`` selects them (manifest or filters)."""
    backend, params = runner.backend, runner.params
    entries = backend.updates(installed)
    runner.updates = {e["name"]: e for e in entries}
    manifest = params.get("manifest")
    if manifest is not None:
        held = backend.held() | {e["name"] for e in entries if e["held"]}
        targets = common.manifest_targets(manifest, installed, held, params.get("exclude") or ())
        left_out = [
            (e, "not in the manifest at this version") for e in entries if manifest.get(e["name"]) != e["candidate"]
        ]
        gone = backend.missing(targets)
        if gone:
            raise PackagesError(
                "manifest: no repository offers " + ", ".join(f"{n} {v}" for n, v in gone) + " (nothing was downloaded)"
            )
    else:
        targets, left_out = common.select(entries, params)
    reasons = {e["name"]: reason for e, reason in left_out}
    pending = []
    for entry in sorted(entries, key=lambda e: e["name"]):
        reason = reasons.get(entry["name"])
        pending.append(runner._pending_entry(entry, reason or "downloaded, not installed"))
    return targets, pending


def _mib(size):
    return f"{size / 1048576:.1f} MiB"


def downloaded(runner):
    """The ``downloaded`` state: the change record has no changes; ``downloaded`` lists the set in the cache."""
    backend = runner.backend
    downloader = DOWNLOADERS[backend.name](backend)
    installed = runner._prepare(wait_for_locks=True)
    targets, pending = _select(runner, installed)
    nothing = _change.rollback("none")
    if not targets:
        return runner._result(
            f"nothing to download ({len(pending)} pending update(s) left out)", [], pending, nothing, downloaded=[]
        )
    plan = downloader.plan(targets)
    to_fetch = [p for p in plan if p[2]]
    size = sum(p[3] for p in to_fetch)
    listed = [{"name": n, "version": v, "fetched": fetch} for n, v, fetch, _s in plan]
    if runner.check_mode or not to_fetch:
        verb = "would download" if to_fetch else "already in the cache:"
        count = len(to_fetch) if to_fetch else len(plan)
        msg = f"{verb} {count} package(s)" + (f" ({_mib(size)})" if size else "") + "; nothing installed"
        result = runner._result(msg, [], pending, nothing, downloaded=listed, download_bytes=size)
        result["changed"] = bool(to_fetch)
        return result
    still = downloader.fetch(targets)
    if still:
        result = runner._result("download incomplete", [], pending, nothing, downloaded=listed, download_bytes=size)
        raise PackagesError(
            f"download incomplete: {', '.join(still)} still not in the {backend.name} cache after the download "
            "(nothing was installed)",
            result,
        )
    msg = f"downloaded {len(to_fetch)} package(s) ({_mib(size)}), {len(plan) - len(to_fetch)} already cached; nothing installed"
    result = runner._result(msg, [], pending, nothing, downloaded=listed, download_bytes=size)
    result["changed"] = True
    return result

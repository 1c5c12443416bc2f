"""One real-archive host: an overlay over the cached release tree (and, for the kernel variant, the cached kernel
layer), given the machine's -updates/-security sources, reached by Ansible's local connection through an
interpreter that runs ``chroot ROOT /usr/bin/python3`` (pipelining: the module arrives on stdin)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lab import aptsources
from lab.realdeb import tree
from lab.system import run, umount

APT_CONF = "etc/apt/apt.conf.d/90everylayer-realdeb"


class RealDebHost:
    """``with RealDebHost(workdir, kernel=False) as host:`` -- mounted, sources set, torn down on exit."""

    def __init__(self, workdir: Path, kernel: bool = False, name: str = "realdeb", say=print, seed: bool = True):
        self.seed = seed  # False: an empty apt archive cache (what a host that never pre-staged has)
        self.workdir = Path(workdir)
        self.kernel = kernel
        self.name = name
        self.say = say
        self.root = self.workdir / "root"
        self.mounts = None

    # --- lifecycle --------------------------------------------------------------------------------

    def __enter__(self):
        base, mirror = tree.ensure_base(self.say)
        lower = str(base)
        if self.kernel:
            lower = f"{tree.ensure_kernel_layer(base, mirror, self.say)}:{base}"
        upper, work = self.workdir / "upper", self.workdir / "work"
        for d in (upper, work, self.root):
            d.mkdir(parents=True, exist_ok=True)
        run(
            [
                "mount",
                "-t",
                "overlay",
                "overlay",
                "-o",
                f"lowerdir={lower},upperdir={upper},workdir={work}",
                str(self.root),
            ]
        )
        try:
            self.mounts = tree.system_mounts(self.root).__enter__()
            sources = tree.update_sources(aptsources.read_sources(), mirror.suite)
            (self.root / "etc/apt/sources.list").write_text(sources)
            if self.seed:
                tree.seed_debs(self.root, tree.cache_root() / "debs")
            self.set_changelog_uri(None)
            self.apt("update")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        try:
            if (self.root / "var/cache/apt/archives").is_dir():
                tree.harvest_debs(self.root, tree.cache_root() / "debs")
        finally:
            if self.mounts is not None:
                self.mounts.__exit__(None, None, None)
                self.mounts = None
            umount(self.root)
            shutil.rmtree(self.workdir / "work", ignore_errors=True)
            shutil.rmtree(self.workdir / "upper", ignore_errors=True)

    # --- inside the chroot --------------------------------------------------------------------------

    def sh(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(tree.ENV, LC_ALL="C")
        return run(["chroot", str(self.root), *argv], check=check, env=env)

    def apt(self, *args: str) -> str:
        return self.sh("apt-get", "-q", *args).stdout

    def set_changelog_uri(self, url: str | None, timeout: int = 10) -> None:
        """Point apt's changelog download for Debian packages at ``url`` (None: apt's default server)."""
        lines = [f'Acquire::http::Timeout "{timeout}";\n']
        if url:
            lines.append(f'Acquire::Changelogs::URI::Override::Origin::Debian "{url}";\n')
        (self.root / APT_CONF).write_text("".join(lines))

    def dpkg_list(self) -> dict[str, str]:
        """{package: version} of what dpkg has installed (status ii/hi/...), read with dpkg-query."""
        out = self.sh("dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n").stdout
        found = {}
        for line in out.splitlines():
            name, version, status = (line.split("\t") + ["", ""])[:3]
            if status[1:2] in ("i", "F", "U", "H", "h") or status.startswith(("ii", "hi")):
                found[name] = version
        return found

    def dpkg_status(self) -> str:
        return self.sh("dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\n").stdout

    def upgradable(self) -> dict[str, tuple[str, str]]:
        """{package: (candidate, suites)} from ``apt list --upgradable`` (apt's own answer)."""
        out = self.sh("apt", "list", "--upgradable").stdout
        found = {}
        for line in out.splitlines():
            if "/" not in line or "[upgradable from" not in line:
                continue
            name, _, rest = line.partition("/")
            words = rest.split()
            found[name] = (words[1], words[0])
        return found

    def interpreter(self) -> Path:
        """A script Ansible can use as ``ansible_python_interpreter``: the chroot's own python3."""
        path = self.workdir / "python-in-chroot"
        path.write_text(f'#!/bin/sh\nexec chroot {self.root} /usr/bin/python3 "$@"\n')
        path.chmod(0o700)
        return path

    def inventory(self) -> Path:
        path = self.workdir / "inventory.yml"
        path.write_text(
            "all:\n  hosts:\n"
            f"    {self.name}:\n"
            "      ansible_connection: local\n"
            "      ansible_pipelining: true\n"
            f"      ansible_python_interpreter: {self.interpreter()}\n"
        )
        os.chmod(path, 0o600)
        return path

    def debs(self, names: list[str] | None = None) -> list[Path]:
        archive = self.root / "var/cache/apt/archives"
        found = sorted(archive.glob("*.deb"))
        if names is not None:
            found = [d for d in found if d.name.split("_", 1)[0] in names]
        return found

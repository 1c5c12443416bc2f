"""Build the lab's .debs (dpkg-deb) and apt archive metadata (apt-ftparchive)."""

from __future__ import annotations

import calendar
import os
import shutil
import subprocess
from pathlib import Path

from . import payload
from .manifest import Manifest, Package, Version

SUITES = ("lab", "lab-updates", "lab-security")
ORIGIN = "Everylayer"
LABELS = {"lab": "Everylayer", "lab-updates": "Everylayer", "lab-security": "Everylayer-Security"}
COMPONENT = "main"


def host_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()


def control(manifest: Manifest, pkg: Package, ver: Version, installed_kb: int) -> str:
    lines = [
        f"Package: {pkg.name}",
        f"Version: {ver.version}",
        "Architecture: all",
        f"Maintainer: {manifest.maintainer}",
        f"Installed-Size: {installed_kb}",
    ]
    if ver.depends:
        lines.append("Depends: " + ", ".join(d.deb() for d in ver.depends))
    lines += [
        f"Section: {pkg.section}",
        "Priority: optional",
        f"Description: {pkg.summary}",
        " Everylayer lab test package (deterministic payload, no real software).",
    ]
    return "\n".join(lines) + "\n"


def postinst(pkg: Package, ver: Version) -> str:
    return (
        "#!/bin/sh\nset -e\n"
        + payload.fail_check(pkg, ver)
        + 'if [ "$1" = configure ]; then\n'
        + "".join("    " + line + "\n" for line in payload.reboot_lines(pkg).splitlines())
        + "    :\nfi\nexit 0\n"
    )


def changelog_path(pkg: Package, ver: Version) -> str:
    """apt's @CHANGEPATH@ for this version (component/prefix/source/source_version)."""
    return f"{COMPONENT}/{pkg.name[0]}/{pkg.name}/{pkg.name}_{ver.version}"


def build_deb(manifest: Manifest, pkg: Package, ver: Version, archive: Path, work: Path) -> Path:
    """Build one .deb into archive/pool/<suite>/ and its changelog into archive/changelogs/."""
    first = ver is pkg.versions[0]
    suite = payload.suite_of(ver, first)
    root = work / f"deb-{pkg.name}-{ver.version}"
    files = payload.write_tree(manifest, pkg, ver, root)
    changelog = payload.debian_changelog(manifest, pkg, ver)
    doc = root / "usr/share/doc" / pkg.name / "changelog.Debian.gz"
    doc.write_bytes(payload.gzip_bytes(changelog))
    doc.chmod(0o644)
    size_kb = sum((root / f.lstrip("/")).stat().st_size for f in files) // 1024 + 1
    debian = root / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(control(manifest, pkg, ver, size_kb))
    (debian / "conffiles").write_text(f"/etc/lab/{pkg.name}.conf\n")
    script = debian / "postinst"
    script.write_text(postinst(pkg, ver))
    script.chmod(0o755)
    out_dir = archive / "pool" / suite / pkg.name
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{pkg.name}_{ver.version}_all.deb"
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(calendar.timegm(ver.date.timetuple())))
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "-b", str(root), str(out)],
        check=True,
        capture_output=True,
        env=env,
    )
    clog = archive / "changelogs" / f"{changelog_path(pkg, ver)}_changelog"
    clog.parent.mkdir(parents=True, exist_ok=True)
    clog.write_text(changelog)
    shutil.rmtree(root)
    return out


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def index(archive: Path, arch: str | None = None) -> None:
    """(Re)generate dists/<suite>/ Packages and Release for every suite (atomic per file)."""
    import gzip

    arch = arch or host_arch()
    for suite in SUITES:
        pool = archive / "pool" / suite
        pool.mkdir(parents=True, exist_ok=True)
        packages = subprocess.run(
            ["apt-ftparchive", "packages", f"pool/{suite}"], cwd=archive, check=True, capture_output=True
        ).stdout
        bindir = archive / "dists" / suite / COMPONENT / f"binary-{arch}"
        bindir.mkdir(parents=True, exist_ok=True)
        _atomic_write(bindir / "Packages", packages)
        _atomic_write(bindir / "Packages.gz", gzip.compress(packages, mtime=0))
        options = {
            "Origin": ORIGIN,
            "Label": LABELS[suite],
            "Suite": suite,
            "Codename": suite,
            "Architectures": arch,
            "Components": COMPONENT,
            "Description": f"Everylayer lab {suite}",
        }
        argv = ["apt-ftparchive"]
        for key, value in options.items():
            argv += ["-o", f"APT::FTPArchive::Release::{key}={value}"]
        distdir = archive / "dists" / suite
        (distdir / "Release").unlink(missing_ok=True)
        release = subprocess.run(argv + ["release", "."], cwd=distdir, check=True, capture_output=True).stdout
        _atomic_write(distdir / "Release", release)

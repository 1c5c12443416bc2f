"""Build the lab's noarch .rpms (rpmbuild) and the rpm-md repository (createrepo_c + updateinfo)."""

from __future__ import annotations

import calendar
import os
import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from . import payload
from .manifest import Manifest, Package, Version

REBOOT_PROVIDE = "installhint(reboot-needed)"  # libzypp creates /run/reboot-needed for such packages


def rpm_filename(pkg: Package, ver: Version) -> str:
    return f"{pkg.name}-{ver.upstream}-{ver.release}.noarch.rpm"


def spec(manifest: Manifest, pkg: Package, ver: Version, files: list[str], tree: Path) -> str:
    lines = [
        f"Name: {pkg.name}",
        f"Version: {ver.upstream}",
        f"Release: {ver.release}",
        f"Summary: {pkg.summary}",
        "License: GPL-3.0-or-later",
        "BuildArch: noarch",
        "Vendor: Everylayer Lab",
        f"Packager: {manifest.maintainer}",
        "AutoReqProv: no",
    ]
    lines += [f"Requires: {dep.rpm()}" for dep in ver.depends]
    if pkg.reboot:
        lines.append(f"Provides: {REBOOT_PROVIDE}")
    lines += [
        "",
        "%description",
        f"{pkg.summary}. Everylayer lab test package (deterministic payload, no real software).",
        "",
        "%install",
        f"cp -a {tree}/. %{{buildroot}}/",
        "",
        "%pre",
        payload.fail_check(pkg, ver).rstrip("\n"),
        "exit 0",
    ]
    if pkg.reboot:
        lines += ["", "%posttrans", payload.reboot_lines(pkg).rstrip("\n"), "exit 0"]
    lines += ["", "%files"]
    for path in files:
        if path.startswith("/etc/"):
            lines.append(f"%config(noreplace) {path}")
        elif path.startswith("/usr/share/doc/"):
            lines.append(f"%doc {path}")
        else:
            lines.append(path)
    lines += [f"%dir /usr/share/lab/{pkg.name}", "", "%changelog", payload.rpm_changelog(manifest, pkg, ver)]
    return "\n".join(lines)


def build_rpm(manifest: Manifest, pkg: Package, ver: Version, repo: Path, work: Path) -> Path:
    """rpmbuild one package version into repo/Packages/."""
    top = work / f"rpm-{pkg.name}-{ver.version}"
    tree = top / "tree"
    files = payload.write_tree(manifest, pkg, ver, tree)
    spec_path = top / f"{pkg.name}.spec"
    spec_path.write_text(spec(manifest, pkg, ver, files, tree))
    out_dir = repo / "Packages"
    out_dir.mkdir(parents=True, exist_ok=True)
    defines = {
        "_topdir": str(top),
        "_rpmdir": str(out_dir),
        "_build_name_fmt": "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm",
        "_binary_payload": "w1.gzdio",
        "__os_install_post": "%{nil}",
        "_build_id_links": "none",
        "debug_package": "%{nil}",
        "use_source_date_epoch_as_buildtime": "1",
        "clamp_mtime_to_source_date_epoch": "1",
        "_buildhost": "lab.everylayer.invalid",
    }
    argv = ["rpmbuild", "-bb", "--quiet", "--nodeps"]
    for key, value in defines.items():
        argv += ["--define", f"{key} {value}"]
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(calendar.timegm(ver.date.timetuple())))
    proc = subprocess.run(argv + [str(spec_path)], check=False, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"rpmbuild {pkg.name} {ver.version} failed:\n{proc.stderr}")
    shutil.rmtree(top)
    return out_dir / rpm_filename(pkg, ver)


RELEASE_SPEC = """Name: lab-release
Version: 9.4
Release: 1
Summary: Everylayer lab EL-like release package (rpm side of a Debian-built host)
License: GPL-3.0-or-later
BuildArch: noarch
AutoReqProv: no
Provides: system-release
Provides: system-release(releasever) = 9
Provides: /bin/sh
Provides: /bin/bash
Provides: /usr/bin/sh

%description
The lab's rpm hosts are Debian trees whose shells belong to dpkg; this package tells rpm that
/bin/sh exists (scriptlets need it) and which release dnf's $releasever is.

%files
"""


def build_release_rpm(repo: Path, work: Path) -> Path:
    """lab-release: installed first on rpm hosts (provides /bin/sh and system-release(releasever))."""
    top = work / "rpm-lab-release"
    top.mkdir(parents=True)
    spec_path = top / "lab-release.spec"
    spec_path.write_text(RELEASE_SPEC)
    out_dir = repo / "Packages"
    out_dir.mkdir(parents=True, exist_ok=True)
    argv = ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", "--define", f"_rpmdir {out_dir}"]
    argv += ["--define", "_build_name_fmt %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm"]
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
    proc = subprocess.run(argv + [str(spec_path)], check=False, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"rpmbuild lab-release failed:\n{proc.stderr}")
    shutil.rmtree(top)
    return out_dir / "lab-release-9.4-1.noarch.rpm"


def updateinfo(manifest: Manifest, extra: list[tuple[Package, Version]] = ()) -> str:
    """updateinfo.xml: one advisory per update (every version after a package's first)."""
    items = [(pkg, ver) for pkg in manifest.packages for ver in pkg.versions[1:]] + list(extra)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<updates>"]
    for pkg, ver in items:
        date = str(calendar.timegm(ver.date.timetuple()))  # epoch seconds: libsolv (dnf, zypper) reads both forms
        kind = ver.type or "bugfix"
        severity = ver.severity or "None"
        title = f"{severity}: {pkg.name} {kind} update" if ver.severity else f"{pkg.name} {kind} update"
        out += [
            f'  <update from="lab@everylayer.invalid" status="stable" type="{kind}" version="2.0">',
            f"    <id>{escape(ver.advisory or '')}</id>",
            f"    <title>{escape(title)}</title>",
            f'    <issued date="{date}"/>',
            f'    <updated date="{date}"/>',
            f"    <severity>{severity}</severity>",
            "    <release>Everylayer Lab</release>",
            f"    <description>{escape(' '.join(payload.changes_text(ver)))}</description>",
            "    <references>",
        ]
        for cve in ver.cves:
            href = quoteattr(f"https://www.cve.org/CVERecord?id={cve}")
            out.append(f'      <reference href={href} id="{cve}" type="cve" title="{cve}"/>')
        out += [
            "    </references>",
            "    <pkglist>",
            '      <collection short="everylayer-lab">',
            "        <name>Everylayer Lab</name>",
            f'        <package name="{pkg.name}" version="{ver.upstream}" release="{ver.release}" epoch="0" '
            f'arch="noarch" src="{pkg.name}-{ver.upstream}-{ver.release}.src.rpm">',
            f"          <filename>{rpm_filename(pkg, ver)}</filename>",
        ]
        if pkg.reboot:
            out.append("          <reboot_suggested>True</reboot_suggested>")
        out += ["        </package>", "      </collection>", "    </pkglist>", "  </update>"]
    out.append("</updates>")
    return "\n".join(out) + "\n"


def index(repo: Path, updateinfo_xml: str, work: Path) -> None:
    """(Re)generate repodata/ (createrepo_c writes it atomically) and add updateinfo (modifyrepo_c)."""
    subprocess.run(
        ["createrepo_c", "--quiet", "--no-database", "--workers", "2", str(repo)],
        check=True,
        capture_output=True,
    )
    info = work / "updateinfo.xml"
    info.write_text(updateinfo_xml)
    subprocess.run(
        ["modifyrepo_c", "--mdtype", "updateinfo", str(info), str(repo / "repodata")],
        check=True,
        capture_output=True,
    )

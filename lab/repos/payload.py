"""The files every lab package version installs (shared by the .deb and .rpm builders)."""

from __future__ import annotations

import datetime as _dt
import gzip
import random
from pathlib import Path

from .manifest import Manifest, Package, Version

FAIL_DIR = "/etc/everylayer-lab/fail-scripts"
REBOOT_FILE = "/var/run/reboot-required"
URGENCY = {"Critical": "critical", "Important": "high", "Moderate": "medium", "Low": "low"}


def suite_of(ver: Version, first: bool) -> str:
    """The apt suite a version is published in."""
    if first:
        return "lab"
    return "lab-security" if ver.type == "security" else "lab-updates"


def payload_bytes(pkg: Package, ver: Version) -> bytes:
    """Deterministic, incompressible payload (same bytes on every build and machine)."""
    return random.Random(f"{pkg.name}={ver.version}").randbytes(ver.size)  # noqa: S311 (test data)


def fail_check(pkg: Package, ver: Version) -> str:
    """Shell lines that make a maintainer script fail (marker file, or always for script_fails).

    The marker's first line says which versions fail: ``all``, or ``upgrade`` for every version but the
    package's first (so a broken update can still be rolled back to the baseline).
    """
    marker = f"{FAIL_DIR}/{pkg.name}"
    modes = "-e all" if ver is pkg.versions[0] else "-e all -e upgrade"
    lines = [
        f'if [ -e "{marker}" ] && grep -qx {modes} "{marker}"; then',
        f'    echo "{pkg.name} {ver.version}: failing on purpose ({marker} exists)" >&2',
        "    exit 1",
        "fi",
    ]
    if ver.script_fails:
        lines += [f'echo "{pkg.name} {ver.version}: this maintainer script always fails (lab fault)" >&2', "exit 1"]
    return "\n".join(lines) + "\n"


def reboot_lines(pkg: Package) -> str:
    """Shell lines that flag a needed reboot the Debian way (update-notifier-common style)."""
    if not pkg.reboot:
        return ""
    return (
        "mkdir -p /var/run\n"
        f'echo "*** System restart required ***" > {REBOOT_FILE}\n'
        f'grep -qx "{pkg.name}" {REBOOT_FILE}.pkgs 2>/dev/null || echo "{pkg.name}" >> {REBOOT_FILE}.pkgs\n'
    )


def changes_text(ver: Version) -> list[str]:
    lines = list(ver.changes)
    if ver.type == "security":
        lines = [f"{line.rstrip('.')} ({', '.join(ver.cves)})." if i == 0 else line for i, line in enumerate(lines)]
        lines.insert(0, f"Security update ({ver.advisory}, severity {ver.severity}).")
    elif ver.advisory:
        lines.insert(0, f"{ver.type.capitalize()} update ({ver.advisory}).")
    return lines


def debian_changelog(manifest: Manifest, pkg: Package, upto: Version) -> str:
    """Debian changelog with every version up to `upto`, newest first."""
    entries = []
    for i, ver in enumerate(pkg.versions):
        entries.append((i, ver))
        if ver is upto:
            break
    out = []
    for i, ver in reversed(entries):
        urgency = URGENCY.get(ver.severity or "", "medium")
        when = _dt.datetime.combine(ver.date, _dt.time(10, 0)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        out.append(f"{pkg.name} ({ver.version}) {suite_of(ver, i == 0)}; urgency={urgency}\n\n")
        out.extend(f"  * {line}\n" for line in changes_text(ver))
        out.append(f"\n -- {manifest.maintainer}  {when}\n\n")
    return "".join(out)


def rpm_changelog(manifest: Manifest, pkg: Package, upto: Version) -> str:
    out = []
    for ver in reversed(pkg.versions[: pkg.versions.index(upto) + 1]):
        out.append(f"* {ver.date.strftime('%a %b %d %Y')} {manifest.maintainer} - {ver.version}\n")
        out.extend(f"- {line.replace('%', '%%')}\n" for line in changes_text(ver))
        out.append("\n")
    return "".join(out)


def write_tree(manifest: Manifest, pkg: Package, ver: Version, root: Path) -> list[str]:
    """Write the package's files under root; return their absolute paths (for rpm %files)."""
    files = {
        f"/usr/bin/{pkg.name}": f'#!/bin/sh\necho "{pkg.name} {ver.version}"\n'.encode(),
        f"/usr/share/lab/{pkg.name}/VERSION": f"{ver.version}\n".encode(),
        f"/usr/share/lab/{pkg.name}/payload.bin": payload_bytes(pkg, ver),
        f"/usr/share/doc/{pkg.name}/copyright": b"Everylayer lab test package. GPL-3.0-or-later.\n",
        f"/etc/lab/{pkg.name}.conf": f"# {pkg.name} configuration (lab)\nenabled = true\n".encode(),
    }
    for path, data in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o755 if path.startswith("/usr/bin/") else 0o644)
    return sorted(files)


def gzip_bytes(text: str) -> bytes:
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)

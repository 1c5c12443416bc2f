"""Parse and validate lab/repos/manifest.yml (format documented in docs/lab-repos.md)."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MANIFEST_PATH = Path(__file__).with_name("manifest.yml")

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]{1,40}$")
VERSION_RE = re.compile(r"^(\d+(?:\.\d+)*)-(\d+)$")
ADVISORY_RE = re.compile(r"^[A-Z]{2,8}-\d{4}:\d{4,5}$")
CVE_RE = re.compile(r"^CVE-\d{4}-\d{4,7}$")
DEP_RE = re.compile(r"^([a-z0-9][a-z0-9+.-]+)(?:\s*(>=|<=|=|<<|>>)\s*(\d+(?:\.\d+)*(?:-\d+)?))?$")
SIZE_RE = re.compile(r"^(\d+)([KM]?)$")
TYPES = ("security", "bugfix", "enhancement")
SEVERITIES = ("Critical", "Important", "Moderate", "Low")


class ManifestError(ValueError):
    """A manifest problem; the message starts with the offending field's path."""


@dataclass(frozen=True)
class Dependency:
    name: str
    op: str | None = None
    version: str | None = None

    def deb(self) -> str:
        return f"{self.name} ({self.op} {self.version})" if self.op else self.name

    def rpm(self) -> str:
        op = {"<<": "<", ">>": ">"}.get(self.op or "", self.op)
        return f"{self.name} {op} {self.version}" if self.op else self.name


@dataclass(frozen=True)
class Version:
    version: str  # Debian-style "1.1-1" (upstream-revision); rpm Version=1.1 Release=1
    date: _dt.date
    changes: tuple[str, ...]
    size: int  # payload bytes
    type: str | None = None  # None for the baseline version
    advisory: str | None = None
    severity: str | None = None
    cves: tuple[str, ...] = ()
    depends: tuple[Dependency, ...] = ()
    script_fails: bool = False  # the maintainer script of this version always fails

    @property
    def upstream(self) -> str:
        return self.version.rsplit("-", 1)[0]

    @property
    def release(self) -> str:
        return self.version.rsplit("-", 1)[1]


@dataclass(frozen=True)
class Package:
    name: str
    summary: str
    section: str
    versions: tuple[Version, ...]
    baseline: bool = True  # installed on every host at its first version
    reboot: bool = False  # upgrading it needs a reboot (kernel-like)

    @property
    def baseline_version(self) -> Version:
        return self.versions[0]

    def version(self, version: str) -> Version:
        for ver in self.versions:
            if ver.version == version:
                return ver
        raise KeyError(f"{self.name} has no version {version}")


@dataclass(frozen=True)
class Manifest:
    maintainer: str
    packages: tuple[Package, ...]
    raw: str = field(default="", repr=False, compare=False)

    def package(self, name: str) -> Package:
        for pkg in self.packages:
            if pkg.name == name:
                return pkg
        raise KeyError(f"no package {name!r} in the manifest")


def version_key(version: str) -> tuple[tuple[int, ...], int]:
    """Order key for the manifest's simple versions (digits and dots, then -revision)."""
    match = VERSION_RE.match(version)
    if not match:
        raise ValueError(f"bad version {version!r}")
    return tuple(int(p) for p in match.group(1).split(".")), int(match.group(2))


def parse_size(value: Any, where: str) -> int:
    match = SIZE_RE.match(str(value).strip().upper())
    if not match:
        raise ManifestError(f"{where}: size must look like 4096, 64K or 2M, got {value!r}")
    return int(match.group(1)) * {"": 1, "K": 1024, "M": 1024 * 1024}[match.group(2)]


def _get(data: dict, key: str, where: str, kind: type | tuple, required: bool = True, default: Any = None) -> Any:
    if key not in data or data[key] is None:
        if required:
            raise ManifestError(f"{where}.{key}: required field is missing")
        return default
    value = data[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ManifestError(f"{where}.{key}: expected {names}, got {type(value).__name__}")
    return value


def _check_keys(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ManifestError(f"{where}.{unknown[0]}: unknown field (allowed: {', '.join(sorted(allowed))})")


def _str_list(data: dict, key: str, where: str, pattern: re.Pattern | None = None) -> tuple[str, ...]:
    items = _get(data, key, where, list, required=False, default=[])
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise ManifestError(f"{where}.{key}[{i}]: expected a non-empty string")
        if pattern and not pattern.match(item):
            raise ManifestError(f"{where}.{key}[{i}]: {item!r} does not match {pattern.pattern}")
    return tuple(items)


_VERSION_KEYS = {
    "version",
    "date",
    "changes",
    "size",
    "type",
    "advisory",
    "severity",
    "cves",
    "depends",
    "script_fails",
}
_PACKAGE_KEYS = {"name", "summary", "section", "size", "baseline", "reboot", "versions"}


def _parse_version(data: Any, where: str, default_size: int, first: bool) -> Version:
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected a mapping")
    _check_keys(data, _VERSION_KEYS, where)
    version = str(_get(data, "version", where, (str, float, int)))
    if not VERSION_RE.match(version):
        raise ManifestError(f"{where}.version: {version!r} must look like 1.2-1 (digits and dots, -revision)")
    date = _get(data, "date", where, (_dt.date, str))
    if isinstance(date, str):
        try:
            date = _dt.date.fromisoformat(date)
        except ValueError:
            raise ManifestError(f"{where}.date: {date!r} is not a YYYY-MM-DD date") from None
    changes = _str_list(data, "changes", where)
    if not changes:
        raise ManifestError(f"{where}.changes: at least one change line is required")
    size = parse_size(data["size"], f"{where}.size") if "size" in data else default_size
    kind = _get(data, "type", where, str, required=not first)
    advisory = _get(data, "advisory", where, str, required=not first)
    severity = _get(data, "severity", where, str, required=False)
    cves = _str_list(data, "cves", where, CVE_RE)
    if first and (kind or advisory or cves or severity):
        raise ManifestError(f"{where}: the first (baseline) version takes no type/advisory/severity/cves")
    if kind is not None and kind not in TYPES:
        raise ManifestError(f"{where}.type: {kind!r} is not one of {', '.join(TYPES)}")
    if advisory is not None and not ADVISORY_RE.match(advisory):
        raise ManifestError(f"{where}.advisory: {advisory!r} must look like ELSA-2026:0001")
    if severity is not None and severity not in SEVERITIES:
        raise ManifestError(f"{where}.severity: {severity!r} is not one of {', '.join(SEVERITIES)}")
    if kind == "security" and (not severity or not cves):
        raise ManifestError(f"{where}.{'cves' if severity else 'severity'}: required for a security update")
    if kind in ("bugfix", "enhancement") and cves:
        raise ManifestError(f"{where}.cves: only security updates name CVEs")
    deps = []
    for i, text in enumerate(_str_list(data, "depends", where)):
        match = DEP_RE.match(text.strip())
        if not match:
            raise ManifestError(f"{where}.depends[{i}]: {text!r} must look like 'lab-ssl >= 1.1'")
        deps.append(Dependency(*match.groups()))
    fails = _get(data, "script_fails", where, bool, required=False, default=False)
    return Version(version, date, changes, size, kind, advisory, severity, cves, tuple(deps), fails)


def _parse_package(data: Any, where: str) -> Package:
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected a mapping")
    _check_keys(data, _PACKAGE_KEYS, where)
    name = _get(data, "name", where, str)
    if not NAME_RE.match(name):
        raise ManifestError(f"{where}.name: {name!r} is not a valid package name")
    summary = _get(data, "summary", where, str)
    section = _get(data, "section", where, str, required=False, default="misc")
    size = parse_size(data["size"], f"{where}.size") if "size" in data else 16 * 1024
    raw_versions = _get(data, "versions", where, list)
    if len(raw_versions) < 1:
        raise ManifestError(f"{where}.versions: at least one version is required")
    versions = tuple(_parse_version(v, f"{where}.versions[{i}]", size, i == 0) for i, v in enumerate(raw_versions))
    for i in range(1, len(versions)):
        if version_key(versions[i].version) <= version_key(versions[i - 1].version):
            raise ManifestError(f"{where}.versions[{i}].version: versions must be listed in increasing order")
    baseline = _get(data, "baseline", where, bool, required=False, default=True)
    reboot = _get(data, "reboot", where, bool, required=False, default=False)
    return Package(name, summary, section, versions, baseline, reboot)


def parse(text: str, source: str = "manifest") -> Manifest:
    """Parse manifest YAML text; raise ManifestError naming the bad field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{source}: expected a mapping at the top level")
    _check_keys(data, {"format", "maintainer", "packages"}, source)
    if data.get("format") != 1:
        raise ManifestError(f"{source}.format: must be 1")
    maintainer = _get(data, "maintainer", source, str)
    raw_packages = _get(data, "packages", source, list)
    packages = tuple(_parse_package(p, f"{source}.packages[{i}]") for i, p in enumerate(raw_packages))
    names: dict[str, int] = {}
    advisories: dict[str, str] = {}
    for i, pkg in enumerate(packages):
        if pkg.name in names:
            raise ManifestError(f"{source}.packages[{i}].name: duplicate package {pkg.name!r}")
        names[pkg.name] = i
        for j, ver in enumerate(pkg.versions):
            if ver.advisory:
                if ver.advisory in advisories:
                    raise ManifestError(
                        f"{source}.packages[{i}].versions[{j}].advisory: {ver.advisory} already used by "
                        f"{advisories[ver.advisory]}"
                    )
                advisories[ver.advisory] = f"{pkg.name} {ver.version}"
    for i, pkg in enumerate(packages):
        for j, ver in enumerate(pkg.versions):
            for k, dep in enumerate(ver.depends):
                if dep.name not in names or dep.name == pkg.name:
                    raise ManifestError(
                        f"{source}.packages[{i}].versions[{j}].depends[{k}]: {dep.name!r} is not another "
                        "package of the manifest (lab packages depend only on each other)"
                    )
    return Manifest(maintainer, packages, raw=text)


def load(path: Path = MANIFEST_PATH) -> Manifest:
    return parse(path.read_text(encoding="utf-8"), source=path.name)

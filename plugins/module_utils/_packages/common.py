# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""What every backend shares: the error type, the update entry, input checks and the patch-set selection."""

from __future__ import annotations

import fnmatch
import re

from ansible_collections.everylayer.patch.plugins.module_utils._change import severity_rank

# Package names and globs: what apt, rpm and zypper accept, never an option (leading "-") nor shell syntax.
# Always used with fullmatch(): "$" of re.match would accept a trailing newline ("kernel*\n" from a YAML block
# scalar), which then matches no package and silently excludes nothing.
NAME_PATTERN_RE = re.compile(r"[A-Za-z0-9_+.][A-Za-z0-9_+.:*?\[\]-]*")
NAME_RE = re.compile(r"[A-Za-z0-9_+.][A-Za-z0-9_+.-]*")
VERSION_RE = re.compile(r"[A-Za-z0-9.+~_][A-Za-z0-9.+~:_-]*")
ADVISORY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]*")
# Integer options: (minimum, maximum). A day is longer than any sane wait; 10**13 s is a typo, -5 s nonsense.
BOUNDS = {"lock_timeout": (0, 86400), "changelog_timeout": (1, 3600)}
UNKNOWN_CHOICES = ("fail", "include", "exclude")


class PackagesError(Exception):
    """A failure the module reports as ``msg``; ``result`` carries what is known (partial changes, rollback)."""

    def __init__(self, msg, result=None):
        super().__init__(msg)
        self.msg = msg
        self.result = result or {}


def update(name, current, candidate, **extra):
    """One available update as backends report it (the change record is built from these later).

    Keys: name, current (None: not installed), candidate, advisories (ids), severity (vendor word or None),
    security (bool), reboot (bool: the update asks for a reboot), held (bool), source (repository/suite),
    advisory_data (where advisories/severity come from: updateinfo, changelog, advisory_source; unknown when
    nothing could be read, so that severity None is not mistaken for "no severity").
    """
    entry = {
        "name": name,
        "current": current,
        "candidate": candidate,
        "advisories": [],
        "severity": None,
        "security": False,
        "reboot": False,
        "held": False,
        "source": None,
        "advisory_data": "updateinfo",
    }
    entry.update(extra)
    return entry


def check_patterns(patterns, option):
    """Reject globs that could be read as options or shell syntax (argv is used anyway: this is a clear error)."""
    for pattern in patterns or ():
        if not isinstance(pattern, str) or not NAME_PATTERN_RE.fullmatch(pattern):
            raise PackagesError(
                f"{option}: {pattern!r} is not a package name or glob (letters, digits, . + _ - : and * ? [ ] only, "
                "not starting with '-')"
            )


def check_bounds(params):
    """Integer options inside their range (a clear error instead of waiting forever or "waited -5 s")."""
    for option, (low, high) in BOUNDS.items():
        value = params.get(option)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise PackagesError(f"{option}: {value!r} is out of range: give seconds between {low} and {high}")


def check_advisories(ids):
    for advisory in ids or ():
        if not isinstance(advisory, str) or not ADVISORY_RE.fullmatch(advisory):
            raise PackagesError(f"advisories: {advisory!r} is not an advisory id (e.g. CVE-2026-0001, DSA-5999-1)")


def check_manifest(manifest):
    """A manifest maps exact package names to exact versions; return it as a plain dict of strings."""
    if manifest is None:
        return None
    if not isinstance(manifest, dict):
        raise PackagesError(f"manifest: expected a mapping of package name to version, got {type(manifest).__name__}")
    clean = {}
    for name, version in manifest.items():
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise PackagesError(f"manifest: {name!r} is not a package name (exact names only, no globs)")
        if isinstance(version, bool) or not isinstance(version, (str, int, float)) or not str(version).strip():
            raise PackagesError(f"manifest: the version of {name} must be a non-empty string, got {version!r}")
        text = str(version).strip()
        if not VERSION_RE.fullmatch(text):
            raise PackagesError(f"manifest: {text!r} (for {name}) is not a package version")
        clean[name] = text
    return clean


def check_rollback(block):
    """The rollback block this module wrote: {strategy, data: {manager, packages, after?, transaction?}}."""
    if not isinstance(block, dict):
        raise PackagesError("rollback: expected the rollback block of a change record ({strategy, data})")
    strategy = block.get("strategy")
    data = block.get("data")
    if strategy == "none":
        return strategy, {"packages": {}}
    if strategy not in ("packages", "transaction") or not isinstance(data, dict):
        raise PackagesError(
            f"rollback: strategy {strategy!r} with data {type(data).__name__} is not a packages rollback block "
            "(strategy packages or transaction, data with manager and packages)"
        )
    packages = data.get("packages")
    if not isinstance(packages, dict):
        raise PackagesError("rollback.data.packages: expected a mapping of package name to old version (or null)")
    for name, version in packages.items():
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise PackagesError(f"rollback.data.packages: {name!r} is not a package name")
        if version is not None and (not isinstance(version, str) or not VERSION_RE.fullmatch(version)):
            raise PackagesError(f"rollback.data.packages: {version!r} (for {name}) is not a package version")
    transaction = data.get("transaction")
    if transaction is not None and (isinstance(transaction, bool) or not isinstance(transaction, int)):
        raise PackagesError(f"rollback.data.transaction: expected a dnf history id, got {transaction!r}")
    return strategy, data


def matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


UNKNOWN = "advisory data unknown"


def _reason_filtered(entry, params):
    """Why the filters leave this update out (None when it is selected; UNKNOWN when that cannot be decided)."""
    names = params.get("names") or []
    exclude = params.get("exclude") or []
    if names and not matches(entry["name"], names):
        return "not in names"
    if exclude and matches(entry["name"], exclude):
        return "excluded"
    if params.get("security_only") and not entry["security"]:
        return "not a security update"
    wanted = params.get("advisories") or []
    minimum = params.get("severity")
    if (wanted or minimum) and entry.get("advisory_data") == "unknown":
        # No changelog and no advisory source: "no advisory" and "severity below" would be guesses.
        choice = params.get("unknown_severity") or "fail"
        if choice == "include":
            return None
        return f"{UNKNOWN} (unknown_severity=exclude)" if choice == "exclude" else UNKNOWN
    if wanted and not set(wanted) & set(entry["advisories"]):
        return "fixes none of the requested advisories"
    if minimum and severity_rank(entry["severity"]) < severity_rank(minimum):
        return f"severity below {minimum}"
    return None


def select_counting(updates, params):
    """(targets, left_out, decided_on_unknown): ``select`` plus how many updates the advisories/severity filters
    decided on unknown data (selected or left out by ``unknown_severity``). Raises PackagesError, changing
    nothing, when such a filter meets unknown data and ``unknown_severity`` is ``fail`` (the default)."""
    targets = {}
    left_out = []
    undecided = []
    decided_on_unknown = 0
    for entry in updates:
        reason = "held" if entry["held"] else _reason_filtered(entry, params)
        if reason == UNKNOWN:
            undecided.append(entry["name"])
            continue
        if entry.get("advisory_data") == "unknown" and (params.get("advisories") or params.get("severity")):
            decided_on_unknown += reason is None or reason.startswith(UNKNOWN)
        if reason:
            left_out.append((entry, reason))
        else:
            targets[entry["name"]] = entry["candidate"]
    if undecided:
        what = " and ".join(f for f in ("severity", "advisories") if params.get(f))
        shown = ", ".join(sorted(undecided)[:10]) + (f" and {len(undecided) - 10} more" if len(undecided) > 10 else "")
        raise PackagesError(
            f"{what}: {len(undecided)} update(s) have unknown advisories and severity (their changelog could not be "
            f"read and no advisory_source names them): {shown}. Set unknown_severity to include or exclude, or give "
            "advisory_source (nothing was changed)"
        )
    return targets, left_out, decided_on_unknown


def select(updates, params):
    """Split the available updates into (targets {name: version}, left_out [(update, reason)]) by the filters.

    Held packages are never targets. (A ``manifest`` does not go through here: see manifest_targets.)
    """
    targets, left_out, _unknown = select_counting(updates, params)
    return targets, left_out


def manifest_targets(manifest, installed, held, exclude=()):
    """The manifest entries to install: those not already at their version; fails on held packages."""
    targets = {}
    for name, version in sorted(manifest.items()):
        if exclude and matches(name, exclude):
            continue
        if installed.get(name) == version:
            continue
        if name in held:
            raise PackagesError(
                f"manifest asks for {name} {version} but {name} is held at {installed.get(name)}: "
                "release the hold or remove it from the manifest"
            )
        targets[name] = version
    return targets

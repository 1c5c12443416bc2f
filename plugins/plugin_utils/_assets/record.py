# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The asset record: its fields, and the validation that turns a source's raw row into a record."""

from __future__ import annotations

import re

from .errors import AssetInputError
from .guard import MAX_TEXT, check_address, check_host_name, check_length, short

LAYERS = ("os", "windows", "network", "firmware")
CRITICALITIES = ("low", "medium", "high", "critical")
CRITICALITY_RANK = {name: rank for rank, name in enumerate(CRITICALITIES)}
# wave names: the inventory's `waves` setting lists them (default pilot, staged, full); build.py checks an asset's
# wave against that list, here only its form (the rollout's wave-name rule)
WAVE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
EXPOSURES = ("internet", "internal")
PLATFORM_KEYS = ("distribution", "version", "package_manager", "network_os", "bmc_vendor")

SCALAR_FIELDS = (
    "serial",
    "address",
    "criticality",
    "exposure",
    "owner",
    "environment",
    "maintenance_window",
    "wave",
)
LIST_FIELDS = ("aliases", "layers")
DICT_FIELDS = ("platform", "components", "vars")
FIELDS = ("name", "port", *SCALAR_FIELDS, *LIST_FIELDS, *DICT_FIELDS)

_TRUE = {"true", "yes", "1", "y", "on", "internet", "public", "external"}
_FALSE = {"false", "no", "0", "n", "off", "internal", "private"}
_LIST_SPLIT = re.compile(r"[;,]\s*|\s+")
_BAD_NAME = re.compile(r"\s")


def _text(value, field, where):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise AssetInputError(f"{where}: {field} must be a string, got {type(value).__name__} {short(value)}")
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        check_length(text, field, where, MAX_TEXT)
    return text or None


def _choice(value, field, choices, where):
    text = _text(value, field, where)
    if text is None:
        return None
    lowered = text.lower()
    if lowered not in choices:
        raise AssetInputError(f"{where}: {field} {short(text)} is not one of {', '.join(choices)}")
    return lowered


def _wave(value, where):
    text = _text(value, "wave", where)
    if text is None:
        return None
    lowered = text.lower()
    if not WAVE_NAME.match(lowered):
        raise AssetInputError(f"{where}: wave {short(text)} is not a wave name (a-z, 0-9, _; 32 at most)")
    return lowered


def _exposure(value, where):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "internet" if value else "internal"
    text = _text(value, "exposure", where).lower()
    if text in _TRUE:
        return "internet"
    if text in _FALSE:
        return "internal"
    raise AssetInputError(
        f"{where}: exposure {short(value)} is not internet/internal (or true/false for internet-facing)"
    )


def _string_list(value, field, where):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = [item for item in _LIST_SPLIT.split(value.strip()) if item]
    elif isinstance(value, list):
        items = [_text(item, field, where) for item in value]
        items = [item for item in items if item]
    else:
        raise AssetInputError(f"{where}: {field} must be a list or a ';'-separated string, got {short(value)}")
    return list(dict.fromkeys(items))


def _layers(value, where):
    layers = [layer.lower() for layer in _string_list(value, "layers", where)]
    for layer in layers:
        if layer not in LAYERS:
            raise AssetInputError(f"{where}: layer {short(layer)} is not one of {', '.join(LAYERS)}")
    return layers


def _port(value, where):
    if value is None or value == "":
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise AssetInputError(f"{where}: port {short(value)} is not an integer") from None
    if isinstance(value, bool) or not 0 < port < 65536:
        raise AssetInputError(f"{where}: port {short(value)} is not between 1 and 65535")
    return port


def _components(value, where):
    """``{name: version}`` from a mapping, a list of ``{name, version}`` or a ``name=version;...`` string."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        pairs = {}
        for item in _LIST_SPLIT.split(value.strip()):
            if not item:
                continue
            name, sep, version = item.partition("=")
            if not sep or not name or not version:
                raise AssetInputError(f"{where}: component {short(item)} is not name=version")
            pairs[name] = version
        return pairs
    if isinstance(value, list):
        pairs = {}
        for item in value:
            if not isinstance(item, dict) or "name" not in item:
                raise AssetInputError(f"{where}: component {short(item)} is not a mapping with name and version")
            pairs[str(item["name"])] = None if item.get("version") is None else str(item["version"])
        return pairs
    if isinstance(value, dict):
        return {
            check_length(str(name), "component name", where): None
            if version is None
            else check_length(str(version), f"component {name} version", where)
            for name, version in value.items()
        }
    raise AssetInputError(f"{where}: components must be a mapping of name to version, got {short(value)}")


def _platform(value, where):
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise AssetInputError(f"{where}: platform must be a mapping ({', '.join(PLATFORM_KEYS)}), got {short(value)}")
    platform = {}
    for key, item in value.items():
        if key not in PLATFORM_KEYS:
            raise AssetInputError(f"{where}: platform key {short(key)} is not one of {', '.join(PLATFORM_KEYS)}")
        text = _text(item, f"platform.{key}", where)
        if text is not None:
            platform[key] = text.lower() if key != "version" else text
    return platform


def _vars(value, where):
    if not isinstance(value, dict):
        raise AssetInputError(f"{where}: vars must be a mapping, got {short(value)}")
    return value


_CHECKS = {
    "criticality": lambda value, where: _choice(value, "criticality", CRITICALITIES, where),
    "wave": _wave,
    "exposure": _exposure,
    "port": _port,
    "layers": _layers,
    "aliases": lambda value, where: _string_list(value, "aliases", where),
    "components": _components,
    "platform": _platform,
    "vars": _vars,
}


def normalize(raw, where):
    """Validate one raw record (canonical field names, nested dicts) and return the record.

    Absent or empty values are left out, so merging can tell "not given" from "given".
    """
    name = _text(raw.get("name"), "name", where)
    if not name:
        raise AssetInputError(f"{where}: the asset has no name")
    if _BAD_NAME.search(name):
        raise AssetInputError(f"{where}: name {short(name)} contains whitespace")
    check_host_name(name, "name", where)
    record = {"name": name}
    for field, given in raw.items():
        if given is None or field == "name":
            continue
        check = _CHECKS.get(field)
        if check is not None:
            value = check(given, where)
        elif field in SCALAR_FIELDS:
            value = _text(given, field, where)
        else:
            raise AssetInputError(f"{where}: unknown field {short(field)}")
        if field == "aliases":
            value = [check_host_name(alias, "alias", where) for alias in value if alias != name]
        elif field == "address" and value is not None:
            value = check_address(value, where)
        if value is not None and value not in ([], {}):
            record[field] = value
    return record


def platform_keys(platform):
    """The platform names an asset belongs to: its distribution, network OS and BMC vendor, in that order."""
    return [platform[key] for key in ("distribution", "network_os", "bmc_vendor") if platform.get(key)]

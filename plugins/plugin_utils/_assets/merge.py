# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Merge records from several sources into one asset each, by identity, in precedence order.

Sources are merged highest precedence first. A record joins an asset when its name or one of its aliases
equals the asset's name or an alias (case-insensitively), or its serial equals the asset's serial.
A value from a lower-precedence source never replaces one already set: when it differs, the asset gets a
conflict entry naming the kept value and source and every overridden value and source.
"""

from __future__ import annotations

from .record import AssetInputError, normalize

_UNION = ("aliases", "layers")
_NESTED = ("platform", "components", "vars")
IDENTITY_KEYS = ("name", "aliases", "serial")


class Asset:
    __slots__ = ("record", "origin", "sources", "conflicts", "where")

    def __init__(self, record, source, where):
        self.record = record
        self.origin = {}
        for field, value in record.items():
            if field in _NESTED:
                for key in value:
                    self.origin[f"{field}.{key}"] = source
            else:
                self.origin[field] = source
        self.sources = [source]
        self.conflicts = {}
        self.where = {source: where}

    def conflict(self, key, kept, source, value):
        entry = self.conflicts.get(key)
        if entry is None:
            entry = self.conflicts[key] = {"field": key, "value": kept, "source": self.origin[key], "overridden": []}
        entry["overridden"].append({"source": source, "value": value})

    def absorb(self, record, source, where):
        """Fold a lower-precedence record into this asset."""
        if source in self.where:
            raise AssetInputError(
                f"{where}: {record['name']!r} is the same asset as {self.record['name']!r}, "
                f"already read from source {source} at {self.where[source]}"
            )
        self.where[source] = where
        self.sources.append(source)
        mine = self.record
        for field, value in record.items():
            if field == "name":
                if value != mine["name"]:
                    _union(mine, "aliases", [value])
            elif field in _UNION:
                _union(mine, field, value)
            elif field in _NESTED:
                current = mine.setdefault(field, {})
                for key, item in value.items():
                    if key not in current:
                        current[key] = item
                        self.origin[f"{field}.{key}"] = source
                    elif current[key] != item:
                        self.conflict(f"{field}.{key}", current[key], source, item)
            elif field not in mine:
                mine[field] = value
                self.origin[field] = source
            elif mine[field] != value:
                self.conflict(field, mine[field], source, value)


def _union(record, field, values):
    current = record.setdefault(field, [])
    for value in values:
        if value not in current and (field != "aliases" or value != record["name"]):
            current.append(value)


def identity_keys(record, identity=IDENTITY_KEYS):
    keys = []
    if "name" in identity:
        keys.append(("name", record["name"].lower()))
    if "aliases" in identity:
        keys.extend(("name", alias.lower()) for alias in record.get("aliases", ()))
    if "serial" in identity and record.get("serial"):
        keys.append(("serial", record["serial"]))
    if "address" in identity and record.get("address"):
        keys.append(("address", record["address"]))
    return keys


def merge(streams, identity=IDENTITY_KEYS):
    """``streams``: ``[(source name, iterable of (raw record, location)), ...]`` in precedence order.

    Returns the assets (first-seen order) and the identity notes (a record that matched two assets).
    """
    assets, index, notes = [], {}, []
    for source, rows in streams:
        for raw, where in rows:
            record = normalize(raw, where)
            keys = identity_keys(record, identity)
            matches = []
            for key in keys:
                found = index.get(key)
                if found is not None and found not in matches:
                    matches.append(found)
            if not matches:
                asset = Asset(record, source, where)
                assets.append(asset)
            else:
                asset = matches[0]
                if len(matches) > 1:
                    others = ", ".join(other.record["name"] for other in matches[1:])
                    notes.append(
                        f"{where}: {record['name']!r} matches {asset.record['name']!r} and also {others}; "
                        f"merged into {asset.record['name']!r}"
                    )
                asset.absorb(record, source, where)
                keys = identity_keys(asset.record, identity)
            for key in keys:
                index.setdefault(key, asset)
    return assets, notes

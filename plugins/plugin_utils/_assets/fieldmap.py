# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""How a source's columns (CSV) or keys (YAML/JSON, NetBox attributes) map to record fields."""

from __future__ import annotations

from .record import FIELDS, PLATFORM_KEYS, AssetInputError

_NESTED = ("platform", "components", "vars")


def field_path(key):
    """The record path a key stands for (``("criticality",)``, ``("platform", "version")``), or None."""
    if key in FIELDS:
        return (key,)
    head, dot, tail = key.partition(".")
    if dot and tail and head in _NESTED and (head != "platform" or tail in PLATFORM_KEYS):
        return (head, tail)
    return None


class FieldMap:
    """Maps a source's columns (CSV) or keys (YAML/JSON) to record fields; reports unknown ones once."""

    def __init__(self, source, fields=None, values=None, defaults=None, ignore=None):
        self.source = source
        self.by_column = {}
        for target, column in (fields or {}).items():
            path = field_path(target)
            if path is None:
                raise AssetInputError(f"source {source}: fields: {target!r} is not a record field")
            self.by_column[str(column)] = path
        self.values = values or {}
        self.defaults = defaults or {}
        self.ignore = set(ignore or ())
        self.unknown = {}
        self._compiled = {}

    def _path(self, column, where):
        path = self.by_column.get(column)
        if path is None and column not in self.ignore:
            path = field_path(column)
            if path is None:
                self.unknown.setdefault(column, str(where.path))  # once per source, naming the first file
        return path

    def from_row(self, header, values, where):
        key = id(header)
        plan = self._compiled.get(key)
        if plan is None:
            plan = [(index, path) for index, column in enumerate(header) if (path := self._path(column, where))]
            self._compiled[key] = plan
        raw = {}
        for index, path in plan:
            value = values[index].strip()
            if value:
                _put(raw, path, value)
        return self._finish(raw)

    def from_mapping(self, item, where):
        raw = {}
        for column, value in item.items():
            path = self._path(str(column), where)
            if path is not None and value is not None:
                _put(raw, path, value)
        return self._finish(raw)

    def _finish(self, raw):
        for field, table in self.values.items():
            value = raw.get(field)
            if isinstance(value, str) and value in table:
                raw[field] = table[value]
        for field, value in self.defaults.items():
            raw.setdefault(field, value)
        return raw


def _put(raw, path, value):
    if len(path) == 1:
        head = path[0]
        if head in _NESTED and isinstance(value, dict) and isinstance(raw.get(head), dict):
            raw[head] = {**value, **raw[head]}
        else:
            raw[head] = value
    else:
        nested = raw.setdefault(path[0], {})
        if isinstance(nested, dict):
            nested[path[1]] = value

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Asset sources: where raw records come from, and how their columns map to record fields.

The source interface (see docs/assets.md): a class with ``TYPE``, built from one ``sources:`` entry and the
config file's directory, offering ``fingerprint()`` (what, when changed, invalidates the cache) and
``read(report)`` yielding ``(raw record, location)`` with canonical field names. Register it in ``SOURCE_TYPES``.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys

from .errors import Location
from .fieldmap import FieldMap
from .guard import COMMON_KEYS, read_policy, short
from .readers import FORMATS, format_of, read_csv, read_documents
from .record import FIELDS, AssetInputError

_SOURCE_KEYS = COMMON_KEYS | {"path", "optional", "format", "ignore", "delimiter"}


class FileSource:
    """YAML, JSON or CSV asset exports; ``path`` may be a glob; relative paths are relative to the config."""

    TYPE = "file"
    FORMATS = FORMATS

    def __init__(self, spec, basedir):
        unknown = sorted(set(spec) - _SOURCE_KEYS)
        self.name = str(spec.get("name") or spec.get("path") or self.TYPE)
        if unknown:
            raise AssetInputError(f"source {self.name}: unknown option(s) {', '.join(unknown)}")
        self.pattern = spec.get("path") or self.default_path()
        if not self.pattern:
            raise AssetInputError(f"source {self.name}: path is required")
        self.pattern = os.path.join(basedir, os.path.expanduser(str(self.pattern)))
        self.optional = bool(spec.get("optional", False))
        self.format = spec.get("format")
        if self.format is not None and self.format not in self.FORMATS:
            raise AssetInputError(f"source {self.name}: format {self.format!r} is not one of {', '.join(self.FORMATS)}")
        self.delimiter = spec.get("delimiter") or ","
        for option in ("fields", "values", "defaults"):
            if not isinstance(spec.get(option) or {}, dict):
                raise AssetInputError(f"source {self.name}: {option} must be a mapping")
        self.fieldmap = FieldMap(
            self.name, spec.get("fields"), spec.get("values"), spec.get("defaults"), spec.get("ignore")
        )
        self.files = []
        read_policy(self, spec)

    def default_path(self):
        return None

    def resolve(self):
        if glob.has_magic(self.pattern):
            files = sorted(glob.glob(self.pattern))
        else:
            files = [self.pattern] if os.path.exists(self.pattern) else []
        if not files and not self.optional:
            raise AssetInputError(
                f"source {self.name}: {self.pattern} does not exist (set optional: true if it may be absent)"
            )
        self.files = files
        return files

    def fingerprint(self):
        return [(path, os.stat(path).st_mtime_ns, os.stat(path).st_size) for path in self.resolve()]

    def read(self):
        for path in self.files or self.resolve():
            fmt = format_of(path, self.format)
            if fmt == "csv":
                for header, values, where in read_csv(path, self.delimiter):
                    yield self.fieldmap.from_row(header, values, where), where
            else:
                for item, where in read_documents(path, fmt):
                    yield self.fieldmap.from_mapping(item, where), where


class LabSource(FileSource):
    """The lab's generated asset list (``inventories/lab/generated/lab.json``): JSON with ``lab`` and ``assets``."""

    TYPE = "lab"

    def default_path(self):
        return "generated/lab.json"

    def read(self):
        for path in self.files or self.resolve():
            for item, where in read_documents(path, "json"):
                yield self.fieldmap.from_mapping(item, where), where


class InventorySource(FileSource):
    """Another inventory's ``ansible-inventory --list`` JSON: saved in ``path``, or produced by running
    ``ansible-inventory -i <inventory> --list`` when ``path`` names an inventory and ``format: inventory``."""

    TYPE = "inventory"
    FORMATS = ("json", "inventory")
    _HOST_ONLY = {"asset", "asset_conflicts", "asset_priority", "inventory_file", "inventory_dir"}

    def _load(self, path):
        if self.format == "inventory":
            argv = [_ansible_inventory(), "-i", path, "--list"]
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise AssetInputError(f"source {self.name}: {' '.join(argv)} failed: {done.stderr.strip()[-500:]}")
            text = done.stdout
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AssetInputError(f"{path} line {exc.lineno}: invalid JSON: {exc.msg}") from None
        if not isinstance(data, dict) or not isinstance(data.get("_meta", {}).get("hostvars", {}), dict):
            raise AssetInputError(f"{path}: not the output of ansible-inventory --list (no _meta.hostvars)")
        return data

    def read(self):
        for path in self.files or self.resolve():
            data = self._load(path)
            hostvars = data.get("_meta", {}).get("hostvars", {})
            names = dict.fromkeys(hostvars)
            for group, body in data.items():
                if group != "_meta" and isinstance(body, dict):
                    names.update(dict.fromkeys(body.get("hosts") or ()))
            for name in names:
                hv = hostvars.get(name) or {}
                where = Location(path, None, f"host {name}")
                folded = hv.get("asset") if isinstance(hv.get("asset"), dict) else {}
                raw = {key: value for key, value in folded.items() if key in FIELDS}
                mapped = {key: value for key, value in hv.items() if key in self.fieldmap.by_column}
                raw.update(self.fieldmap.from_mapping(mapped, where))
                raw["name"] = name
                host_vars = {k: v for k, v in hv.items() if k not in self._HOST_ONLY and k not in mapped}
                # ansible_host is the asset's address: as such it merges (and conflicts) with other sources.
                if isinstance(host_vars.get("ansible_host"), str):
                    raw.setdefault("address", host_vars.pop("ansible_host"))
                if host_vars:
                    raw["vars"] = {**host_vars, **(raw.get("vars") or {})}
                yield raw, where


def _ansible_inventory():
    beside = os.path.join(os.path.dirname(sys.argv[0] or ""), "ansible-inventory")
    return beside if os.access(beside, os.X_OK) else (shutil.which("ansible-inventory") or "ansible-inventory")


def _netbox_source(spec, basedir):
    """The ``netbox`` source type (``netbox.py``, which builds on this module): imported only when configured."""
    from .netbox import NetboxSource  # pylint: disable=import-outside-toplevel

    return NetboxSource(spec, basedir)


SOURCE_TYPES = {cls.TYPE: cls for cls in (FileSource, LabSource, InventorySource)}
SOURCE_TYPES["netbox"] = _netbox_source


def build_sources(specs, basedir):
    """Source objects for the ``sources:`` option, in precedence order (first = highest)."""
    if not isinstance(specs, list) or not specs:
        raise AssetInputError("sources: give at least one source (a list of mappings)")
    built, names = [], set()
    for index, spec in enumerate(specs, start=1):
        if not isinstance(spec, dict):
            raise AssetInputError(f"sources[{index}]: must be a mapping, got {short(spec)}")
        kind = spec.get("type", "file")
        if kind not in SOURCE_TYPES:
            raise AssetInputError(f"sources[{index}]: type {short(kind)} is not one of {', '.join(SOURCE_TYPES)}")
        source = SOURCE_TYPES[kind](spec, basedir)
        source.index = index  # for messages of sources that fail after the configuration was read
        if source.name in names:
            raise AssetInputError(f"sources[{index}]: the name {source.name!r} is used twice")
        names.add(source.name)
        built.append(source)
    return built

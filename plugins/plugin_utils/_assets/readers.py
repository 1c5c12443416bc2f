# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Readers of asset exports: CSV, YAML and JSON files, each yielding ``(raw row, Location)``.

A reader only parses; mapping columns to record fields is the ``FieldMap``'s job.
The fast path parses without line marks; a bad record is located by re-reading the file with marks.
"""

from __future__ import annotations

import csv
import io
import json

import yaml

from .errors import AssetInputError, Location
from .guard import short

try:
    _FastLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader = yaml.SafeLoader

FORMATS = ("csv", "yaml", "json")
MAX_FILE_BYTES = 256 * 1024 * 1024
# Nodes a YAML document may hold once its aliases are expanded: far above any real export (an asset is about
# 20 nodes), far below what an alias bomb expands to (9 levels of 9 aliases: 387 million).
MAX_YAML_NODES = 5_000_000


def read_text(path, encoding="utf-8"):
    """A data file's text; too big a file or bytes that are not UTF-8 are errors naming the file and line."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise AssetInputError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; refusing to read it")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AssetInputError(
            f"{path} line {line}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "export the file as UTF-8"
        ) from None


def check_yaml_expansion(text, path, limit=MAX_YAML_NODES):
    """Refuse a YAML document whose aliases expand past ``limit`` nodes (a "billion laughs" alias bomb).

    Counts the nodes each anchor stands for from the parser's events, without building anything.
    """
    if "&" not in text or "*" not in text:
        return
    anchors, stack, total = {}, [], 0
    try:
        for event in yaml.parse(text, Loader=_FastLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                stack.append([event.anchor, 1])
                continue
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, size = stack.pop()
            elif isinstance(event, yaml.ScalarEvent):
                anchor, size = event.anchor, 1
            elif isinstance(event, yaml.AliasEvent):
                anchor, size = None, anchors.get(event.anchor, 1)
            else:
                continue
            if anchor:
                anchors[anchor] = size
            if stack:
                stack[-1][1] += size
            else:
                total += size
            if size > limit or total > limit:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise AssetInputError(
                    f"{path} line {line}: the YAML aliases expand to more than {limit} nodes (an alias bomb?); "
                    "refusing to load it"
                )
    except yaml.YAMLError:
        return  # the loader reports syntax errors with their line


def format_of(path, declared=None):
    if declared:
        return declared
    lowered = path.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".yml", ".yaml")):
        return "yaml"
    if lowered.endswith(".json"):
        return "json"
    raise AssetInputError(f"{path}: cannot tell the format from the file name; set format: csv, yaml or json")


def read_csv(path, delimiter=","):
    """Yield ``(header, values, Location)``; the header comes back with every row (it is one shared list)."""
    text = read_text(path, "utf-8-sig")
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [column.strip() for column in header]
            if "" in header:
                raise AssetInputError(f"{path} line 1: column {header.index('') + 1} of the header has no name")
            duplicates = sorted({column for column in header if header.count(column) > 1})
            if duplicates:
                raise AssetInputError(f"{path} line 1: duplicate column(s) {', '.join(duplicates)}")
            width = len(header)
            row = 0
            for values in reader:
                row += 1
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                if len(values) != width:
                    raise AssetInputError(
                        f"{Location(path, reader.line_num, row)}: {len(values)} fields, the header has {width}"
                    )
                yield header, values, Location(path, reader.line_num, row)
        except csv.Error as exc:
            raise AssetInputError(f"{path} line {reader.line_num}: {exc}") from None


def _records_of(document, path):
    if isinstance(document, dict) and isinstance(document.get("assets"), list):
        return document["assets"]
    if isinstance(document, list):
        return document
    if document is None:
        return []
    raise AssetInputError(f"{path}: expected a list of assets, or a mapping with an 'assets' list")


def load_document(path, fmt):
    """Parse a YAML or JSON file; syntax errors name the line; size and alias expansion are bounded."""
    text = read_text(path)
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise AssetInputError(f"{path} line {exc.lineno}: invalid JSON: {exc.msg}") from None
    check_yaml_expansion(text, path)
    try:
        return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else "?"
        raise AssetInputError(f"{path} line {line}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise AssetInputError(f"{path}: invalid YAML: {exc}") from None


def read_documents(path, fmt):
    """Yield ``(record mapping, Location)`` for each asset of a YAML or JSON file."""
    records = _records_of(load_document(path, fmt), path)
    for index, item in enumerate(records, start=1):
        if not isinstance(item, dict):
            where = Location(path, line_of_record(path, index), index)
            raise AssetInputError(f"{where}: an asset must be a mapping, got {type(item).__name__} {short(item)}")
        yield item, _LazyLocation(path, index)


class _LazyLocation(Location):
    """A Location whose line is only looked up (by re-reading the file with marks) when a message needs it."""

    __slots__ = ()

    def __init__(self, path, index):
        super().__init__(path, None, index)

    def __str__(self):
        if self.line is None:
            self.line = line_of_record(self.path, self.row)
        return super().__str__()


def line_of_record(path, index):
    """Line number where the ``index``-th (1-based) asset of a YAML/JSON file starts, or None."""
    try:
        with open(path, encoding="utf-8") as handle:
            node = yaml.compose(handle, Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    if isinstance(node, yaml.MappingNode):
        node = next((value for key, value in node.value if key.value == "assets"), None)
    if not isinstance(node, yaml.SequenceNode) or index > len(node.value):
        return None
    return node.value[index - 1].start_mark.line + 1

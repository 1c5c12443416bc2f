# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the governance modules share: the error, YAML files read with line numbers, dates."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import yaml


class GovernanceError(ValueError):
    """Bad policy, exception or advisory input, or a rule that forbids going on (an expired exception)."""


class Source:
    """A YAML document and where each of its nodes came from, so errors name the file, field and line."""

    def __init__(self, path, data, lines):
        self.path = path
        self.data = data
        self._lines = lines  # {("field", 0, "sub"): line}

    def where(self, *keys):
        """``file line N, field a.b[0].c`` for the node at ``keys`` (the closest parent known)."""
        keys = tuple(keys)
        while keys and keys not in self._lines:
            keys = keys[:-1]
        line = self._lines.get(keys, 1)
        return f"{self.path} line {line}"


def _walk(node, path, lines):
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _walk(value_node, (*path, key_node.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def load_yaml(path, what) -> Source:
    """Read a YAML mapping from ``path`` with the line of every node (``what`` names it in errors)."""
    if not path or not os.path.isfile(path):
        raise GovernanceError(f"{what}: {path} does not exist (a YAML file)")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise GovernanceError(f"{what}: {path} is not YAML: {exc}") from None
    if not isinstance(data, dict):
        raise GovernanceError(f"{what}: {path} line 1: the document must be a mapping")
    lines = {}
    _walk(node, (), lines)
    return Source(path, data, lines)


def to_date(value, field, where):
    """A date from YAML (a date, or text YYYY-MM-DD / an ISO timestamp); a clear error otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    raise GovernanceError(f"{where}: {field} {value!r} is not a date (YYYY-MM-DD)")


def today(now=None) -> date:
    """``now`` as a date (a date, datetime or ISO text), default today in UTC: tests and playbooks pin it."""
    if now is None or now == "":
        return datetime.now(UTC).date()
    return to_date(now, "now", "now")

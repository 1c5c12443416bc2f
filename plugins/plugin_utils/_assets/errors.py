# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The asset map's input error and the location it names (file, line, row)."""

from __future__ import annotations


class AssetInputError(Exception):
    """Bad input: the message names the file and line (or row) and what is wrong."""


class Location:
    """Where a raw record came from, for messages: ``file line N (row M)`` or ``file record M``."""

    __slots__ = ("path", "line", "row")

    def __init__(self, path, line=None, row=None):
        self.path = path
        self.line = line
        self.row = row

    def __str__(self):
        if self.line is not None and self.row is not None:
            return f"{self.path} line {self.line} (row {self.row})"
        if self.line is not None:
            return f"{self.path} line {self.line}"
        if isinstance(self.row, str):
            return f"{self.path} {self.row}"
        if self.row is not None:
            return f"{self.path} record {self.row}"
        return str(self.path)

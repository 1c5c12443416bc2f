# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operational state before and after an upgrade: interfaces, LLDP and BGP neighbours, and their diff."""

from __future__ import annotations

import re

from .parsers import clean

_STATUS_WORDS = re.compile(
    r"^(connected|notconnec\w*|disabled|err-?disabled|inactive|suspended|monitoring|sfpAbsent|xcvrAbsen\w*"
    r"|noOperMem\w*|channelDo\w*|linkFlap\w*|faulty|down|up)$",
    re.I,
)
_BGP_STATES = {"idle", "active", "connect", "opensent", "openconfirm", "established", "estab", "establ"}
_IP = re.compile(r"^[0-9a-fA-F.:]+$")


def _tokens(line: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in re.finditer(r"\S+", line)]


def interfaces_status(text: str) -> dict[str, str]:
    """'show interface(s) status' (IOS, NX-OS, EOS): port -> status word, located by the header column."""
    lines = clean(text).splitlines()
    status_col = None
    out = {}
    for line in lines:
        if re.match(r"^Port\s+Name\s+Status", line):
            status_col = line.index("Status")
            continue
        if status_col is None or not line.strip() or line.startswith("-"):
            continue
        toks = _tokens(line)
        candidates = [
            (abs(pos - status_col), word.rstrip(":")) for pos, word in toks[1:] if _STATUS_WORDS.match(word.rstrip(":"))
        ]
        if candidates:
            out[toks[0][1]] = min(candidates)[1]
    return out


def junos_interfaces(text: str) -> dict[str, str]:
    """'show interfaces terse': physical interface -> 'admin/link'."""
    out = {}
    for line in clean(text).splitlines():
        cols = line.split()
        if len(cols) >= 3 and "." not in cols[0] and cols[1] in ("up", "down") and cols[2] in ("up", "down"):
            out[cols[0]] = f"{cols[1]}/{cols[2]}"
    return out


def lldp_neighbors(text: str) -> dict[str, str]:
    """'show lldp neighbors' on IOS, NX-OS (wrapped long names), EOS and Junos: local port -> neighbour."""
    lines = clean(text).splitlines()
    out: dict[str, str] = {}
    header = None
    pending = None
    for line in lines:
        if header is None:
            if re.match(r"^\s*Device ID\s+Local Intf", line):
                header = ("cisco", line.index("Local Intf"))
            elif re.match(r"^Port\s+Neighbor Device ID", line):
                header = ("eos", 0)
            elif re.match(r"^Local Interface\s+Parent Interface", line):
                header = ("junos", 0)
            continue
        if not line.strip() or line.startswith("Total entries"):
            continue
        kind, local_col = header
        cols = line.split()
        if kind == "cisco":
            if len(cols) == 1 and not line[0].isspace():
                pending = cols[0]
                continue
            device = pending or line[:local_col].strip()
            rest = line[local_col:].split() if not pending else cols
            pending = None
            if rest:
                out[rest[0]] = device
        elif kind == "eos" and len(cols) >= 2:
            out[cols[0]] = cols[1]
        elif kind == "junos" and len(cols) >= 5:
            out[cols[0]] = cols[-1]
    return out


def bgp_neighbors(text: str) -> dict[str, str]:
    """BGP summary (IOS, NX-OS, EOS, Junos): neighbour address -> session state ('Established', 'Idle'...)."""
    lines = clean(text).splitlines()
    out = {}
    i = 0
    while i < len(lines):
        cols = lines[i].split()
        i += 1
        if (
            len(cols) < 2
            or not _IP.match(cols[0])
            or "." not in cols[0]
            and ":" not in cols[0]
            or not cols[1].isdigit()
        ):
            continue
        while (
            len(cols) < 9
            and i < len(lines)
            and lines[i][:1].isspace()
            and not _IP.match(lines[i].split()[0] if lines[i].split() else "x")
        ):
            cols += lines[i].split()
            i += 1
        state = None
        for index, word in enumerate(cols[3:], start=3):
            if word.lower() in _BGP_STATES:
                state = word
                if index + 1 < len(cols) and cols[index + 1].startswith("("):
                    state += " " + cols[index + 1]
                break
        if state is None:
            state = "Established" if cols[-1].isdigit() else "unknown"
        if state.lower() in ("estab", "establ", "established"):
            state = "Established"
        out[cols[0]] = state
    return out


def compare(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> list[dict]:
    """Every item whose state changed, appeared or disappeared between two snapshots."""
    diffs = []
    for check in sorted(set(before) | set(after)):
        old, new = before.get(check) or {}, after.get(check) or {}
        for item in sorted(set(old) | set(new)):
            if old.get(item) != new.get(item):
                diffs.append({"check": check, "item": item, "before": old.get(item), "after": new.get(item)})
    return diffs

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

#: what a snapshot holds for a check whose command answered nothing, or nothing its parser can read
UNREADABLE = "unreadable"
#: the table header (or summary line) an answer must hold before an empty parse means "no rows":
#: an empty answer, or one without it, is unreadable, never "no interfaces / no neighbours"
_READABLE = {
    "interfaces": re.compile(r"^Port\s+Name\s+Status|^Interface\s+Admin\s+Link", re.M),
    "lldp": re.compile(
        r"^\s*Device ID\s+Local Intf|^Port\s+Neighbor Device ID|^Local Interface\s+Parent Interface", re.M
    ),
    "bgp": re.compile(
        r"^\s*(?:Description\s+)?(?:Neighbor|Peer)\s+(?:V\s+)?AS\b|router identifier|^Groups:\s*\d+", re.M | re.I
    ),
}


def readable(check: str, text: str) -> bool:
    """Does ``text`` hold the table (or summary) that ``check`` reads? Empty output never does."""
    pattern = _READABLE.get(check)
    body = clean(text).strip()
    return bool(body) and (pattern is None or bool(pattern.search(clean(text))))


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


_IFACE = re.compile(r"^[A-Za-z][A-Za-z-]*\d[\w/.:-]*$")
_CAPABILITIES = re.compile(r"^[BRTCWPSO](,?[BRTCWPSO])*$")
_SEPARATOR = re.compile(r"^[-\s]+$")


def lldp_neighbor_rows(text: str) -> list[dict]:
    """Every row of 'show lldp neighbors' (IOS, NX-OS, EOS, Junos): ``{"local", "device", "port"}``.

    Cisco tables are read by meaning, not by column: the local interface is the interface-shaped word
    followed by the hold time, nearest the 'Local Intf' column, so a device ID that wraps to its own line,
    holds spaces, runs into the next column ('cr-ebc.org.local  Eth3/1') or is glued to the interface when
    truncated at 20 characters ('long_name_swt.josh-vGi0/2') still gives the right row.
    """
    rows: list[dict] = []
    header = None
    pending = None
    for line in clean(text).splitlines():
        if header is None:
            if re.match(r"^\s*Device ID\s+Local Intf", line):
                header = ("cisco", line.index("Local Intf"))
            elif re.match(r"^Port\s+Neighbor Device ID", line):
                header = ("eos", 0)
            elif re.match(r"^Local Interface\s+Parent Interface", line):
                header = ("junos", 0)
            continue
        if not line.strip() or _SEPARATOR.match(line) or line.startswith("Total entries"):
            continue
        kind, local_col = header
        cols = line.split()
        if kind == "eos" and len(cols) >= 3:
            rows.append({"local": cols[0], "device": cols[1], "port": " ".join(cols[2:-1]) or None})
        elif kind == "junos" and len(cols) >= 5:
            rows.append({"local": cols[0], "device": cols[-1], "port": cols[-2]})
        elif kind == "cisco":
            row = _cisco_lldp_row(line, local_col, pending)
            if row is None:
                pending = None if line[:1].isspace() else line.strip()
                continue
            pending = None
            rows.append(row)
    return rows


def _cisco_lldp_row(line: str, local_col: int, pending: str | None) -> dict | None:
    toks = _tokens(line)
    first = 0 if pending and line[:1].isspace() else 1
    candidates = [i for i in range(first, len(toks) - 1) if _IFACE.match(toks[i][1]) and toks[i + 1][1].isdigit()]
    if candidates:
        index = min(candidates, key=lambda i: abs(toks[i][0] - local_col))
        device = line[: toks[index][0]].strip() or pending
        local, after = toks[index][1], toks[index + 2 :]
    elif len(toks) >= 2 and toks[0][0] < local_col < toks[0][0] + len(toks[0][1]) and toks[1][1].isdigit():
        # a 20-character device ID glued to the interface: split at the column
        device, local, after = line[:local_col].strip(), line[local_col : toks[0][0] + len(toks[0][1])], toks[2:]
    else:
        return None
    words = [word for _position, word in after]
    if words and _CAPABILITIES.match(words[0]) and len(words) > 1:
        words = words[1:]
    return {"local": local, "device": device, "port": " ".join(words) or None}


def lldp_neighbors(text: str) -> dict[str, str]:
    """Local port -> neighbour device. A port with several neighbours (a phone and a PC, a hub) lists
    every one, sorted and joined by ', ', so losing any one of them shows in the post-check."""
    by_port: dict[str, list[str]] = {}
    for row in lldp_neighbor_rows(text):
        by_port.setdefault(row["local"], []).append(row["device"])
    return {port: ", ".join(sorted(devices)) for port, devices in by_port.items()}


def bgp_neighbors(text: str) -> dict[str, str]:
    """BGP summary (IOS, NX-OS, EOS with or without its Description column, Junos): neighbour address ->
    session state ('Established', 'Active', 'Idle (Admin)', 'Idle(NoIf)'...)."""
    lines = clean(text).splitlines()
    out = {}
    i = 0
    while i < len(lines):
        cols = lines[i].split()
        i += 1
        # the address is the first IP followed by the BGP version or AS number (EOS may print a description first)
        start = next(
            (n for n in range(min(len(cols) - 1, 2)) if _is_address(cols[n]) and cols[n + 1].isdigit()),
            None,
        )
        if start is None:
            continue
        cols = cols[start:]
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
            if word.lower().split("(")[0] in _BGP_STATES:
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


def _is_address(word: str) -> bool:
    return bool(_IP.match(word)) and ("." in word or ":" in word)


def compare(before: dict[str, dict[str, str] | str], after: dict[str, dict[str, str] | str]) -> list[dict]:
    """Every item whose state changed, appeared or disappeared between two snapshots.

    A check unreadable after the reload that had rows before is one difference (item ``*``, after
    ``unreadable``): nothing compared is not a pass. A check unreadable before is compared with nothing
    (see ``unread``)."""
    diffs = []
    for check in sorted(set(before) | set(after)):
        old, new = before.get(check) or {}, after.get(check) or {}
        if old == UNREADABLE:
            continue
        if new == UNREADABLE:
            if old:
                diffs.append({"check": check, "item": "*", "before": f"{len(old)} rows", "after": UNREADABLE})
            continue
        for item in sorted(set(old) | set(new)):
            if old.get(item) != new.get(item):
                diffs.append({"check": check, "item": item, "before": old.get(item), "after": new.get(item)})
    return diffs


def unread(before: dict, after: dict) -> list[str]:
    """The checks that could not be compared because one side was unreadable (and had no rows to lose)."""
    return sorted(
        check
        for check in set(before) | set(after)
        if UNREADABLE in (before.get(check), after.get(check))
        and not (after.get(check) == UNREADABLE and isinstance(before.get(check), dict) and before.get(check))
    )

# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stack members, redundant supervisors and modules, and the software version each one runs.

A stack member or standby supervisor left on the old image is invisible in the active unit's own
``show version`` line, so the post-check reads every unit: run ``COMMANDS[platform]`` and hand the outputs
(command -> text) to ``members``. Each member is ``{"id", "role", "version", "state"}`` with role
``active`` | ``standby`` | ``member`` and ``version`` the version a person reads (None when the device does
not print one for that unit). A device without stack, redundancy or module information gives ``[]``;
an output that is a device error ('% Invalid input', the command does not exist on that model) is skipped.
"""

from __future__ import annotations

import re

from .parsers import clean, display_version, junos_version

COMMANDS: dict[str, tuple[str, ...]] = {
    # 'show version' carries the per-switch SW Version table of Catalyst stacks
    "cisco_ios": ("show version", "show switch", "show redundancy"),
    "cisco_nxos": ("show module",),
    "arista_eos": ("show module",),
    "juniper_junos": ("show version",),
}

_ROLES = {"active": "active", "master": "active", "standby": "standby", "backup": "standby", "member": "member"}
_DEVICE_ERROR = re.compile(
    r"^\s*(%\s*(Invalid|Incomplete|Ambiguous)|\^|error:|syntax error|unknown command)", re.I | re.M
)
_VERSION_WORD = re.compile(r"^\d+\.\d+[\w().-]*$")


def members(platform: str, outputs: dict[str, str]) -> list[dict]:
    """Every unit the outputs of ``COMMANDS[platform]`` show, with its role, version and state."""
    if platform not in COMMANDS:
        raise KeyError(f"no stack commands for platform {platform!r}: use one of {', '.join(sorted(COMMANDS))}")
    texts = {cmd: clean(outputs.get(cmd) or "") for cmd in COMMANDS[platform]}
    texts = {cmd: text for cmd, text in texts.items() if text.strip() and not _DEVICE_ERROR.search(text)}
    return _READERS[platform](texts)


def _member(unit: str, role: str | None, version: str | None, state: str | None) -> dict:
    return {"id": unit, "role": role or "member", "version": display_version(version), "state": state}


# -- Cisco IOS / IOS-XE ---------------------------------------------------------------------------
def ios_switch_table(text: str) -> dict[str, dict]:
    """'show version' of a Catalyst: 'Switch Ports Model SW Version SW Image [Mode]' -> number -> row."""
    rows = {}
    header = re.search(r"^Switch\s+Ports\s+Model\s+SW Version", text, re.M)
    if not header:
        return rows
    for line in text[header.end() :].splitlines()[1:]:
        row = re.match(r"^\s*(\*)?\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(INSTALL|BUNDLE))?\s*$", line)
        if row:
            rows[row.group(2)] = {"local": bool(row.group(1)), "version": row.group(5), "mode": row.group(7)}
        elif line.strip() and not line.startswith("---"):
            break
    return rows


def ios_switch(text: str) -> dict[str, dict]:
    """'show switch' / 'show switch detail': number -> role and current state ('Ready', 'V-Mismatch')."""
    rows = {}
    for line in text.splitlines():
        row = re.match(
            r"^\s*\*?\s*(\d+)\s+(Active|Standby|Member|Master|Slave)\s+[0-9a-fA-F]{4}\.\S+\s+\d+\s+\S+\s+(.+?)\s*$",
            line,
        )
        if row:
            role = _ROLES.get(row.group(2).lower(), "member")
            rows[row.group(1)] = {"role": role, "state": row.group(3)}
    return rows


def ios_redundancy(text: str) -> list[dict]:
    """'show redundancy': the active and the peer supervisor (or SVL switch) with their image versions."""
    units = []
    for part in re.split(r"^\s*(?=Current Processor Information|Peer Processor Information)", text, flags=re.M)[1:]:
        where = re.search(r"^\s*(Active|Standby) Location\s*=\s*(.+?)\s*$", part, re.M)
        state = re.search(r"^\s*Current Software state\s*=\s*(.+?)\s*$", part, re.M)
        image = re.search(
            r"Image Version\s*=\s*(.*?)(?=^\s*(?:Copyright|Technical Support|\S+\s*=)|\Z)", part, re.M | re.S
        )
        # a long version can wrap: 'Version 12.2(20)EWA(3\n .92),'
        joined = re.sub(r"\n\s*", "", image.group(1)) if image else ""
        version = re.search(r"Version\s+([^,\s]+)", joined)
        if not where and not state:
            continue
        units.append(
            {
                "id": where.group(2) if where else None,
                "role": where.group(1).lower() if where else None,
                "version": version.group(1) if version else None,
                "state": state.group(1) if state else None,
            }
        )
    return units


def _ios(texts: dict[str, str]) -> list[dict]:
    table = ios_switch_table(texts.get("show version", ""))
    switch = ios_switch(texts.get("show switch", ""))
    redundancy = ios_redundancy(texts.get("show redundancy", ""))
    if switch or len(table) > 1:
        out = []
        for unit in sorted(set(switch) | set(table), key=int):
            row, sw = table.get(unit, {}), switch.get(unit, {})
            role = sw.get("role") or ("active" if row.get("local") and not switch else None)
            out.append(_member(unit, role, row.get("version"), sw.get("state")))
        return out
    if redundancy:
        return [_member(u["id"], u["role"], u["version"], u["state"]) for u in redundancy]
    return [_member(unit, "active", row["version"], None) for unit, row in table.items()]


# -- NX-OS and EOS 'show module' ------------------------------------------------------------------
def _module_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Split 'show module' into its tables: (header words, rows split on runs of 2+ spaces or known columns)."""
    tables = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^(Mod|Module)\s+\S", line) and index + 1 < len(lines) and re.match(r"^-{2,}", lines[index + 1]):
            rows = []
            for row in lines[index + 2 :]:
                if not row.strip() or re.match(r"^(Mod|Module)\s+\S", row):
                    break
                rows.append(row)
            tables.append((line, rows))
    return tables


def _column(header: str, rows: list[str], name: str) -> dict[str, str]:
    """Values of the column ``name`` by module, taken from where the header puts that column."""
    match = re.search(rf"(?<!\S){re.escape(name)}(?!\S)", header)
    if not match:
        return {}
    out = {}
    for row in rows:
        unit = row.split()[0]
        # a value starts at the column's first character or at the word that covers it
        start = match.start()
        while start > 0 and start <= len(row) and row[start - 1 : start].strip():
            start -= 1
        value = row[start:].split()
        out[unit] = value[0] if value else ""
        if name == "Status" and value:
            out[unit] = " ".join(value[:2]) if value[1:2] == ["*"] else value[0]
    return out


def _modules(texts: dict[str, str]) -> list[dict]:
    text = texts.get("show module", "")
    software: dict[str, str] = {}
    status: dict[str, str] = {}
    kind: dict[str, str] = {}
    for header, rows in _module_tables(text):
        if re.search(r"\bSw\b", header):
            software.update(_column(header, rows, "Sw"))
        if re.search(r"\bStatus\b", header):
            status.update(_column(header, rows, "Status"))
        if re.search(r"Module-Type|Card Type", header):
            for row in rows:
                kind[row.split()[0]] = row
    out = []
    for unit in software:
        version = software.get(unit, "")
        state = status.get(unit)
        supervisor = "supervisor" in kind.get(unit, "").lower()
        if not _VERSION_WORD.match(version) and not supervisor:
            continue  # line cards and fabrics without their own software
        lowered = (state or "").lower()
        role = "active" if lowered.startswith("active") else "standby" if "standby" in lowered else "member"
        out.append(_member(unit, role, version if _VERSION_WORD.match(version) else None, state))
    return out


# -- Junos ----------------------------------------------------------------------------------------
def _junos(texts: dict[str, str]) -> list[dict]:
    """'show version' on a virtual chassis / cluster / dual-RE system prints one block per member."""
    text = texts.get("show version", "")
    heads = list(re.finditer(r"^(fpc\d+|node\d+|re\d+|member\d+):\s*$", text, re.M))
    out = []
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(text)
        facts = junos_version(text[head.end() : end])
        out.append(_member(head.group(1), "member", facts["version_raw"], None))
    return out


_READERS = {"cisco_ios": _ios, "cisco_nxos": _modules, "arista_eos": _modules, "juniper_junos": _junos}

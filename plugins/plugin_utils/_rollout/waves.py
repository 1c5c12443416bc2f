# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The rollout's waves as data: check the ``rollout_waves`` list and plan the waves of one run.

A wave is a mapping::

    {name: pilot, hosts: wave_pilot, serial: 1, max_fail_percentage: 0, gate_min_success: 1.0, soak_seconds: 0,
     freeze: true}

``name`` is required; ``hosts`` defaults to ``wave_<name>`` (the group the asset map makes), ``serial`` to 1,
``max_fail_percentage`` to 0 (any failure stops the rollout), ``gate_min_success`` to 1.0, ``soak_seconds`` to 0,
``freeze`` to true for the first wave of the list only: a freezing wave installs what its filters and targets
select and freezes what it installed into the manifest; the waves after it install exactly that manifest.
``approval`` (an approval record is required before the wave touches a host, ``_rollout/approvals.py``) defaults
to true for every wave after the first of the list (``require_approval=False`` turns that default off).
"""

from __future__ import annotations

import re

KEYS = (
    "name",
    "hosts",
    "serial",
    "max_fail_percentage",
    "gate_min_success",
    "soak_seconds",
    "freeze",
    "approval",
    "share",
)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_PERCENT = re.compile(r"^([0-9]+(\.[0-9]+)?)%$")
NO_HOSTS = "localhost:!localhost"  # an empty pattern that matches no host without a warning


class WaveError(ValueError):
    """The waves' data is wrong; the message names the wave and the field."""


def _where(index, wave):
    name = wave.get("name") if isinstance(wave, dict) else None
    return f"rollout_waves[{index}]" + (f" ({name})" if isinstance(name, str) else "")


def _number(value, where, field, low, high, integer=False):
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        what = "an integer" if integer else "a number"
        raise WaveError(f"{where}.{field}: expected {what} from {low} to {high}, got {value!r}")
    return value


def check_serial(value, where):
    """A play's ``serial``: a batch size (1, '10%') or a list of them."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise WaveError(f"{where}: an empty list; give a batch size (1, 5, '10%') or a list of them")
    for item in items:
        if isinstance(item, bool):
            raise WaveError(f"{where}: {item!r} is not a batch size")
        if isinstance(item, int) and item >= 1:
            continue
        match = _PERCENT.match(item) if isinstance(item, str) else None
        if match and 0 < float(match.group(1)) <= 100:
            continue
        raise WaveError(f"{where}: {item!r} is not a batch size (a whole number from 1, or a percentage '10%')")
    return value


def check_waves(waves, require_approval=True):
    """The ``rollout_waves`` list with every field filled in, or WaveError naming the wave and field.

    ``require_approval`` is the default of ``approval`` for the waves after the first (rollout_require_approval)."""
    if isinstance(waves, str) or not isinstance(waves, list):
        raise WaveError(
            f"rollout_waves: expected a list of waves ({{name, hosts, serial, ...}}), got {type(waves).__name__} "
            f"{str(waves)[:80]!r}; to run only some waves use rollout_run_waves"
        )
    if not waves:
        raise WaveError("rollout_waves: the list is empty; define at least one wave")
    checked, seen = [], set()
    for index, wave in enumerate(waves):
        where = _where(index, wave)
        if not isinstance(wave, dict):
            raise WaveError(f"{where}: expected a mapping with at least a name, got {str(wave)[:80]!r}")
        unknown = sorted(set(map(str, wave)) - set(KEYS))
        if unknown:
            raise WaveError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
        name = wave.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise WaveError(f"{where}.name: expected a lower-case name (a-z, 0-9, _; 32 at most), got {name!r}")
        if name in seen:
            raise WaveError(f"{where}.name: wave {name!r} is defined twice")
        seen.add(name)
        hosts = wave.get("hosts", f"wave_{name}")
        if isinstance(hosts, list) and all(isinstance(item, str) for item in hosts):
            hosts = ":".join(hosts)
        if not isinstance(hosts, str) or not hosts.strip():
            raise WaveError(f"{where}.hosts: expected a host pattern, got {hosts!r}")
        freeze = wave.get("freeze", index == 0)
        if not isinstance(freeze, bool):
            raise WaveError(f"{where}.freeze: expected true or false, got {freeze!r}")
        approval = wave.get("approval", bool(require_approval) and index > 0)
        if not isinstance(approval, bool):
            raise WaveError(
                f"{where}.approval: expected true (an approval record is required) or false, got {approval!r}"
            )
        entry = {
            "name": name,
            "hosts": hosts.strip(),
            "serial": check_serial(wave.get("serial", 1), f"{where}.serial"),
            "max_fail_percentage": _number(wave.get("max_fail_percentage", 0), where, "max_fail_percentage", 0, 100),
            "gate_min_success": _number(wave.get("gate_min_success", 1.0), where, "gate_min_success", 0, 1),
            "soak_seconds": _number(wave.get("soak_seconds", 0), where, "soak_seconds", 0, 7 * 86400, integer=True),
            "freeze": freeze,
            "approval": approval,
        }
        if "share" in wave:
            entry["share"] = _number(wave["share"], where, "share", 0, 1)
        checked.append(entry)
    return checked


def selected(waves, run_waves):
    """The waves to run, in the list's order: ``run_waves`` is a list or comma-separated string of names; empty: all."""
    if run_waves is None or run_waves in ("", []):
        return list(waves)
    names = [part.strip() for part in run_waves.split(",")] if isinstance(run_waves, str) else run_waves
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise WaveError(f"rollout_run_waves: expected wave names (a list or 'a,b'), got {run_waves!r}")
    known = [wave["name"] for wave in waves]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise WaveError(f"rollout_run_waves: unknown wave(s) {', '.join(unknown)}; defined: {', '.join(known)}")
    return [wave for wave in waves if wave["name"] in names]


def plan_waves(waves, matched, core, allow_empty=False):
    """Each selected wave with its hosts split into the wave's own batches and its core devices (one at a time).

    ``matched`` is wave name -> the inventory hosts its pattern matches (inventory order), ``core`` the set of core
    hosts. A wave that matches no host is an error naming its pattern (unless ``allow_empty``); a host is in the
    first selected wave that matches it only. The last wave has no gate (nothing follows it).
    """
    taken, planned = set(), []
    for index, wave in enumerate(waves):
        hosts = [host for host in matched.get(wave["name"]) or [] if host not in taken]
        taken.update(hosts)
        if not hosts and not allow_empty:
            raise WaveError(
                f"wave {wave['name']}: its host pattern {wave['hosts']!r} matches no host of the inventory"
                + (" (or only hosts of an earlier wave)" if matched.get(wave["name"]) else "")
                + "; fix rollout_waves or the inventory, or set rollout_allow_empty: true"
            )
        entry = dict(wave)
        entry["index"] = index
        entry["host_list"] = [host for host in hosts if host not in core]
        entry["core_hosts"] = [host for host in hosts if host in core]
        entry["count"] = len(hosts)
        entry["gate"] = index < len(waves) - 1
        planned.append(entry)
    return planned


def needs_change_id(waves):
    """True when a wave that installs the frozen manifest runs (only freezing waves may run without a ticket)."""
    return any(not wave["freeze"] for wave in waves)


def is_core(asset, hostvars, groups, core_group):
    """Core devices go one at a time: an asset of criticality critical, everylayer_core true, or in ``core_group``."""
    criticality = (asset or {}).get("criticality") if isinstance(asset, dict) else None
    flag = hostvars.get("everylayer_core", False)
    flag = flag.strip().lower() in ("1", "true", "yes", "on") if isinstance(flag, str) else bool(flag)
    return criticality == "critical" or flag or core_group in (groups or ())

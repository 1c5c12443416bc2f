# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Rollout waves: explicit when a source gives one, otherwise placed deterministically.

The waves are a list in order, ``[(name, share), ...]``, the last one without a share (it takes the rest): the
same names and order as the rollout's ``rollout_waves`` (a wave there may carry its ``share``, so one list can
serve both). The default is pilot 0.05, staged 0.25, full (the inventory's ``pilot_share``/``staged_share``).

Per platform (an asset's first platform name, or ``unknown``), assets are ordered by criticality (lowest
first; an asset without criticality ranks as ``medium``) and then by a stable hash of their name and the
seed. Walking that order, the first wave's share of the platform's assets (at least one, so the first wave covers
every platform) go to the first wave, up to the first two shares to the second, and so on; the rest to the last
wave. Assets with an explicit wave count toward their wave's quota. The hash is BLAKE2b, so the result does not
depend on Python's hash seed, the order of the sources or the run.
"""

from __future__ import annotations

import hashlib
import math
import re

from .record import CRITICALITY_RANK, platform_keys

DEFAULT_PILOT_SHARE = 0.05
DEFAULT_STAGED_SHARE = 0.25
_UNRANKED = CRITICALITY_RANK["medium"]
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class WaveConfigError(ValueError):
    pass


def stable_hash(name, seed=""):
    return hashlib.blake2b(f"{seed}\0{name}".encode(), digest_size=8).digest()


def check_shares(pilot_share, staged_share):
    for label, share in (("pilot_share", pilot_share), ("staged_share", staged_share)):
        if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1:
            raise WaveConfigError(f"waves.{label} must be a number between 0 and 1, got {share!r}")
    if pilot_share + staged_share > 1:
        raise WaveConfigError(f"waves.pilot_share + waves.staged_share is {pilot_share + staged_share}, more than 1")


def default_waves(pilot_share=DEFAULT_PILOT_SHARE, staged_share=DEFAULT_STAGED_SHARE):
    check_shares(pilot_share, staged_share)
    return [("pilot", pilot_share), ("staged", staged_share), ("full", None)]


def check_wave_list(waves):
    """``[{name, share}, ...]`` (the last without a share) -> ``[(name, share), ...]``, or WaveConfigError."""
    if not isinstance(waves, list) or not waves:
        raise WaveConfigError(f"waves.list must be a non-empty list of {{name, share}}, got {str(waves)[:80]!r}")
    result, total = [], 0.0
    for index, wave in enumerate(waves):
        where = f"waves.list[{index}]"
        if not isinstance(wave, dict) or not isinstance(wave.get("name"), str) or not _NAME.match(wave["name"]):
            raise WaveConfigError(f"{where}: expected {{name, share}} with a lower-case name, got {str(wave)[:80]!r}")
        if wave["name"] in {name for name, _share in result}:
            raise WaveConfigError(f"{where}: wave {wave['name']!r} is listed twice")
        last = index == len(waves) - 1
        share = wave.get("share")
        if last:
            share = None  # the last wave takes the rest
        elif isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise WaveConfigError(f"{where} ({wave['name']}).share: expected a number from 0 to 1, got {share!r}")
        else:
            total += share
        result.append((wave["name"], share))
    if total > 1 + 1e-9:
        raise WaveConfigError(f"waves.list: the shares add up to {round(total, 6)}, more than 1")
    return result


def wave_platform(record):
    keys = platform_keys(record.get("platform") or {})
    return keys[0] if keys else "unknown"


def assign_waves(records, pilot_share=DEFAULT_PILOT_SHARE, staged_share=DEFAULT_STAGED_SHARE, seed="", waves=None):
    """Return ``{name: (wave, origin)}``, ``origin`` being ``explicit`` or ``computed``.

    ``waves`` is the ``[(name, share), ...]`` list (``check_wave_list``); without it pilot/staged/full with the
    given shares. An explicit wave that is not in the list is an error naming the asset.
    """
    waves = list(waves) if waves else default_waves(pilot_share, staged_share)
    names = [name for name, _share in waves]
    by_platform = {}
    for record in records:
        by_platform.setdefault(wave_platform(record), []).append(record)
    result = {}
    for members in by_platform.values():
        total = len(members)
        quotas, cumulative = [], 0.0
        for index, (_name, share) in enumerate(waves):
            if share is None:
                quotas.append(total)
                continue
            cumulative += share
            quota = math.ceil(cumulative * total - 1e-9)
            quotas.append(max(quotas[-1] if quotas else 1, quota if index else max(1, quota)))
        counts = dict.fromkeys(names, 0)
        open_members = []
        for record in members:
            if record.get("wave"):
                if record["wave"] not in counts:
                    raise WaveConfigError(
                        f"asset {record['name']}: wave {record['wave']!r} is not one of the waves {', '.join(names)}"
                    )
                result[record["name"]] = (record["wave"], "explicit")
                counts[record["wave"]] += 1
            else:
                open_members.append(record)
        open_members.sort(
            key=lambda rec: (CRITICALITY_RANK.get(rec.get("criticality"), _UNRANKED), stable_hash(rec["name"], seed))
        )
        for record in open_members:
            placed = 0
            wave = names[-1]
            for name, quota in zip(names, quotas, strict=True):
                placed += counts[name]
                if placed < quota:
                    wave = name
                    break
            counts[wave] += 1
            result[record["name"]] = (wave, "computed")
    return result

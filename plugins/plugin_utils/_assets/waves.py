# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Rollout waves: explicit when a source gives one, otherwise placed deterministically.

Per platform (an asset's first platform name, or ``unknown``), assets are ordered by criticality (lowest
first; an asset without criticality ranks as ``medium``) and then by a stable hash of their name and the
seed. Walking that order, the first ``pilot_share`` of the platform's assets (at least one, so pilot covers
every platform) go to pilot, up to ``pilot_share + staged_share`` go to staged, the rest to full. Assets with an
explicit wave count toward their wave's quota. The hash is BLAKE2b, so the result does not depend on
Python's hash seed, the order of the sources or the run.
"""

from __future__ import annotations

import hashlib
import math

from .record import CRITICALITY_RANK, platform_keys

DEFAULT_PILOT_SHARE = 0.05
DEFAULT_STAGED_SHARE = 0.25
_UNRANKED = CRITICALITY_RANK["medium"]


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


def wave_platform(record):
    keys = platform_keys(record.get("platform") or {})
    return keys[0] if keys else "unknown"


def assign_waves(records, pilot_share=DEFAULT_PILOT_SHARE, staged_share=DEFAULT_STAGED_SHARE, seed=""):
    """Return ``{name: (wave, origin)}``, ``origin`` being ``explicit`` or ``computed``."""
    check_shares(pilot_share, staged_share)
    by_platform = {}
    for record in records:
        by_platform.setdefault(wave_platform(record), []).append(record)
    result = {}
    for members in by_platform.values():
        total = len(members)
        pilot_quota = max(1, math.ceil(pilot_share * total - 1e-9))
        staged_quota = max(pilot_quota, math.ceil((pilot_share + staged_share) * total - 1e-9))
        counts = {"pilot": 0, "staged": 0, "full": 0}
        open_members = []
        for record in members:
            if record.get("wave"):
                result[record["name"]] = (record["wave"], "explicit")
                counts[record["wave"]] += 1
            else:
                open_members.append(record)
        open_members.sort(
            key=lambda rec: (CRITICALITY_RANK.get(rec.get("criticality"), _UNRANKED), stable_hash(rec["name"], seed))
        )
        for record in open_members:
            if counts["pilot"] < pilot_quota:
                wave = "pilot"
            elif counts["pilot"] + counts["staged"] < staged_quota:
                wave = "staged"
            else:
                wave = "full"
            counts[wave] += 1
            result[record["name"]] = (wave, "computed")
    return result

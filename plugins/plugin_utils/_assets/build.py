# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Build the asset map: read the sources, merge, place waves, and shape each host's vars and groups.

The result is plain JSON-able data (what the inventory cache stores), so a cached run skips all of this.
"""

from __future__ import annotations

import os

from .groups import asset_groups
from .merge import IDENTITY_KEYS, merge
from .record import SCALAR_FIELDS, AssetInputError
from .sources import build_sources
from .waves import DEFAULT_PILOT_SHARE, DEFAULT_STAGED_SHARE, WaveConfigError, assign_waves

FORMAT_VERSION = 1
_WAVE_KEYS = {"pilot_share", "staged_share", "seed"}


class AssetMap:
    """Configured once from the plugin's options; ``fingerprint()`` is cheap, ``build()`` does the work."""

    def __init__(self, sources, basedir, waves=None, identity=None):
        self.basedir = basedir
        self.sources = build_sources(sources, basedir)
        waves = waves or {}
        unknown = sorted(set(waves) - _WAVE_KEYS)
        if unknown:
            raise AssetInputError(f"waves: unknown option(s) {', '.join(unknown)}")
        self.pilot_share = waves.get("pilot_share", DEFAULT_PILOT_SHARE)
        self.staged_share = waves.get("staged_share", DEFAULT_STAGED_SHARE)
        self.seed = str(waves.get("seed", ""))
        self.identity = tuple(identity or IDENTITY_KEYS)
        bad = sorted(set(self.identity) - {*IDENTITY_KEYS, "address"})
        if bad or "name" not in self.identity:
            raise AssetInputError(f"identity: must include name, and only name, aliases, serial, address; got {bad}")

    def fingerprint(self):
        """What the cached map depends on: every source file's path, mtime and size, and the settings."""
        files = [[self._rel(path), mtime, size] for source in self.sources for path, mtime, size in source.fingerprint()]
        return {
            "version": FORMAT_VERSION,
            "files": files,
            "waves": [self.pilot_share, self.staged_share, self.seed],
            "identity": list(self.identity),
        }

    def _rel(self, path):
        return os.path.relpath(path, self.basedir)

    def build(self):
        counts = {}

        def counted(source):
            counts[source.name] = 0
            for item in source.read():
                counts[source.name] += 1
                yield item

        try:
            assets, notes = merge([(source.name, counted(source)) for source in self.sources], self.identity)
            waves = assign_waves([asset.record for asset in assets], self.pilot_share, self.staged_share, self.seed)
        except WaveConfigError as exc:
            raise AssetInputError(str(exc)) from None
        hosts, conflicted, wave_counts = [], [], {"pilot": 0, "staged": 0, "full": 0}
        for asset in assets:
            record = asset.record
            wave, wave_origin = waves[record["name"]]
            if wave_origin == "explicit":
                wave_origin = f"explicit:{asset.origin['wave']}"
            record["wave"] = wave
            wave_counts[wave] += 1
            hostvars = dict(record.get("vars") or {})
            if record.get("address"):
                hostvars.setdefault("ansible_host", record["address"])
            if record.get("port"):
                hostvars.setdefault("ansible_port", record["port"])
            hostvars["asset"] = _asset_var(record, wave_origin, asset.sources)
            if asset.conflicts:
                hostvars["asset_conflicts"] = list(asset.conflicts.values())
                conflicted.append(record["name"])
            hosts.append([record["name"], hostvars, asset_groups(record)])
        prefix = self.basedir.rstrip(os.sep) + os.sep
        report = {
            "sources": [
                {
                    "name": source.name,
                    "type": source.TYPE,
                    "files": [self._rel(path) for path in source.files],
                    "records": counts.get(source.name, 0),
                }
                for source in self.sources
            ],
            "assets": len(hosts),
            "waves": wave_counts,
            "conflicts": sum(len(asset.conflicts) for asset in assets),
            "conflicting_assets": conflicted,
            "identity_notes": [note.replace(prefix, "") for note in notes],
            "unknown_fields": [
                {"source": source.name, "file": self._rel(path), "field": column}
                for source in self.sources
                for path, column in source.fieldmap.unknown
            ],
        }
        return {"hosts": hosts, "report": report}


def _asset_var(record, wave_origin, sources):
    asset = {"name": record["name"], "aliases": record.get("aliases", [])}
    for field in SCALAR_FIELDS:
        asset[field] = record.get(field)
    asset["port"] = record.get("port")
    asset["layers"] = record.get("layers", [])
    asset["platform"] = record.get("platform", {})
    asset["components"] = record.get("components", {})
    asset["wave_origin"] = wave_origin
    asset["sources"] = sources
    return asset

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Build the asset map: read the sources, merge, place waves, and shape each host's vars and groups.

The result is plain JSON-able data (what the inventory cache stores), so a cached run skips all of this.
"""

from __future__ import annotations

import os

from .groups import asset_groups
from .guard import VarPolicy, allow_patterns
from .merge import IDENTITY_KEYS, merge
from .record import SCALAR_FIELDS, AssetInputError
from .sources import build_sources
from .waves import (
    DEFAULT_PILOT_SHARE,
    DEFAULT_STAGED_SHARE,
    WaveConfigError,
    assign_waves,
    check_wave_list,
    default_waves,
)

FORMAT_VERSION = 2
_WAVE_KEYS = {"pilot_share", "staged_share", "seed", "list"}
_ASSET_FIELDS = ("name", "aliases", *SCALAR_FIELDS, "port", "layers", "platform", "components")
_EMPTY = {"aliases": list, "layers": list, "platform": dict, "components": dict}


class AssetMap:
    """Configured once from the plugin's options; ``fingerprint()`` is cheap, ``build()`` does the work."""

    def __init__(self, sources, basedir, waves=None, identity=None, allow_vars=None):
        self.basedir = basedir
        self.sources = build_sources(sources, basedir)
        self.allow_vars = allow_patterns(allow_vars, "allow_vars")
        waves = waves or {}
        unknown = sorted(set(waves) - _WAVE_KEYS)
        if unknown:
            raise AssetInputError(f"waves: unknown option(s) {', '.join(unknown)}")
        if "list" in waves and ({"pilot_share", "staged_share"} & set(waves)):
            raise AssetInputError("waves: give either list (names and shares) or pilot_share/staged_share, not both")
        try:
            # the same names (and order) as the rollout's rollout_waves, whose entries may carry their share
            self.waves = (
                check_wave_list(waves["list"])
                if "list" in waves
                else default_waves(
                    waves.get("pilot_share", DEFAULT_PILOT_SHARE), waves.get("staged_share", DEFAULT_STAGED_SHARE)
                )
            )
        except WaveConfigError as exc:
            raise AssetInputError(str(exc)) from None
        self.seed = str(waves.get("seed", ""))
        self.identity = tuple(identity or IDENTITY_KEYS)
        bad = sorted(set(self.identity) - {*IDENTITY_KEYS, "address"})
        if bad or "name" not in self.identity:
            raise AssetInputError(f"identity: must include name, and only name, aliases, serial, address; got {bad}")

    def fingerprint(self):
        """What the cached map depends on: every source file's path, mtime and size, and the settings."""
        files = [
            [self._rel(path), mtime, size] for source in self.sources for path, mtime, size in source.fingerprint()
        ]
        return {
            "version": FORMAT_VERSION,
            "files": files,
            "waves": [[list(wave) for wave in self.waves], self.seed],
            "identity": list(self.identity),
        }

    def _rel(self, path):
        return os.path.relpath(path, self.basedir)

    def build(self):
        counts, policies = {}, {}

        def counted(source):
            """The source's records, each one's host variables checked against what the source may set."""
            counts[source.name] = 0
            policy = policies[source.name] = VarPolicy(source.name, (*self.allow_vars, *source.allow_vars))
            for raw, where in source.read():
                counts[source.name] += 1
                if isinstance(raw.get("vars"), dict):
                    policy.check(raw["vars"], where)
                yield raw, where
            if (
                not counts[source.name]
                and not source.allow_empty
                and (source.files or not getattr(source, "optional", False))
            ):
                read = ", ".join(self._rel(path) for path in source.files) or "its endpoints"
                raise AssetInputError(
                    f"source {source.name}: read no asset from {read}; an empty export usually means a failed "
                    "export, so this is an error (set allow_empty: true on the source if it may be empty)"
                )

        try:
            assets, notes = merge([(source.name, counted(source)) for source in self.sources], self.identity)
            waves = assign_waves([asset.record for asset in assets], seed=self.seed, waves=self.waves)
        except WaveConfigError as exc:
            raise AssetInputError(f"{exc} (the inventory's waves setting)") from None
        hosts, conflicted, wave_counts = [], [], {name: 0 for name, _share in self.waves}
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
            conflicts = list(asset.conflicts.values()) or None
            if conflicts:
                conflicted.append(record["name"])
            values = [record.get(field) for field in _ASSET_FIELDS]
            hosts.append(
                [record["name"], hostvars, values, wave_origin, asset.sources, conflicts, asset_groups(record)]
            )
        prefix = self.basedir.rstrip(os.sep) + os.sep
        report = {
            "assets": len(hosts),
            "waves": wave_counts,
            "conflicts": sum(len(asset.conflicts) for asset in assets),
            "conflicting_assets": len(conflicted),
            "sources": {source.name: counts.get(source.name, 0) for source in self.sources},
            "host_vars": {name: policy.passed for name, policy in policies.items() if policy.passed},
            "identity_notes": [note.replace(prefix, "") for note in notes],
            "unknown_fields": [
                {"source": source.name, "file": self._rel(path), "field": column}
                for source in self.sources
                for column, path in source.fieldmap.unknown.items()
            ],
        }
        return {"asset_fields": list(_ASSET_FIELDS), "hosts": hosts, "report": report}


def host_entries(data):
    """Yield ``(name, hostvars, groups)`` from a built (or cached) map.

    The map keeps each asset as a list of values in ``asset_fields`` order rather than a mapping: the cached
    file is then about half the size and loads about twice as fast.
    """
    fields = data["asset_fields"]
    for name, own_vars, values, wave_origin, sources, conflicts, groups in data["hosts"]:
        asset = dict(zip(fields, values, strict=True))
        for field, empty in _EMPTY.items():
            if asset[field] is None:
                asset[field] = empty()
        asset["wave_origin"] = wave_origin
        asset["sources"] = sources
        hostvars = {**own_vars, "asset": asset}
        if conflicts:
            hostvars["asset_conflicts"] = conflicts
        yield name, hostvars, groups

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""What a pilot wave freezes for Windows hosts: the exact update ids its hosts installed, for ``update_ids`` of the
later waves (the hook the rollout's freeze step calls for assets of layer ``windows``)."""

from __future__ import annotations


class ManifestError(ValueError):
    pass


def frozen_update_ids(records) -> list[str]:
    """Update ids installed by the given windows_updates results (check-mode forecasts and failed tasks excluded).

    One KB installed as two different update ids on two pilot hosts (another revision, another product) is
    kept as both ids: each later host installs only the ids applicable to it. A result without update ids in its
    changes' details is an error: the manifest would not be what pilot installed.
    """
    ids: list[str] = []
    for index, result in enumerate(records or ()):
        if (result or {}).get("layer") != "windows" or result.get("simulated") or result.get("failed"):
            continue
        for change in result.get("changes") or []:
            if change.get("after") is None:
                continue  # a removal
            update_id = (change.get("details") or {}).get("id")
            if not update_id:
                raise ManifestError(
                    f"record {index}: change {change.get('component')!r} has no update id in details.id"
                )
            if update_id not in ids:
                ids.append(update_id)
    return ids

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


def frozen_updates(result) -> dict[str, str]:
    """``{KB: update id}`` a pilot host's windows_updates result installed, for the rollout's frozen manifest.

    The manifest of a Windows host is kept like a package manager's (``{component: exact version}``): the component
    is the KB, the exact "version" the WUA update id that later waves pass to ``update_ids``. Removals, check-mode
    forecasts and other layers give nothing; a change without an update id is an error (see frozen_update_ids).
    """
    frozen: dict[str, str] = {}
    ids = frozen_update_ids([result])
    for change in (result or {}).get("changes") or []:
        update_id = (change.get("details") or {}).get("id")
        if change.get("after") is not None and update_id in ids:
            frozen[str(change.get("component") or update_id)] = update_id
    return frozen

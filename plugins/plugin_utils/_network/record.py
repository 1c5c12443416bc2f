# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network layer's task result around the collection's change record (layer network, kind image)."""

from __future__ import annotations

import copy

from ansible_collections.everylayer.patch.plugins.module_utils import _change

FACT_KEYS = ("version", "versions", "image", "boot", "free", "total", "uptime", "config_saved", "hostname", "pending")


def image_change(component: str, before: str | None, after: str | None, reboot_required: bool = False) -> dict:
    return _change.change(component or "image", "image", before, after, reboot_required=reboot_required)


def rollback(platform, before: dict) -> dict:
    """Enough to boot the image the device ran before this change, from any later run."""
    image = before.get("image")
    return _change.rollback(
        "image",
        {
            "platform": platform.name,
            "image": platform.path(image) if image else None,
            "file": image,
            "version": before.get("version"),
            "boot": list(before.get("boot") or []),
        },
    )


def facts(raw: dict) -> dict:
    return {key: copy.deepcopy(raw.get(key)) for key in FACT_KEYS if key in raw}


def _diff_text(f: dict) -> str:
    boot = ", ".join(f.get("boot") or [])
    return f"version: {f.get('version')}\nimage: {f.get('image')}\nboot: {boot}\n"


def result(
    changed: bool,
    msg: str,
    before: dict,
    after: dict,
    changes: list | None = None,
    pending: list | None = None,
    rollback: dict | None = None,
    reboot_required: bool = False,
    snapshot: dict | None = None,
    simulated: bool = False,
) -> dict:
    out = {"changed": changed, "msg": msg}
    out.update(
        _change.record(
            "network",
            copy.deepcopy(changes or []),
            copy.deepcopy(pending or []),
            reboot_required,
            rollback or _change.rollback("none"),
            simulated=simulated,
        )
    )
    out["facts"] = {"before": facts(before), "after": facts(after)}
    out["diff"] = {
        "before_header": "device before",
        "after_header": "device after",
        "before": _diff_text(before),
        "after": _diff_text(after),
    }
    if snapshot is not None:
        out["snapshot"] = snapshot
    return out


def failure(msg: str, changed: bool, details: dict) -> dict:
    """A failed result that still carries a valid change record (what is known of it)."""
    out = {"failed": True, "changed": changed, "msg": msg}
    rb = details.pop("rollback", None) or _change.rollback("none")
    out.update(
        _change.record(
            "network", details.pop("changes", []), details.pop("pending", []), details.pop("reboot_required", False), rb
        )
    )
    out.update(details)
    return out

"""The network runbook's options as the network_image action hands them over, for tests that drive a Runbook."""

from __future__ import annotations

from pathlib import Path


def runbook_options(tmp_path: Path, **overrides) -> dict:
    """Upgrade sw1 to 17.12.03 from ``tmp_path/new.bin`` (300 bytes, written here): backup on, post-check off, no
    pause between reload polls. ``overrides`` replace any of them."""
    image = tmp_path / "new.bin"
    image.write_bytes(b"x" * 300)
    options = {
        "state": "upgraded",
        "image": str(image),
        "version": "17.12.03",
        "dest": None,
        "delete_images": [],
        "rollback": None,
        "save_unsaved_config": False,
        "backup": True,
        "backup_dir": str(tmp_path / "bk"),
        "postcheck": False,
        "fail_on_postcheck_diff": False,
        "reload_timeout": 5,
        "reload_poll_interval": 0,
        "hash_timeout": 5,
        "inventory_hostname": "sw1",
        "image_md5": None,
    }
    options.update(overrides)
    return options

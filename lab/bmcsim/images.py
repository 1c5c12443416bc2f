"""The lab's firmware image format: a magic line, a JSON manifest line, then payload bytes.

Real images are opaque to the client too; only the simulated BMC reads the manifest.
"""

from __future__ import annotations

import hashlib
import json

MAGIC = b"EVERYLAYER-LAB-FIRMWARE 1\n"


class ImageError(ValueError):
    """The bytes are not a lab firmware image."""


def make_image(component: str, version: str, size: int = 4096) -> bytes:
    manifest = {"component": component, "version": version}
    payload = hashlib.sha256(f"{component}:{version}".encode()).digest() * (size // 32 + 1)
    return MAGIC + json.dumps(manifest, sort_keys=True).encode() + b"\n" + payload[:size]


def read_manifest(data: bytes) -> dict:
    if not data.startswith(MAGIC):
        raise ImageError("not a firmware image (bad magic)")
    line = data[len(MAGIC) :].split(b"\n", 1)[0]
    try:
        manifest = json.loads(line)
    except ValueError as exc:
        raise ImageError(f"bad image manifest: {exc}") from exc
    if not isinstance(manifest, dict) or not {"component", "version"} <= set(manifest):
        raise ImageError("image manifest lacks component/version")
    return manifest


def version_key(version: str) -> tuple:
    """Order dotted versions numerically where both parts are numbers ("1.10" > "1.9")."""
    parts = []
    for piece in version.replace("-", ".").split("."):
        parts.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece))
    return tuple(parts)

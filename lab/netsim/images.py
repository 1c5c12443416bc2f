"""The images the simulated devices boot: a text header naming platform and version, then filler.

Format (all ASCII up to the blank line)::

    EVERYLAYER-NETIMAGE 1
    platform: cisco_ios
    version: 17.12.3
    payload-sha256: <hex of everything after the blank line>

    <payload bytes>

A device boots an image only if the header parses, names the device's platform and the payload
matches its hash; a truncated or corrupted copy therefore fails to boot, like a real one would.
Images are generated at run time (never committed): :func:`make_image`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

MAGIC = b"EVERYLAYER-NETIMAGE 1\n"
HEADER_LIMIT = 4096

#: Default image names and versions per platform: (old/baseline, new/target).
CATALOG = {
    "cisco_ios": (
        ("cat9k_iosxe.17.09.04a.SPA.bin", "17.09.04a"),
        ("cat9k_iosxe.17.12.03.SPA.bin", "17.12.03"),
    ),
    "cisco_nxos": (
        ("nxos64-cs.10.3.6.M.bin", "10.3(6)"),
        ("nxos64-cs.10.4.3.F.bin", "10.4(3)"),
    ),
    "arista_eos": (
        ("EOS-4.27.6M.swi", "4.27.6M"),
        ("EOS-4.31.6M.swi", "4.31.6M"),
    ),
    "juniper_junos": (
        ("junos-install-mx-x86-64-21.4R3-S5.4.tgz", "21.4R3-S5.4"),
        ("junos-install-mx-x86-64-22.4R3.25.tgz", "22.4R3.25"),
    ),
}


def _payload(seed: str, size: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def image_bytes(platform: str, version: str, size: int = 256 * 1024) -> bytes:
    payload = _payload(f"{platform}/{version}", size)
    digest = hashlib.sha256(payload).hexdigest()
    header = MAGIC + f"platform: {platform}\nversion: {version}\npayload-sha256: {digest}\n\n".encode()
    return header + payload


def make_image(path: Path | str, platform: str, version: str, size: int = 256 * 1024) -> Path:
    """Write an image file for ``platform`` that boots ``version``; return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes(platform, version, size))
    return path


def read_header(path: Path) -> dict[str, str] | None:
    """The header of a bootable image, or None when the file is not one (missing, truncated, corrupt)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC):
        return None
    head, sep, payload = data.partition(b"\n\n")
    if not sep or len(head) > HEADER_LIMIT:
        return None
    fields = {}
    for line in head.decode("ascii", "replace").splitlines()[1:]:
        key, _, value = line.partition(": ")
        fields[key] = value
    if hashlib.sha256(payload).hexdigest() != fields.get("payload-sha256"):
        return None
    return fields

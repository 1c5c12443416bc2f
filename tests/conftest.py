"""Test-wide setup: make the repository importable as ansible_collections.everylayer.patch.

pytest.ini puts .collections on sys.path; the link .collections/ansible_collections/everylayer/patch
-> ../../.. (also made by scripts/setup.sh) turns the flat checkout into a collection tree.
"""

import importlib
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINK = REPO / ".collections" / "ansible_collections" / "everylayer" / "patch"


def _ensure_collection_link() -> None:
    if LINK.is_symlink() or LINK.exists():
        return
    LINK.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink("../../..", LINK)
    except FileExistsError:  # another pytest-xdist worker made it first
        pass


_ensure_collection_link()
# pytest put .collections on sys.path before the link may have existed: forget any cached miss.
sys.path_importer_cache.pop(str(REPO / ".collections"), None)
importlib.invalidate_caches()

"""The lab as tests and benchmarks drive it: its command line, and the inventory ``python -m lab up`` wrote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lab.config import Settings

REPO = Path(__file__).resolve().parents[2]


def lab(*args: str, timeout: float = 900) -> str:
    """``python -m lab ARGS`` from the repository root; its output, or a RuntimeError with its own words."""
    command = f"python -m lab {' '.join(args)}"
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{command} did not finish within {timeout:g}s") from exc
    if proc.returncode != 0:
        raise RuntimeError(f"{command} failed (exit {proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc.stdout


def inventory_dir() -> Path:
    """The lab's generated inventory (EVERYLAYER_LAB_INVENTORY_DIR, else inventories/lab/generated, as the lab
    resolves it); a RuntimeError when the lab is not up there."""
    inventory = Settings.resolve().inventory_dir
    if not (inventory / "lab.json").exists():
        raise RuntimeError(f"{inventory}/lab.json is missing: bring the lab up first (python -m lab up)")
    return inventory

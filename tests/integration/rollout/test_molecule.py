"""The rollout roles' molecule scenario (delegated driver against a lab host)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rollout_lab import BASELINE, REPO, reset, versions

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def test_molecule_rollout_roles_scenario(tmp_path):
    reset("lab-apt-02")
    venv_bin = str(Path(sys.executable).parent)
    env = dict(
        os.environ, PATH=venv_bin + os.pathsep + os.environ.get("PATH", ""), VIRTUAL_ENV=str(Path(venv_bin).parent)
    )
    env.pop("ANSIBLE_CONFIG", None)
    # molecule keys its state directory by the project directory's *name* (extensions): give this run its own,
    # so a run from another checkout on the same machine cannot swap the inventory under it
    env["MOLECULE_EPHEMERAL_DIRECTORY"] = str(tmp_path / "molecule")
    proc = subprocess.run(
        [os.path.join(venv_bin, "molecule"), "test", "-s", "rollout_roles"],
        cwd=REPO / "extensions",
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, failure_excerpt(out)
    for step in ("converge", "idempotence", "verify", "cleanup"):
        assert f"{step}: Executed: Successful" in out.replace("\x1b", "").replace("[0m", "").replace(
            "[32m", ""
        ).replace("[33m", ""), step
    # cleanup ran the rollback role: the host is back at its baseline
    assert versions("lab-apt-02") == BASELINE


def failure_excerpt(out: str) -> str:
    """What went wrong: every failed task's result (molecule prints the steps and cleanup after it), then the tail."""
    marks = [i for i, line in enumerate(out.splitlines()) if line.startswith(("fatal:", "failed:", "An exception"))]
    lines = out.splitlines()
    parts = ["\n".join(lines[max(0, i - 3) : i + 3])[:3000] for i in marks[:3]]
    return "\n...\n".join(parts + [out[-2500:]])

"""Golden files of `ansible-inventory --list` for fixed sources.

Regenerate after an intended change (then review the diff):
    REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/integration/assets
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
ANSIBLE_INVENTORY = Path(sys.executable).with_name("ansible-inventory")
REGENERATE = os.environ.get("REGENERATE_GOLDEN") == "1"


def inventory_list(config, *args):
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}
    done = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(config), "--list", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=config.parent,
    )
    assert done.returncode == 0, done.stderr
    assert "Unable to parse" not in done.stderr, done.stderr
    return json.loads(done.stdout), done.stderr


def compare(name, data):
    golden = HERE / "golden" / name
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if REGENERATE:
        golden.write_text(text)
    assert golden.exists(), f"{golden} is missing: run REGENERATE_GOLDEN=1 .venv/bin/python -m pytest {HERE}"
    assert text == golden.read_text(), f"output differs from {golden}; if intended, regenerate (see module docstring)"


@pytest.fixture
def sources(tmp_path):
    copy = tmp_path / "sources"
    shutil.copytree(HERE / "sources", copy)
    return copy


def test_mixed_sources_list(sources):
    data, stderr = inventory_list(sources / "mixed.assets.yml")
    compare("mixed.json", data)
    assert "conflicting value(s)" in stderr


def test_mixed_sources_export(sources):
    data, _ = inventory_list(sources / "mixed.assets.yml", "--export")
    compare("mixed-export.json", data)


def test_committed_lab_config(sources, tmp_path):
    """inventories/lab/assets.yml, the lab's inventory, over a sample of the lab's generated lab.json."""
    lab = tmp_path / "lab"
    (lab / "generated").mkdir(parents=True)
    shutil.copy(REPO / "inventories" / "lab" / "assets.yml", lab / "assets.yml")
    shutil.copy(sources / "generated" / "lab.json", lab / "generated" / "lab.json")
    data, _ = inventory_list(lab / "assets.yml")
    compare("lab.json", data)

"""The HTML report rendered by a real browser (Debian's chromium, headless) shows the evidence."""

import os
import shutil
import subprocess

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.actions import write_report
from evidence_helpers import HERE, run_playbook

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium not found: install the Debian package 'chromium' (scripts/apt-packages.txt)"
    return path


def test_report_renders_in_chromium(tmp_path):
    store = tmp_path / "ev.sqlite"
    assert run_playbook(HERE / "smoke.yml", store, "-l", "node1,node2", "-e", "change_id=CHG-5").returncode == 0
    page = write_report(str(tmp_path / "out"), ["html"], store=str(store))["paths"]["html"]
    env = dict(
        os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache")
    )
    argv = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", f"file://{page}"]
    dom = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False).stdout
    assert "evidence verified: 14 records in 1 runs" in dom
    assert '<div class="tile" id="tile-changes"><b>4</b>Changes</div>' in dom
    assert '<div class="tile" id="tile-rollbacks"><b>2</b>Rollbacks</div>' in dom
    assert '<svg id="chart-layers"' in dom and '<svg id="chart-hosts"' in dom and "node2" in dom
    assert "lab-agent" in dom and "1.0-1" in dom and "1.1-1" in dom and "CHG-5" in dom
    assert "broken failed to install" in dom and "kind=gate" in dom

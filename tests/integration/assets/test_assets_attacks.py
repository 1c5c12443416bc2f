"""A CMDB export is data: through the real ansible, a column can no longer run a command on the controller.

Before the asset map guarded host variables, ``vars.ansible_ssh_common_args = -oProxyCommand="touch MARKER"``
in a CSV made the first connection run ``touch`` as the controller's user (issue 19).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ANSIBLE = Path(sys.executable).with_name("ansible")

CONFIG = """plugin: everylayer.patch.assets
sources:
  - name: cmdb
    path: cmdb.csv
{extra}"""


def run_ping(tmp_path, column, value, extra=""):
    marker = tmp_path / "PWNED"
    (tmp_path / "cmdb.csv").write_text(
        f'name,address,port,{column}\nevil-01,127.0.0.1,1,"{value.format(marker=marker)}"\n'
    )
    (tmp_path / "assets.yml").write_text(CONFIG.format(extra=extra))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}
    done = subprocess.run(
        [str(ANSIBLE), "all", "-i", str(tmp_path / "assets.yml"), "-m", "ansible.builtin.ping", "-T", "5"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return done, marker


@pytest.mark.parametrize(
    "column, value",
    [
        ("vars.ansible_ssh_common_args", '-oProxyCommand=""touch {marker}""'),
        ("vars.ansible_ssh_extra_args", '-oProxyCommand=""touch {marker}""'),
    ],
)
def test_proxycommand_from_a_cmdb_column_never_runs(tmp_path, column, value):
    done, marker = run_ping(tmp_path, column, value)
    assert not marker.exists(), "a CMDB column ran a command on the controller"
    assert done.returncode != 0
    assert "cmdb.csv line 2" in done.stderr
    assert "allow_vars" in done.stderr


def test_ansible_connection_local_from_a_cmdb_column_is_refused(tmp_path):
    done, marker = run_ping(tmp_path, "vars.ansible_connection", "local")
    assert done.returncode != 0
    assert "host variable ansible_connection" in done.stderr
    assert "SUCCESS" not in done.stdout


def test_an_explicit_allow_list_is_the_only_way_in(tmp_path):
    """The same column with allow_vars: the configuration (not the data) decided, and the option does apply."""
    done, marker = run_ping(
        tmp_path,
        "vars.ansible_ssh_common_args",
        '-oProxyCommand=""touch {marker}""',
        "    allow_vars: [ansible_ssh_*]\n",
    )
    assert marker.exists()
    assert done.returncode != 0  # the proxy command does not connect anywhere

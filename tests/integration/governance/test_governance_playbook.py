# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The governance filters in a real ansible-playbook run (local connection, no lab): risk_rank's groups let a
play target "everything P1 now"; an expired exception fails the task that evaluates the baseline."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).parent
REPO = HERE.parents[2]
KEV = REPO / "tests" / "fixtures" / "advisories" / "kev" / "known_exploited_vulnerabilities_slice.json"
PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))

POLICY = """\
baselines:
  - name: debian-os
    match: {layer: [os], platform: [debian]}
    approve_after_days: {critical: 0, high: 3, medium: 7, low: 14, unknown: 14}
    expedite: {kev: true}
"""


def run(tmp_path, expires):
    (tmp_path / "policy.yml").write_text(POLICY)
    (tmp_path / "exceptions.yml").write_text(
        textwrap.dedent(f"""\
        exceptions:
          - id: EXC-7
            assets: [db01]
            packages: [tzdata]
            reason: frozen for the year-end close
            owner: finance-it
            approver: cab
            expires: {expires}
        """)
    )
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    extra = [
        "-e",
        f"policy_file={tmp_path / 'policy.yml'}",
        "-e",
        f"exceptions_file={tmp_path / 'exceptions.yml'}",
        "-e",
        f"kev_file={KEV}",
        "-e",
        "today=2026-12-07",
    ]
    cmd = [PLAYBOOK, "-i", str(HERE / "inventory.yml"), str(HERE / "priority.yml"), *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_priority_group_targets_the_p1_host_only(tmp_path):
    proc = run(tmp_path, "2027-01-31")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "P1 web01 installs openssl" in proc.stdout  # KEV on an internet-facing asset, expedited
    assert "P1 db01" not in proc.stdout and "P1 idle01" not in proc.stdout


def test_expired_exception_fails_the_evaluation(tmp_path):
    proc = run(tmp_path, "2026-12-01")
    assert proc.returncode != 0
    assert "exception EXC-7 expired on 2026-12-01" in proc.stdout
    assert "exceptions.yml line 8" in proc.stdout  # its expires line

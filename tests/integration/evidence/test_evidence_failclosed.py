"""Evidence fails closed, end to end with the real ansible-playbook: a store set only in ansible.cfg is the store
every reader opens; a typo in an option or a missing callback stops the run before any host is touched."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store
from evidence_helpers import ANSIBLE_PLAYBOOK, HERE, INVENTORY, REPO

PLAYBOOK = """
- name: Patch with evidence required
  hosts: node1,node2
  gather_facts: false
  tasks:
    - name: Refuse to go on without evidence
      everylayer.patch.evidence_preflight:
      run_once: true
      register: preflight
    - name: Patch
      evidence_probe:
        component: pkg-a
        before: "https://admin:Cfg-Pl4nted@fw.example/img.bin"
      register: patched
    - name: Gate on the recorded outcomes
      ansible.builtin.set_fact:
        gate: "{{ lookup('everylayer.patch.evidence_gate', ['node1', 'node2']) }}"
        changes: "{{ query('everylayer.patch.evidence_changes', preflight.run_id) }}"
      run_once: true
    - name: The rollout's gate, on the same evidence
      everylayer.patch.rollout_gate:
        wave: pilot
        hosts: [node1, node2]
        run_id: "{{ preflight.run_id }}"
      run_once: true
      register: rollout_gate
    - name: Verify the store (this run has no run_end yet, and is left out as the current run)
      everylayer.patch.evidence_verify:
      run_once: true
      register: verified
    - name: Write the report
      everylayer.patch.evidence_report:
        dest: "{{ report_dir }}"
      run_once: true
    - name: Hand the readers' view to the test
      ansible.builtin.copy:
        dest: "{{ report_dir }}/view.json"
        content: "{{ {'preflight': preflight, 'gate': gate, 'changes': changes | length, 'rollout_gate': rollout_gate,
                      'verified': verified.verified, 'records': verified.records} | to_json }}"
        mode: "0600"
      run_once: true
"""


def cfg(path: Path, section: str, enabled=True) -> Path:
    base = (REPO / "ansible.cfg").read_text().replace("./.collections", str(REPO / ".collections"))
    if not enabled:
        base = base.replace("[defaults]\n", "[defaults]\n", 1)
    else:
        base = base.replace("[defaults]\n", "[defaults]\ncallbacks_enabled = everylayer.patch.evidence\n", 1)
    path.write_text(base + "\n[everylayer_evidence]\n" + section)
    return path


def run(tmp_path, config_file, *args, **extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVERYLAYER_EVIDENCE", "ANSIBLE_"))}
    env.update(
        ANSIBLE_CONFIG=str(config_file),
        ANSIBLE_LIBRARY=str(HERE / "library"),
        ANSIBLE_NOCOLOR="1",
        HOME=str(tmp_path / "home"),  # the default store would land here: it must not
    )
    env.update(extra_env)
    playbook = tmp_path / "patch.yml"
    playbook.write_text(PLAYBOOK)
    return subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", INVENTORY, str(playbook), "-e", f"report_dir={tmp_path / 'reports'}", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(tmp_path),
        check=False,
    )


def test_a_store_set_only_in_ansible_cfg_is_read_by_every_gate_and_reader(tmp_path):
    store = tmp_path / "cfg-only.sqlite"
    config_file = cfg(tmp_path / "ansible.cfg", f"store = {store}\n")
    proc = run(tmp_path, config_file, "-e", "everylayer_run_id=cfg-run-1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    view = json.loads((tmp_path / "reports" / "view.json").read_text())
    assert view["preflight"]["recording"] and view["preflight"]["run_id"] == "cfg-run-1"
    assert view["preflight"]["store"] == str(store)
    assert view["gate"]["run_id"] == "cfg-run-1" and view["gate"]["outcomes"] == {
        "node1": "patched",
        "node2": "patched",
    }
    assert view["rollout_gate"]["passed"] and view["rollout_gate"]["everylayer_decision"]["outcomes"] == {
        "node1": "patched",
        "node2": "patched",
    }
    # run_start, 2 changes and the rollout gate's decision so far
    assert view["changes"] == 2 and view["verified"] and view["records"] == 4
    assert not (tmp_path / "home" / ".local").exists()  # nobody fell back to the default store
    with open_store(str(store), readonly=True) as db:
        records = list(db.records())
    assert {r.run_id for r in records} == {"cfg-run-1"} and records[-1].kind == "run_end"
    assert [r.kind for r in records].count("intent") == 0  # evidence_probe is not a patch action by default
    for path in [store, *(tmp_path / "reports").iterdir()]:
        assert b"Cfg-Pl4nted" not in path.read_bytes()


def test_a_typo_in_ansible_cfg_stops_the_run_before_any_task(tmp_path):
    store = tmp_path / "ev.sqlite"
    config_file = cfg(tmp_path / "ansible.cfg", f"store = {store}\non_error = fial\n")
    proc = run(tmp_path, config_file)
    assert proc.returncode == 16, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "option 'on_error'" in out and str(config_file) in out and "'fial'" in out
    assert "TASK [Patch]" not in out and not store.exists()


def test_a_bad_environment_value_stops_the_run(tmp_path):
    """The other options and values are unit tests (test_evidence_callback_failclosed.py): one real run suffices."""
    config_file = cfg(tmp_path / "ansible.cfg", f"store = {tmp_path / 'ev.sqlite'}\n")
    proc = run(tmp_path, config_file, EVERYLAYER_EVIDENCE_RETENTION_DAYS="ten")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 16 and "option 'retention_days'" in out and "EVERYLAYER_EVIDENCE_RETENTION_DAYS" in out
    assert "TASK [Patch]" not in out, out


def test_without_the_callback_the_preflight_refuses_naming_the_cause(tmp_path):
    config_file = cfg(tmp_path / "ansible.cfg", f"store = {tmp_path / 'ev.sqlite'}\n", enabled=False)
    proc = run(tmp_path, config_file)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "not enabled" in out and "callbacks_enabled" in out, out
    assert "TASK [Patch]" not in out


def test_a_store_the_callback_cannot_write_is_named_by_the_preflight(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    config_file = cfg(tmp_path / "ansible.cfg", f"store = {blocker / 'ev.sqlite'}\non_error = warn\n")
    proc = run(tmp_path, config_file)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "cannot write its store" in out and "TASK [Patch]" not in out, out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))

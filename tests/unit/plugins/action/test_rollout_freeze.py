# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""everylayer.patch.rollout_freeze: after a freezing wave, one task freezes what its patched hosts installed, writes
the manifest file the later waves (or a later run) read, records the decision and hands the manifest on."""

from __future__ import annotations

import json
import os
import stat
from types import SimpleNamespace

from ansible.plugins.action import ActionBase
from ansible_collections.everylayer.patch.plugins.action import rollout_freeze
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.plan import load_manifest, write_manifest

HOSTVARS = {
    "apt-1": {
        "rollout_outcome": "patched",
        "rollout_plan": {"layer": "os", "manifest_group": "apt"},
        "apply_result": {"changes": [{"component": "openssl", "kind": "package", "before": "1", "after": "2"}]},
    },
    "apt-2": {"rollout_outcome": "failed", "rollout_plan": {"layer": "os", "manifest_group": "apt"}},
    "sw-1": {
        "rollout_outcome": "patched",
        "rollout_plan": {"layer": "network", "target_name": "eos", "target": {"image": "eos.swi", "version": "4.2"}},
    },
}


def run(args, monkeypatch, check_mode=False, hostvars=None):
    action = rollout_freeze.ActionModule.__new__(rollout_freeze.ActionModule)
    full = {"wave": "pilot", "hosts": ["apt-1", "apt-2", "sw-1"], "run_id": "run-1", "change_id": "CHG-1"}
    full.update(args)
    action._task = SimpleNamespace(check_mode=check_mode, args=full)
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    return action.run(task_vars={"hostvars": HOSTVARS if hostvars is None else hostvars})


def test_one_task_freezes_writes_records_and_hands_on_what_the_wave_installed(tmp_path, monkeypatch):
    dest = tmp_path / "manifests" / "run-1.json"
    result = run({"dest": str(dest), "manifest": {"dnf": {"curl": "8"}}}, monkeypatch)
    manifest = {
        "dnf": {"curl": "8"},
        "apt": {"openssl": "2"},
        "network": {"eos": {"image": "eos.swi", "version": "4.2"}},
    }
    assert result["manifest"] == manifest and result["ansible_facts"] == {"rollout_manifest": manifest}
    assert result["changed"] is True and not result.get("failed")
    assert load_manifest(str(dest)) == manifest  # what a later run's rollout_manifest_file reads
    assert json.loads(dest.read_text())["run_id"] == "run-1"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600 and stat.S_IMODE(os.stat(dest.parent).st_mode) == 0o700
    decision = result["everylayer_decision"]
    assert decision == {
        "kind": "manifest_frozen",
        "wave": "pilot",
        "manifest": manifest,
        "path": str(dest),
        "planned_only": False,
    }
    stats = result["ansible_stats"]
    assert stats["per_host"] is False and stats["data"]["rollout_frozen"]["manifest"] == manifest
    assert stats["data"]["rollout_frozen"]["change_id"] == "CHG-1"


def test_the_same_manifest_again_changes_nothing(tmp_path, monkeypatch):
    dest = tmp_path / "run-1.json"
    assert run({"dest": str(dest)}, monkeypatch)["changed"] is True
    assert run({"dest": str(dest)}, monkeypatch)["changed"] is False


def test_check_mode_writes_nothing_and_records_the_plan(tmp_path, monkeypatch):
    dest = tmp_path / "run-1.json"
    result = run({"dest": str(dest)}, monkeypatch, check_mode=True)
    assert not dest.exists() and result["changed"] is False and "ansible_stats" not in result
    assert result["everylayer_decision"]["planned_only"] is True and result["everylayer_decision"]["path"] is None
    assert result["ansible_facts"]["rollout_manifest"]["apt"] == {"openssl": "2"}


def test_nothing_frozen_writes_no_file(tmp_path, monkeypatch):
    dest = tmp_path / "run-1.json"
    result = run({"dest": str(dest), "hosts": ["apt-2"]}, monkeypatch)
    assert result["manifest"] == {} and not dest.exists() and "ansible_stats" not in result
    assert result["everylayer_decision"]["path"] is None


def test_two_hosts_that_installed_different_versions_fail_the_task_naming_them(tmp_path, monkeypatch):
    other = dict(HOSTVARS["apt-1"], apply_result={"changes": [{"component": "openssl", "after": "3"}]})
    result = run(
        {"dest": str(tmp_path / "x.json"), "hosts": ["apt-1", "apt-3"]},
        monkeypatch,
        hostvars=dict(HOSTVARS, **{"apt-3": other}),
    )
    assert result["failed"] is True and "openssl" in result["msg"] and "2 and 3" in result["msg"]
    assert not (tmp_path / "x.json").exists()


def test_a_manifest_that_cannot_be_written_fails_naming_the_path(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run({"dest": str(blocker / "run-1.json")}, monkeypatch)
    assert result["failed"] is True and str(blocker / "run-1.json") in result["msg"]


def test_the_manifest_file_is_replaced_whole(tmp_path):
    dest = tmp_path / "m.json"
    assert write_manifest(str(dest), "r", None, {"apt": {"a": "1"}}) is True
    assert write_manifest(str(dest), "r", None, {"apt": {"a": "2"}}) is True
    assert load_manifest(str(dest)) == {"apt": {"a": "2"}}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temporary file left behind

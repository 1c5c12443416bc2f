# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout's plan task patches an OS host itself (rollout_host_plan os_patch): one task per OS host instead of a
plan task, a patch task, a skipped include and a set_fact (docs/benchmarks.md). What it runs on the host, what it
hands on (the change record, the outcome), and that it runs exactly what the apply role's os entry point runs. The
module call on the host is stubbed; tests/integration/rollout runs the same on the lab's hosts."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.action import ActionBase
from ansible.template import Templar, trust_as_template
from ansible_collections.everylayer.patch.plugins.action import rollout_host_plan
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.os_patch import module_args

OS_YML = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "apply", "tasks", "os.yml")
OS_HOST = {"inventory_hostname": "lab-apt-01", "group_names": []}
SETTINGS = {
    "names": [],
    "exclude": [],
    "security_only": False,
    "severity": None,
    "advisories": [],
    "lock_timeout": 120,
    "precheck": {"disk": [{"path": "/", "min_free_mb": 10}]},
    "postcheck": {"verify_versions": True},
}
PATCHED = {
    "changed": True,
    "layer": "os",
    "changes": [{"component": "openssl", "kind": "package", "before": "1", "after": "2"}],
    "rollback": {"strategy": "packages", "data": {"before": {"openssl": "1"}}},
    "reboot_required": False,
    "msg": "1 package(s) updated",
}


def run(args, module_result=None, task_vars=None, monkeypatch=None):
    """The plan action's run() with its options, the host's module call stubbed; returns (result, module calls)."""
    action = rollout_host_plan.ActionModule.__new__(rollout_host_plan.ActionModule)
    task_vars = dict(OS_HOST, **(task_vars or {}))
    action._templar = Templar(loader=DataLoader(), variables=task_vars)
    full = {"wave": "pilot", "asset": {"layers": ["os"]}, "manifest_group": "apt"}
    full.update(args)
    action._task = SimpleNamespace(check_mode=False, args=full, module_defaults=[])
    calls = []

    def execute(module_name=None, module_args=None, task_vars=None):
        calls.append((module_name, dict(module_args)))
        return dict(module_result if module_result is not None else PATCHED)

    action._execute_module = execute
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    return action.run(task_vars=task_vars), calls


def test_an_os_host_is_planned_and_patched_in_one_task(monkeypatch):
    result, calls = run({"freeze": True, "os_patch": SETTINGS}, monkeypatch=monkeypatch)
    assert calls == [
        (
            "everylayer.patch.packages",
            {
                "state": "patched",
                "lock_timeout": 120,
                "security_only": False,
                "precheck": SETTINGS["precheck"],
                "postcheck": SETTINGS["postcheck"],
            },
        )
    ]
    # the module's change record, which the evidence callback records and the rollout registers as apply_result
    assert result["changed"] is True and result["layer"] == "os" and result["changes"] == PATCHED["changes"]
    assert result["rollback"] == PATCHED["rollback"] and result["plan"]["layer"] == "os"
    assert result["ansible_facts"]["rollout_outcome"] == "patched"  # done: host.yml ends it here
    assert result["ansible_facts"]["rollout_plan"] == result["plan"]


def test_a_later_wave_installs_exactly_its_share_of_the_frozen_manifest(monkeypatch):
    settings = dict(SETTINGS, names=["openssl*"], security_only=True, exclude=["kernel*"])
    manifest = {"apt": {"openssl": "2"}, "dnf": {"openssl": "3"}}
    result, calls = run({"freeze": False, "manifest": manifest, "os_patch": settings}, monkeypatch=monkeypatch)
    args = calls[0][1]
    assert args["manifest"] == {"openssl": "2"} and args["exclude"] == ["kernel*"]
    assert "names" not in args and "security_only" not in args  # the packages module refuses filters beside it
    assert result["ansible_facts"]["rollout_outcome"] == "patched"


@pytest.mark.parametrize(
    ("policy", "reboot_required", "outcome"),
    [
        ("when_required", True, "pending"),
        ("when_required", False, "patched"),
        ("always", False, "pending"),
        ("never", True, "patched"),
    ],
)
def test_a_host_that_must_reboot_goes_on_to_the_roles(monkeypatch, policy, reboot_required, outcome):
    patched = dict(PATCHED, reboot_required=reboot_required)
    result, _calls = run(
        {"freeze": True, "os_patch": SETTINGS, "reboot_policy": policy}, module_result=patched, monkeypatch=monkeypatch
    )
    assert result["ansible_facts"]["rollout_outcome"] == outcome


def test_a_failed_patch_fails_the_task_with_the_modules_words_and_keeps_its_change_record(monkeypatch):
    failed = dict(PATCHED, failed=True, msg="apt-get install: E: Sub-process /usr/bin/dpkg returned an error code (1)")
    result, _calls = run({"freeze": True, "os_patch": SETTINGS}, module_result=failed, monkeypatch=monkeypatch)
    assert result["failed"] is True
    assert result["msg"] == "everylayer.patch.packages state=patched: " + failed["msg"]
    assert result["changes"] == PATCHED["changes"] and result["rollback"] == PATCHED["rollback"]  # for the rescue
    assert result["plan"]["layer"] == "os"  # the rescue reads the plan from the failed result (no fact is set)
    assert "ansible_facts" not in result


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ({"asset": {"layers": ["network"]}, "host": {"network_os": "eos"}, "targets": {}}, "a device"),
        ({"freeze": False, "manifest": {}}, "a deferred host (nothing frozen for it)"),
        ({"window": "closed", "policy": {"windows": {"closed": {"days": []}}}}, "a host outside its window"),
    ],
)
def test_a_host_that_is_not_patched_now_is_only_planned(monkeypatch, args, why):
    result, calls = run(dict({"freeze": True, "os_patch": SETTINGS}, **args), monkeypatch=monkeypatch)
    assert calls == [], why
    assert "changes" not in result and result["changed"] is False
    assert result["ansible_facts"]["rollout_outcome"] in ("pending", "deferred")


def test_without_os_patch_the_plan_task_only_plans(monkeypatch):
    result, calls = run({"freeze": True}, monkeypatch=monkeypatch)
    assert calls == [] and result["ansible_facts"]["rollout_outcome"] == "pending"


def test_a_wrong_apply_setting_fails_before_the_host_is_touched(monkeypatch):
    result, calls = run({"freeze": True, "os_patch": dict(SETTINGS, lock_timeout="soon")}, monkeypatch=monkeypatch)
    assert calls == [] and result["failed"] is True
    assert "apply_lock_timeout" in result["msg"] and "everylayer.patch.apply entry point 'os'" in result["msg"]


def _os_yml_args(settings, manifest):
    """The module arguments roles/apply/tasks/os.yml gives everylayer.patch.packages for these settings."""
    with open(OS_YML, encoding="utf-8") as handle:
        (task,) = yaml.safe_load(handle)
    variables = {f"apply_{key}": value for key, value in settings.items()}
    variables["apply_manifest"] = manifest
    templar = Templar(loader=DataLoader(), variables=variables)
    args = task["everylayer.patch.packages"]
    return templar.template({key: trust_as_template(v) if isinstance(v, str) else v for key, v in args.items()})


@pytest.mark.parametrize(
    ("settings", "manifest"),
    [
        (SETTINGS, {}),
        (dict(SETTINGS, names=["openssl*"], security_only=True, severity="high", advisories=["DSA-1"]), {}),
        (dict(SETTINGS, names=["openssl*"], exclude=["kernel*"], severity="high", precheck={}), {"openssl": "2"}),
        (dict(SETTINGS, postcheck={}, lock_timeout=5), {"openssl": "2"}),
    ],
)
def test_the_rollout_runs_what_the_apply_roles_os_entry_point_runs(settings, manifest):
    assert module_args(settings, manifest) == _os_yml_args(settings, manifest)

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's plan task checks the settings of the rollout role's `host` entry point and the apply role's `os`
entry point (the wave plays import both with rolespec_validate: false, to save two tasks per host): a wrong setting
from the inventory still fails the host, naming the setting; valid settings and templated ones pass."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.everylayer.patch.plugins.action import rollout_host_plan
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.settings import (
    entry_point_spec,
    settings_errors,
)

OS_HOST = {"inventory_hostname": "lab-apt-01", "group_names": [], "asset": {"layers": ["os"]}}


def action(task_vars, plan=None, args=None):
    """The plan action with its templar; the plan itself (RolloutAction.run) is replaced by `plan`'s result."""
    module = rollout_host_plan.ActionModule.__new__(rollout_host_plan.ActionModule)
    module._templar = Templar(loader=DataLoader(), variables=task_vars)
    module._task = SimpleNamespace(check_mode=False, args=args or {})
    planned = []

    def run_plan(tmp=None, task_vars=None):
        planned.append(True)
        return plan if plan is not None else {"plan": {"layer": "os", "deferred": None}, "changed": False}

    # the parent's run (argument validation of the task's own options, then act): stubbed, the plan is not tested here
    module.__class__ = type("Planned", (rollout_host_plan.ActionModule,), {})
    super_run = rollout_host_plan.RolloutAction.run
    rollout_host_plan.RolloutAction.run = lambda self, tmp=None, task_vars=None: run_plan(tmp, task_vars)
    try:
        return module.run(task_vars=task_vars), planned
    finally:
        rollout_host_plan.RolloutAction.run = super_run


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("rollout_baseline", "bogus"),  # host entry point: a dict
        ("rollout_require_pilot_target", "maybe"),  # host entry point: a bool
        ("rollout_os_precheck", ["disk"]),  # host entry point: a dict
    ],
)
def test_a_wrong_host_setting_fails_the_plan_naming_the_setting_before_anything_is_planned(setting, value):
    result, planned = action(dict(OS_HOST, **{setting: value}))
    assert result["failed"] is True and planned == []
    assert setting in result["msg"] and "everylayer.patch.rollout entry point 'host'" in result["msg"]
    assert any(setting in error for error in result["argument_errors"])


def test_a_setting_the_task_templated_as_its_own_argument_is_checked_from_that_argument():
    # host.yml passes rollout_baseline as `baseline`, rollout_window_name as `window`: not templated a second time
    result, planned = action(dict(OS_HOST, rollout_baseline={}), args={"baseline": "bogus", "window": "always"})
    assert result["failed"] is True and planned == []
    assert "rollout_baseline" in result["msg"]
    result, planned = action(dict(OS_HOST), args={"baseline": {}, "window": "always", "manifest_group": "apt"})
    assert not result.get("failed") and planned == [True], result


def test_a_wrong_os_setting_fails_an_os_host_naming_the_setting():
    result, planned = action(dict(OS_HOST, apply_lock_timeout="soon"))
    assert planned == [True]
    assert result["failed"] is True and "ansible_facts" not in result
    assert "apply_lock_timeout" in result["msg"] and "everylayer.patch.apply entry point 'os'" in result["msg"]


def test_the_os_settings_are_not_checked_for_a_device_or_a_deferred_host():
    # as before: the os entry point's validation ran only with the OS patch (a device runs the apply role's main)
    device = {"plan": {"layer": "network", "deferred": None}, "changed": False}
    deferred = {"plan": {"layer": "os", "deferred": "outside its window"}, "changed": False}
    for plan in (device, deferred):
        result, _planned = action(dict(OS_HOST, apply_lock_timeout="soon"), plan=plan)
        assert not result.get("failed"), result


def test_valid_and_templated_settings_pass():
    task_vars = dict(
        OS_HOST,
        timeout=30,
        apply_lock_timeout=trust_as_template("{{ timeout }}"),  # as inventory and role defaults give them
        rollout_baseline={},
        rollout_os_precheck=trust_as_template("{{ {'disk': {'/': 100}} }}"),
        rollout_wave_spec=trust_as_template(
            "{{ undefined_here }}"
        ),  # the wave's plan: the rollout's own data, not checked here
    )
    result, planned = action(task_vars)
    assert planned == [True] and not result.get("failed"), result


def test_a_dict_setting_is_checked_without_templating_its_values():
    # a role default such as rollout_os_postcheck is a dict of templates: its type is checked as it stands (the OS
    # patch templates its values when it runs); a template string still has to render to a dict
    values = {"verify_versions": trust_as_template("{{ not_defined_on_this_host }}")}
    result, planned = action(dict(OS_HOST, rollout_os_postcheck=values))
    assert planned == [True] and not result.get("failed"), result
    result, planned = action(dict(OS_HOST, rollout_os_postcheck=trust_as_template("{{ ['not', 'a', 'dict'] }}")))
    assert result["failed"] is True and "rollout_os_postcheck" in result["msg"]


def test_the_specs_are_the_roles_own():
    host = entry_point_spec("rollout", "host")
    assert {"rollout_baseline", "rollout_os_precheck", "rollout_wave_spec"} <= set(host)
    errors = settings_errors(Templar(loader=DataLoader()), {"apply_names": "openssl"}, entry_point_spec("apply", "os"))
    assert errors == []  # a str converts to a list, as role validation does

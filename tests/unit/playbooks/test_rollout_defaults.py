"""The rollout's OS checks fall back to the precheck and postcheck roles' own defaults (playbooks/group_vars/all.yml).

OS hosts run their checks inside the patch's module call, so the rollout cannot read those roles' defaults; this
keeps the two in step.
"""

from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parents[3]


def trusted(value):
    """Vars files are trusted templates (ansible-core 2.19 templates only trusted strings)."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return value


def load(path):
    return trusted(yaml.safe_load((ROOT / path).read_text()))


def render(variables, name):
    return Templar(loader=DataLoader(), variables=variables).template(variables[name])


def test_os_checks_fall_back_to_the_role_defaults():
    rollout = load("playbooks/group_vars/all.yml")
    precheck = load("roles/precheck/defaults/main.yml")
    postcheck = load("roles/postcheck/defaults/main.yml")
    assert render(rollout, "rollout_os_precheck") == {
        "disk": precheck["precheck_disk"],
        "package_manager": precheck["precheck_package_manager"],
        "reboot_pending": precheck["precheck_fail_on_pending_reboot"],
        "checks": precheck["precheck_checks"],
    }
    assert render(rollout, "rollout_os_postcheck") == {
        "verify_versions": postcheck["postcheck_verify_versions"],
        "checks": render(dict(precheck, **postcheck), "postcheck_checks"),
    }


def test_os_checks_follow_the_role_variables_a_user_sets():
    rollout = load("playbooks/group_vars/all.yml")
    mine = dict(rollout, precheck_disk=[{"path": "/srv", "min_free_mb": 10}], precheck_checks=[{"name": "x"}])
    assert render(mine, "rollout_os_precheck")["disk"] == [{"path": "/srv", "min_free_mb": 10}]
    # the postcheck repeats the precheck's checks unless told otherwise, as the postcheck role does
    assert render(mine, "rollout_os_postcheck")["checks"] == [{"name": "x"}]
    assert render(dict(mine, postcheck_checks=[]), "rollout_os_postcheck")["checks"] == []

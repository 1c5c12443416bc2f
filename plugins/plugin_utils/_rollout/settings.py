# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""A role entry point's argument spec, checked inside an action instead of by a task of its own.

Ansible checks a role entry point's ``meta/argument_specs.yml`` with a ``validate_argument_spec`` task it inserts
before the role's tasks. On the rollout's per-host path that task costs a worker, a templating pass and a result
per host and entry point (docs/benchmarks.md), so the wave plays import the roles with ``rolespec_validate: false``
and the host's plan task (``rollout_host_plan``) checks the same specs here: the same validator, the same settings
read from the host's variables, and a failure that names the setting, the role and the entry point.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles")


def entry_point_spec(role: str, entry_point: str) -> dict:
    """The ``options`` of one entry point of one of this collection's roles (read once, when the action loads)."""
    path = os.path.join(ROLES, role, "meta", "argument_specs.yml")
    with open(path, encoding="utf-8") as handle:
        specs = yaml.safe_load(handle)["argument_specs"]
    return specs[entry_point].get("options") or {}


def settings_errors(templar, task_vars: dict, spec: dict, skip=(), given=None) -> list[str]:
    """The spec's error messages for the settings the host's variables define (templated first), as Ansible's
    role argument validation gives them; ``skip`` names settings the calling action sets itself (not the user's),
    ``given`` holds settings already templated (the task's own arguments that are exactly those settings)."""
    given = given or {}
    options = {name: opt for name, opt in spec.items() if name not in skip}
    raw = {name: task_vars[name] for name in options if name in task_vars and name not in given}
    values = {name: value for name, value in raw.items() if not _needs_template(options[name], value)}
    rest = {name: value for name, value in raw.items() if name not in values}
    values.update(templar.template(rest) if rest else {})
    values.update((name, value) for name, value in given.items() if name in options)
    result = ArgumentSpecValidator(options).validate(values, validate_role_argument_spec=True)
    return list(result.error_messages)


def _needs_template(option: dict, value) -> bool:
    """Whether a value must be templated before it can be checked: not when the spec checks only its top-level type
    and the value has it already (a role default's dict of templates is a dict), nor for a ``raw`` option."""
    if option.get("options") or option.get("elements") or option.get("choices"):
        return True
    kind = option.get("type", "str")
    if kind == "raw":
        return False
    return not ((kind == "dict" and isinstance(value, Mapping)) or (kind == "list" and isinstance(value, list)))


def check_entry_points(templar, task_vars: dict, checks, given=None) -> dict | None:
    """A failed task result naming every wrong setting, or None when every entry point's settings are valid.

    ``checks``: (role FQCN, entry point, spec, settings to skip) tuples; ``given`` as for settings_errors."""
    for role, entry_point, spec, skip in checks:
        errors = settings_errors(templar, task_vars, spec, skip, given)
        if errors:
            return {
                "failed": True,
                "changed": False,
                "msg": f"Validation of arguments failed ({role} entry point '{entry_point}'):\n" + "\n".join(errors),
                "argument_errors": errors,
                "validate_args_context": {"name": role, "type": "role", "argument_spec_name": entry_point},
            }
    return None

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The health checks' option specs, shared by everylayer.patch.health_check (in its argument spec) and by
everylayer.patch.packages (its ``precheck``/``postcheck`` dicts, validated here field by field)."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.validation import check_required_if

CHECK_SPEC = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", required=True, choices=["command", "service", "port", "url"]),
    command=dict(type="list", elements="str"),
    rc=dict(type="int", default=0),
    stdout_regex=dict(type="str"),
    service=dict(type="str"),
    host=dict(type="str", default="127.0.0.1"),
    port=dict(type="int"),
    url=dict(type="str"),
    status=dict(type="list", elements="int", default=[200]),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    timeout=dict(type="int", default=10),
)

CHECK_REQUIRED_IF = [
    ("type", "command", ["command"]),
    ("type", "service", ["service"]),
    ("type", "port", ["port"]),
    ("type", "url", ["url"]),
]

CHECKS_OPTION = dict(type="list", elements="dict", default=[], options=CHECK_SPEC, required_if=CHECK_REQUIRED_IF)

DISK_SPEC = dict(path=dict(type="path", required=True), min_free_mb=dict(type="int", required=True))

DISK_OPTION = dict(type="list", elements="dict", default=[], options=DISK_SPEC)

# What a precheck runs (everylayer.patch.health_check's readiness options).
PRECHECK_SPEC = dict(
    disk=DISK_OPTION,
    package_manager=dict(type="bool", default=True),
    reboot_pending=dict(type="bool", default=False),
    checks=CHECKS_OPTION,
)

# What a postcheck runs: the changed packages' versions (from the change record) and the same declared checks.
POSTCHECK_SPEC = dict(
    verify_versions=dict(type="bool", default=True),
    checks=CHECKS_OPTION,
)

# Keys of an option spec that describe its elements, not the option itself.
_NESTED_KEYS = ("options", "required_if")


class OptionsError(ValueError):
    """A dict option's contents do not match its spec; ``errors`` name each field (``precheck.disk[0].path: ...``)."""

    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


def validate_options(value, spec, where):
    """Return ``value`` (a dict option) validated against ``spec``, defaults applied; raise OptionsError.

    Each field is validated on its own with ArgumentSpecValidator, and list-of-dict fields element by element,
    so that every error names its field (``where.field[index].subfield``); unknown keys are refused.
    """
    validated, errors = _validate(value, spec, where, None)
    if errors:
        raise OptionsError(errors)
    return validated


def _validate(value, spec, where, required_if):
    if not isinstance(value, dict):
        return None, [f"{where}: expected a dictionary, got {type(value).__name__}"]
    errors = [
        f"{where}.{key}: unknown option (supported: {', '.join(sorted(spec))})"
        for key in sorted(set(value) - set(spec), key=str)
    ]
    validated = {}
    for name, field in spec.items():
        if field.get("required") and value.get(name) is None:
            errors.append(f"{where}.{name}: required, missing")
            continue
        shallow = dict((k, v) for k, v in field.items() if k not in _NESTED_KEYS)
        given = {name: value[name]} if value.get(name) is not None else {}  # null: the default, as if omitted
        result = ArgumentSpecValidator({name: shallow}).validate(given)
        if result.error_messages:
            errors.extend(f"{where}.{name}: {message}" for message in result.error_messages)
            continue
        checked = result.validated_parameters.get(name)
        if field.get("options") and checked is not None:
            elements = []
            for index, element in enumerate(checked):
                item, item_errors = _validate(
                    element, field["options"], f"{where}.{name}[{index}]", field.get("required_if")
                )
                errors.extend(item_errors)
                elements.append(item)
            checked = elements
        validated[name] = checked
    if required_if and not errors:
        try:
            check_required_if(required_if, dict((k, v) for k, v in validated.items() if v is not None))
        except TypeError as exc:
            errors.append(f"{where}: {exc}")
    return validated, errors

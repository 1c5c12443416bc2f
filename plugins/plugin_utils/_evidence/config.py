# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence settings, read one way everywhere: task option, then the callback's own configuration.

The callback's options (``store``, ...) are defined once, in its DOCUMENTATION; ansible-core resolves them
from ``EVERYLAYER_EVIDENCE_*`` and ``[everylayer_evidence]`` in ansible.cfg. The lookups and action plugins
ask the same configuration (``callback_setting``) when their own option is not set, so a store configured
only in ansible.cfg is the store every reader opens.

Also here: the validation of every callback option, the run id rules, and the marker the running callback
leaves in the controller's environment for ``evidence_preflight`` (workers fork from the controller).
"""

from __future__ import annotations

import hashlib
import json
import os
import re

CALLBACK = "everylayer.patch.evidence"
RUN_ID_VAR = "everylayer_run_id"
RUN_ID_ENV = "EVERYLAYER_EVIDENCE_RUN_ID"
ACTIVE_ENV = "EVERYLAYER_EVIDENCE_ACTIVE"  # JSON written by the running callback (see ``active_marker``)
RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
#: the patch modules (their default state is scanned, which changes nothing)
PATCH_MODULES = (
    "everylayer.patch.packages",
    "everylayer.patch.firmware",
    "everylayer.patch.network_image",
)
#: the rollout's plan task, which patches an OS host itself when it is given ``os_patch``
ROLLOUT_PATCH_ACTION = "everylayer.patch.rollout_host_plan"
DEFAULT_INTENT_ACTIONS = (*PATCH_MODULES, ROLLOUT_PATCH_ACTION)


class EvidenceConfigError(Exception):
    """A setting of the evidence callback is wrong; the message names the option, its value and its source."""


def _definitions():
    """The callback's option definitions, registered with ansible-core's config manager if nobody did yet."""
    from ansible import constants as C  # noqa: N812 - ansible-core's own spelling

    if not C.config.get_configuration_definitions("callback", CALLBACK):
        import yaml
        from ansible_collections.everylayer.patch.plugins.callback import evidence

        options = yaml.safe_load(evidence.DOCUMENTATION)["options"]
        C.config.initialize_plugin_configuration_definitions("callback", CALLBACK, options)
    return C.config


def callback_setting(name):
    """The callback option ``name`` as the callback itself reads it (env, ansible.cfg, default)."""
    config = _definitions()
    try:
        return config.get_config_value(name, plugin_type="callback", plugin_name=CALLBACK)
    except Exception as exc:  # ansible-core raises AnsibleOptionsError (and others) on bad values
        raise EvidenceConfigError(describe_error(name, exc)) from None


def origin_of(name) -> str:
    """Where option ``name`` came from: ``env: VAR``, an ansible.cfg path, or ``default``."""
    try:
        config = _definitions()
        _value, origin = config.get_config_value_and_origin(name, plugin_type="callback", plugin_name=CALLBACK)
    except Exception:  # the value is bad: find where it is set without converting it
        return _raw_origin(name)
    return _pretty_origin(name, origin)


def _raw_origin(name) -> str:
    env = f"EVERYLAYER_EVIDENCE_{name.upper()}"
    if env in os.environ:
        return f"environment variable {env}"
    try:
        from ansible import constants as C  # noqa: N812

        cfg = C.config._config_file  # noqa: SLF001 - ansible-core keeps the file it read here
    except Exception:
        cfg = None
    return f"[everylayer_evidence] {name} in {cfg}" if cfg else "its default"


def _pretty_origin(name, origin) -> str:
    if origin.startswith("env:"):
        return f"environment variable {origin[4:].strip()}"
    if origin in ("default", None):
        return "its default"
    if origin.startswith("ini") or os.path.sep in str(origin):
        return f"[everylayer_evidence] {name} in {origin}"
    return str(origin)


def describe_error(name, exc) -> str:
    text = (str(exc).splitlines()[0] if str(exc) else type(exc).__name__).rstrip(".")
    return f"everylayer.patch.evidence: option {name!r} (from {_raw_origin(name)}) is invalid: {text}"


OPTION_NAMES = (
    "store",
    "on_error",
    "retention_days",
    "synchronous",
    "ticket_vars",
    "approver_vars",
    "intent_actions",
    "signing_key_file",
    "receipt_log",
)


def first_bad_option(exc) -> str:
    """ansible-core failed on some option of the callback: name the one that fails on its own, with the reason."""
    for name in OPTION_NAMES:
        try:
            callback_setting(name)
        except EvidenceConfigError as bad:
            return str(bad)
    return f"everylayer.patch.evidence: invalid configuration: {str(exc).splitlines()[0] if str(exc) else exc!r}"


def validate(get) -> dict:
    """Every callback option, type-checked and bounded; ``get(name)`` reads one (raises on bad type/choice)."""
    values = {}
    for name in OPTION_NAMES:
        try:
            values[name] = get(name)
        except Exception as exc:
            raise EvidenceConfigError(describe_error(name, exc)) from None
    checks = (
        ("store", isinstance(values["store"], str) and values["store"].strip() != "", "must be a path or a DSN"),
        ("on_error", values["on_error"] in ("fail", "warn"), "must be one of fail, warn"),
        ("synchronous", values["synchronous"] in ("normal", "full"), "must be one of normal, full"),
        (
            "retention_days",
            isinstance(values["retention_days"], int) and 0 <= values["retention_days"] <= 36500,
            "must be a whole number of days from 0 (keep everything) to 36500",
        ),
    )
    for name, ok, rule in checks:
        if not ok:
            raise EvidenceConfigError(
                f"everylayer.patch.evidence: option {name!r} (from {_raw_origin(name)}) is invalid: "
                f"{values[name]!r} {rule}"
            )
    for name in ("ticket_vars", "approver_vars", "intent_actions"):
        if not isinstance(values[name], list) or not all(isinstance(v, str) and v.strip() for v in values[name]):
            raise EvidenceConfigError(
                f"everylayer.patch.evidence: option {name!r} (from {_raw_origin(name)}) is invalid: "
                f"{values[name]!r} must be a list of non-empty names"
            )
    return values


def check_run_id(value) -> str:
    if not isinstance(value, str) or not RUN_ID_RE.match(value):
        shown = repr(value)[:80]
        raise EvidenceConfigError(
            f"everylayer.patch.evidence: extra var {RUN_ID_VAR} is invalid: {shown} must be 1-128 characters of "
            "letters, digits, '.', '_', ':' and '-', starting with a letter or digit"
        )
    return value


def fingerprint(target) -> str:
    """A stable id of a store target that can sit in the environment without revealing a DSN's password.

    SQLite paths are compared as absolute paths (``~/x.sqlite``, ``./x.sqlite`` and ``sqlite://x.sqlite`` are one store).
    """
    text = str(target or "")
    if not text.startswith(("postgresql://", "postgres://")) and not ("=" in text and "dbname" in text):
        text = text[len("sqlite://") :] if text.startswith("sqlite://") else text
        text = os.path.abspath(os.path.expanduser(text))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def active_marker(run_id, target, recording, cause=None, backend=None) -> str:
    return json.dumps(
        {
            "pid": os.getpid(),
            "run_id": run_id,
            "store": fingerprint(target),
            "recording": bool(recording),
            "cause": cause,
            "backend": backend,
        },
        sort_keys=True,
    )


def read_marker(environ=None, parent_pid=None):
    """The running callback's marker when it belongs to this controller process (the worker's parent), else None."""
    environ = os.environ if environ is None else environ
    raw = environ.get(ACTIVE_ENV)
    if not raw:
        return None
    try:
        marker = json.loads(raw)
    except ValueError:
        return None
    expected = os.getppid() if parent_pid is None else parent_pid
    if not isinstance(marker, dict) or marker.get("pid") not in (expected, os.getpid()):
        return None  # left by another ansible-playbook (a parent run, a shell export): not this run's callback
    return marker

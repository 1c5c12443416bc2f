# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The precheck and postcheck of ``state: patched``: everylayer.patch.health_check's checks run in the same
module call as the transaction (one Python start on the host instead of three)."""

from __future__ import annotations

from ansible_collections.everylayer.patch.plugins.module_utils._health import checks as health
from ansible_collections.everylayer.patch.plugins.module_utils._health.spec import (
    POSTCHECK_SPEC,
    PRECHECK_SPEC,
    OptionsError,
    validate_options,
)
from ansible_collections.everylayer.patch.plugins.module_utils._packages.common import PackagesError

SPECS = {"precheck": PRECHECK_SPEC, "postcheck": POSTCHECK_SPEC}


def check_options(params):
    """Validate ``precheck``/``postcheck`` in place (defaults applied); only ``state: patched`` takes them."""
    for option in ("precheck", "postcheck"):
        value = params.get(option)
        if value is None:
            continue
        if params.get("state") != "patched":
            raise PackagesError(
                f"{option} is only valid with state=patched (state is {params.get('state')}): drop {option}"
            )
        try:
            params[option] = validate_options(value, SPECS[option], option)
        except OptionsError as exc:
            raise PackagesError(f"invalid {option}: {exc}") from None


def precheck(options, run):
    """Run the precheck; return its report, or raise PackagesError (nothing was changed) when a check fails."""
    checks = health.run_checks(options, run)
    found = health.report(checks)
    if not found["healthy"]:
        raise PackagesError(
            f"precheck failed: {health.failure_detail(checks)} (nothing was changed)",
            {"changed": False, "precheck": found},
        )
    return found


def postcheck(options, result, check_mode, run):
    """Run the postcheck on a patch ``result``; return its report, or raise PackagesError carrying ``result``.

    ``verify_versions`` checks that every change's component is installed at its ``after`` version (not in
    check mode: nothing was installed); the declared checks always run.
    """
    params = {"checks": options.get("checks") or []}
    if options.get("verify_versions") and not check_mode and result["changes"]:
        params["expect_versions"] = dict((c["component"], c["after"]) for c in result["changes"])
    checks = health.run_checks(params, run)
    found = health.report(checks)
    if not found["healthy"]:
        if result["changes"] and not check_mode:
            outcome = "the rollback block restores the old set"
        else:
            outcome = "nothing was changed"
        raise PackagesError(
            f"postcheck failed: {health.failure_detail(checks)}; {result['msg']}, {outcome}",
            dict(result, postcheck=found),
        )
    return found

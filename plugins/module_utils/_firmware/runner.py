# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Glue between the firmware module's parameters, its backends and the change record it returns."""

from __future__ import annotations

import os

from .common import FirmwareError
from .fwupd import Fwupd, FwupdBackend
from .record import failure_result, to_result
from .redfish import RedfishBackend
from .redfish_client import BmcUnreachable, RedfishClient


def _redfish(params):
    missing = [k for k in ("baseuri", "username", "password") if not params.get(k)]
    if missing:
        raise FirmwareError(f"backend=redfish needs {', '.join(missing)}.")
    baseuri = params["baseuri"]
    if not baseuri.startswith(("https://", "http://")):
        baseuri = "https://" + baseuri
    client = RedfishClient(
        baseuri,
        params["username"],
        params["password"],
        auth=params["auth"],
        validate_certs=params["validate_certs"],
        ca_path=params["ca_path"],
        timeout=params["request_timeout"],
        use_proxy=params["use_proxy"],
    )
    return client, RedfishBackend(client, poll_interval=params["poll_interval"], timeout=params["timeout"])


def _rollback_targets(params):
    """component id -> {version, image} from the rollback option, else from components/version."""
    data = (params.get("rollback") or {}).get("data") or {}
    if data:
        if data.get("backend") not in (None, params["backend"]):
            raise FirmwareError(f"The rollback data is for backend {data.get('backend')}, not {params['backend']}.")
        return dict(data.get("components") or {})
    if params["backend"] == "redfish" and not params.get("version"):
        raise FirmwareError("state=rolled_back needs rollback (the rollback of an earlier result) or version.")
    return {c: {"version": params.get("version")} for c in params.get("components") or []} or {None: {}}


def _run_redfish(params, check_mode):
    client, backend = _redfish(params)
    try:
        if params["state"] == "scanned":
            return backend.scan(params.get("components"))
        if params["state"] == "updated":
            comps = params.get("components") or []
            if len(comps) != 1 or not params.get("version"):
                raise FirmwareError(
                    "state=updated with backend=redfish needs one component in components and the "
                    "version its image carries (for idempotence)."
                )
            return backend.update(dict(params, component=comps[0]), check_mode=check_mode)
        if params["state"] == "activated":
            comps = params.get("components") or []
            if len(comps) != 1 or not params.get("version"):
                raise FirmwareError(
                    "state=activated needs one component in components and the staged version to activate."
                )
            if params.get("image_uri") or params.get("image_path"):
                raise FirmwareError(
                    "state=activated sends no image (it resets to activate the staged one): drop image_uri and "
                    "image_path, or use state=updated to send an image."
                )
            return backend.activate(dict(params, component=comps[0]), check_mode=check_mode)
        targets = _rollback_targets(params)
        if len(targets) != 1:
            raise FirmwareError("A Redfish rollback handles one component per task.")
        ((comp, data),) = targets.items()
        image_given = params.get("image_uri") or params.get("image_path")
        image = data.get("image")
        update = dict(params, component=comp, version=data.get("version") or params.get("version"))
        if not image_given:
            if not image:
                raise FirmwareError(
                    f"Rolling {comp} back to {update['version']} needs that version's image: give "
                    "image_uri or image_path (no rollback_image was recorded at update time)."
                )
            update["image_path" if os.path.isabs(image) else "image_uri"] = image
        return backend.update(update, check_mode=check_mode, rollback=True)
    except BmcUnreachable as exc:
        raise FirmwareError(f"The BMC is unreachable: {exc}. Check baseuri, the network and the BMC.") from exc
    finally:
        client.logout()


def _run_fwupd(module, params, check_mode):
    if params["state"] == "activated":
        raise FirmwareError(
            "state=activated is for backend=redfish: fwupd activates staged firmware at the host's reboot "
            "(reboot the host, for example with the everylayer.patch.reboot role)."
        )
    env = {}
    if params.get("system_bus_address"):
        env["DBUS_SYSTEM_BUS_ADDRESS"] = params["system_bus_address"]
    binary = module.get_bin_path("fwupdmgr")
    if not binary:
        raise FirmwareError("fwupdmgr is not installed on this host (install the fwupd package).")

    def run(argv):
        return module.run_command(argv, environ_update=env)

    backend = FwupdBackend(Fwupd(run, binary))
    comps = params.get("components")
    if params["state"] == "scanned":
        return backend.scan(comps)
    if params["state"] == "updated":
        return backend.apply(comps, params.get("version"), params["allow_downgrade"], check_mode)
    targets = _rollback_targets(params)
    results = []
    for dev_id, data in targets.items():
        results.append(backend.apply([dev_id] if dev_id else comps, data.get("version"), True, check_mode, True))
    return merge(results)


def merge(results):
    if len(results) == 1:
        return results[0]
    merged = dict(results[-1])
    for key in ("changes", "pending"):
        merged[key] = [c for r in results for c in r[key]]
    merged["rollback_data"] = {k: v for r in results for k, v in r["rollback_data"].items()}
    merged["changed"] = any(r["changed"] for r in results)
    merged["reboot_required"] = any(r["reboot_required"] for r in results)
    merged["msg"] = "; ".join(r["msg"] for r in results)
    return merged


def run_module(module):
    """Run the task described by ``module.params``; returns the module result (change record included)."""
    params = module.params
    try:
        if params["backend"] == "redfish":
            outcome = _run_redfish(params, module.check_mode)
        else:
            outcome = _run_fwupd(module, params, module.check_mode)
    except FirmwareError as exc:
        moved = exc.details.pop("outcome", None)
        if moved is not None:  # it failed, but the component changed: the failure carries that change record
            record = failure_result(params["backend"], params["state"], moved)
            # the module passes layer and backend itself
            exc.details.update({k: v for k, v in record.items() if k not in ("layer", "backend")})
        raise
    return to_result(params["backend"], params["state"], outcome, module._diff)

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""One host's plan in a rollout wave, and the manifest a freezing wave (pilot) freezes from the hosts it patched.

A host's plan says which layer it patches, what it installs (its share of the frozen package manifest, or its
network image / firmware target) and, when it has nothing to do now, why it is deferred. The rollout computes it in
one task per host (every task costs the controller a worker per host, docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import tempfile

from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.manifest import ManifestError, frozen_updates

LAYERS = ("os", "network", "firmware", "windows")
#: the manifest group of a Windows host whose asset names no package manager (its change record's manager)
WINDOWS_GROUP = "windows_update"


class PlanError(Exception):
    """The rollout's data cannot give this host a plan."""


def _first_layer(asset):
    layers = (asset or {}).get("layers") or ["os"]
    return layers[0]


def _network_target(targets, host):
    """(platform, declared target) of a network device: rollout_targets.network[platform], else its own variables."""
    platform = host.get("network_os") or ""
    declared = (targets.get("network") or {}).get(platform)
    if declared is None:
        image, version = host.get("network_image") or "", host.get("network_image_version") or ""
        declared = {"image": image, "version": version} if image and version else {}
    return platform, dict(declared)


def _firmware_target(targets, host):
    """(component, declared target) of a firmware asset: its own component, else the first target of its backend."""
    backend = host.get("firmware_backend") or "fwupd"
    firmware = targets.get("firmware") or {}
    component = host.get("firmware_component") or next(
        (key for key, target in firmware.items() if (target.get("backend") or "redfish") == backend), ""
    )
    if component not in firmware:
        return component, {}
    return component, dict(firmware[component], component=component, backend=backend)


def host_plan(asset, freezing, window, manifest, manifest_group, targets=None, host=None, require_pilot_target=False):
    """The plan of one host in a wave; ``freezing`` is true in a wave that freezes the manifest (pilot).

    ``window`` is the host's window decision (``{"allowed", "reason"}``), ``manifest`` the rollout's frozen manifest
    (``{manager: {package: version}, "network": {platform: target}, "firmware": {component: target}}``),
    ``manifest_group`` the host's key in it (its package manager), ``targets`` the declared ``rollout_targets`` and
    ``host`` the host's own variables (network_os, network_image, network_image_version, firmware_backend,
    firmware_component). A freezing wave installs the declared target (OS: whatever its filters select); later waves
    exactly what it tested. A Windows host (layer ``windows``) is planned like an OS host: its share of the manifest
    is ``{KB: update id}`` under its manifest group (``windows_update`` when the asset names no package manager).

    Returns ``{"layer", "manifest_group", "manifest", "target_name", "target", "deferred"}``; ``deferred`` is the
    reason the host must wait (outside its window, nothing pilot-tested for it), or None.
    """
    layer = _first_layer(asset)
    if layer not in LAYERS:
        raise PlanError(f"asset layer {layer!r} cannot be rolled out: use one of {', '.join(LAYERS)}")
    manifest, targets, host = manifest or {}, targets or {}, host or {}
    pilot = bool(freezing)
    if layer == "windows" and manifest_group in (None, "", "any"):
        manifest_group = WINDOWS_GROUP
    plan = {"layer": layer, "manifest_group": manifest_group, "manifest": {}, "target_name": None, "target": {}}
    if layer in ("os", "windows"):
        # a Windows host's share is {KB: update id}, frozen like a package manager's {package: version}
        plan["manifest"] = {} if pilot else dict(manifest.get(manifest_group) or {})
        nothing = not pilot and not plan["manifest"]
        what = "packages" if layer == "os" else "updates"
        reason = f"no tested {what} for {manifest_group} (none frozen by a freezing wave)"
    else:
        key, declared = (_network_target if layer == "network" else _firmware_target)(targets, host)
        frozen = (manifest.get(layer) or {}).get(key) or {}
        if pilot:
            target = declared
        else:
            target = dict(frozen) if frozen else ({} if require_pilot_target else declared)
        plan.update(target_name=key, target=target)
        nothing = not target
        tested = "tested " if not pilot and require_pilot_target else ""
        reason = f"no {tested}rollout target for {layer} {key or '?'}"
    if not (window or {}).get("allowed", True):
        plan["deferred"] = (window or {}).get("reason") or "outside its maintenance window"
    else:
        plan["deferred"] = reason if nothing else None
    return plan


def freeze(hosts):
    """The manifest pilot tested, from the pilot hosts' variables (only hosts whose ``rollout_outcome`` is patched).

    OS hosts give ``{manifest_group: {package: version}}`` from their change records; network devices and firmware
    assets give ``{"network": {platform: target}}`` / ``{"firmware": {component: target}}`` from their plans. Two
    pilot hosts that installed different versions of one package (or target) for one key are an error: the
    manifest would not be what pilot tested.
    """
    manifest = {}
    for host in hosts or []:
        if host.get("rollout_outcome") != "patched":
            continue
        plan = host.get("rollout_plan") or {}
        layer = plan.get("layer") or "os"
        if layer == "windows":
            try:
                updates = frozen_updates(host.get("apply_result"))
            except ManifestError as exc:
                raise PlanError(f"windows manifest: {exc}") from None
            entries = manifest.setdefault(plan.get("manifest_group") or WINDOWS_GROUP, {})
            for kb, update_id in updates.items():
                _put(entries, kb, update_id, plan.get("manifest_group") or WINDOWS_GROUP)
            continue
        if layer != "os":
            if plan.get("target"):
                _put(manifest.setdefault(layer, {}), plan.get("target_name"), plan["target"], layer)
            continue
        key = plan.get("manifest_group") or host.get("rollout_manifest_key") or "any"
        entries = manifest.setdefault(key, {})
        for change in (host.get("apply_result") or {}).get("changes") or []:
            if change.get("after") is None or change.get("kind", "package") != "package":
                continue
            _put(entries, change["component"], change["after"], key)
    return manifest


def _put(entries, name, value, key):
    current = entries.get(name)
    if current is not None and current != value:
        raise PlanError(
            f"pilot hosts installed different versions of {name} for {key}: {current} and {value}; "
            "the manifest cannot be frozen"
        )
    entries[name] = value


def merged(current, frozen):
    """The rollout's manifest after a freezing wave: ``current`` with ``frozen``'s keys merged in, entry by entry."""
    result = {key: dict(entries) for key, entries in (current or {}).items()}
    for key, entries in frozen.items():
        result.setdefault(key, {}).update(entries)
    return result


def write_manifest(path, run_id, change_id, manifest):
    """Write the frozen manifest file (``{run_id, change_id, manifest}``, what load_manifest reads) on the
    controller: its directory 0700, the file 0600, replaced atomically. Returns whether its content changed;
    PlanError naming the path and the system's words when it cannot be written."""
    content = json.dumps({"run_id": run_id, "change_id": change_id, "manifest": manifest}, indent=4, sort_keys=True)
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == content + "\n":
                return False
    except (OSError, UnicodeDecodeError):
        pass
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".manifest-", suffix=".json")  # created 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content + "\n")
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise PlanError(f"cannot write the frozen manifest {path}: {exc.strerror or exc}") from None
    return True


def load_manifest(path):
    """The manifest of a frozen-manifest file (``{run_id, change_id, manifest}``), or PlanError naming the file."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise PlanError(f"rollout_manifest_file {path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise PlanError(f"rollout_manifest_file {path}: not UTF-8 text (byte {exc.start})") from None
    except ValueError as exc:
        raise PlanError(f"rollout_manifest_file {path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or "manifest" not in data:
        raise PlanError(
            f"rollout_manifest_file {path}: expected an object with a 'manifest' key, as a rollout writes it"
        )
    return check_manifest(data["manifest"], f"rollout_manifest_file {path}")


def check_manifest(manifest, where):
    """A frozen manifest: ``{key: {name: version or target}}``, not empty; PlanError naming the key otherwise."""
    if not isinstance(manifest, dict):
        raise PlanError(
            f"{where}: manifest must be a mapping of package manager (or network, firmware), got "
            f"{type(manifest).__name__}"
        )
    if not manifest:
        raise PlanError(f"{where}: the manifest is empty ({{}}): nothing was frozen, so nothing would be installed")
    for key, entries in manifest.items():
        if not isinstance(entries, dict) or not entries:
            raise PlanError(f"{where}: manifest.{key} must be a non-empty mapping, got {str(entries)[:80]!r}")
        for name, value in entries.items():
            ok = isinstance(value, dict) if key in ("network", "firmware") else isinstance(value, str) and value
            if not ok:
                want = "a target mapping" if key in ("network", "firmware") else "a version string"
                raise PlanError(f"{where}: manifest.{key}.{name} must be {want}, got {str(value)[:80]!r}")
    return manifest

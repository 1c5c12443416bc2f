# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""fwupd backend: devices, updates, installs, downgrades and history through ``fwupdmgr --json``."""

from __future__ import annotations

from . import fwupd_parse as fp
from .common import FirmwareError, compare_versions
from .record import component_change, outcome

# Never prompt, never phone home, never refuse because metadata is old (the operator refreshes remotes).
QUIET = ["--json", "--no-unreported-check", "--no-remote-check", "--no-metadata-check"]


class Fwupd:
    """Runs fwupdmgr through ``run(argv) -> (rc, stdout, stderr)`` (AnsibleModule.run_command)."""

    def __init__(self, run, binary="fwupdmgr"):
        self.run = run
        self.binary = binary

    def call(self, *args, allow_nothing=False):
        """Run one fwupdmgr command; returns its JSON, or None when fwupd says there is nothing to do."""
        rc, out, err = self.run([self.binary, *args, *QUIET])
        data = fp.loads(out)
        failure = fp.error(data)
        if fp.is_nothing_to_do(rc, failure) and (allow_nothing or (failure and failure["code"] == fp.VERSION_SAME)):
            return None
        if rc != 0 or failure:
            text = failure["message"] if failure else (err or out or "").strip()[-500:]
            if "org.freedesktop.DBus" in (err or "") or "Failed to connect to daemon" in (err or ""):
                text += " (is the fwupd daemon running, and DBUS_SYSTEM_BUS_ADDRESS / system_bus_address right?)"
            raise FirmwareError(f"fwupdmgr {args[0]} failed (rc={rc}): {text}", rc=rc, fwupd_error=failure)
        return data

    def devices(self):
        return fp.devices(self.call("get-devices") or {})

    def releases(self, device_id):
        return fp.releases(self.call("get-releases", device_id, allow_nothing=True) or {})

    def history(self):
        return fp.history(self.call("get-history", allow_nothing=True) or {})

    def updates(self):
        """device id -> newest upgrade release, for devices that have one."""
        found = {}
        for dev in fp.devices(self.call("get-updates", allow_nothing=True) or {}):
            best = fp.latest(dev["releases"])
            if best:
                found[dev["id"]] = best
        return found


class FwupdBackend:
    def __init__(self, fwupd):
        self.fwupd = fwupd

    def _select(self, devs, wanted):
        updatable = [d for d in devs if d["updatable"]]
        if not wanted:
            return updatable
        chosen = []
        for name in wanted:
            hits = [d for d in devs if fp.matches(d, name)]
            if not hits:
                have = ", ".join(f"{d['id']} ({d['name']})" for d in updatable) or "none"
                raise FirmwareError(f"fwupd knows no device {name!r}; updatable devices: {have}.")
            chosen.extend(h for h in hits if h not in chosen)
        return chosen

    def scan(self, wanted=None):
        devs = self._select(self.fwupd.devices(), wanted)
        updates = self.fwupd.updates()
        pending = []
        for dev in devs:
            rel = updates.get(dev["id"])
            if rel:
                dev["latest"] = rel["version"]
                pending.append(
                    component_change(dev["id"], dev["version"], rel["version"], reboot_required=dev["needs_reboot"])
                )
        ids = {d["id"] for d in devs}
        history = [h for h in self.fwupd.history() if h["device_id"] in ids]
        msg = f"{len(devs)} fwupd device(s), {len(pending)} with an update"
        return outcome(False, msg, devices=devs, pending=pending, history=history)

    def _plan(self, dev, version, downgrade_ok):
        """The release to install on ``dev`` (None when there is nothing to do)."""
        if not dev["updatable"]:
            raise FirmwareError(f"fwupd device {dev['id']} ({dev['name']}) is not updatable.")
        rels = self.fwupd.releases(dev["id"])
        if version is None:
            best = fp.latest(rels)
            return best if best and compare_versions(best["version"], dev["version"]) > 0 else None
        if version == dev["version"]:
            return None
        rel = next((r for r in rels if r["version"] == version), None)
        if rel is None:
            have = ", ".join(r["version"] for r in rels) or "none"
            raise FirmwareError(
                f"fwupd has no release {version} for {dev['name']} ({dev['id']}); the enabled remotes offer: {have}.",
                device=dev["id"],
            )
        if compare_versions(version, dev["version"]) < 0:
            if not downgrade_ok:
                raise FirmwareError(
                    f"Refusing to downgrade {dev['name']} from {dev['version']} to {version}: use "
                    "state=rolled_back or allow_downgrade=true."
                )
            lowest = dev["version_lowest"]
            if lowest and compare_versions(version, lowest) < 0:
                raise FirmwareError(
                    f"The device forbids {version}: {dev['name']} accepts nothing below {lowest} (VersionLowest).",
                    device=dev["id"],
                )
        return rel

    def apply(self, wanted, version=None, downgrade_ok=False, check_mode=False, rollback=False):
        devs = self.fwupd.devices()
        chosen = self._select(devs, wanted)
        if version is not None and len(chosen) != 1:
            raise FirmwareError("A firmware version applies to exactly one device: name it in devices.")
        plans = []
        for dev in chosen:
            target = version
            if rollback and target is None:
                target = self._previous_version(dev)
            rel = self._plan(dev, target, downgrade_ok or rollback)
            if rel is not None:
                plans.append((dev, rel))
        rollback_data = {}
        for dev, _rel in plans:
            previous = next((r for r in self.fwupd.releases(dev["id"]) if r["version"] == dev["version"]), None)
            rollback_data[dev["id"]] = {
                "version": dev["version"],
                "image": (previous or {}).get("location") or (previous or {}).get("filename"),
            }
        changes = [
            component_change(d["id"], d["version"], r["version"], reboot_required=d["needs_reboot"]) for d, r in plans
        ]
        if not plans:
            return outcome(False, "fwupd: every selected device is already at the wanted version", devices=chosen)
        if check_mode:
            return outcome(
                True,
                f"fwupd: {len(plans)} device(s) would change",
                devices=chosen,
                pending=changes,
                rollback_data=rollback_data,
            )
        for dev, rel in plans:
            older = compare_versions(rel["version"], dev["version"]) < 0
            args = ["install", dev["id"], rel["version"], "--assume-yes", "--no-reboot-check"]
            self.fwupd.call(*args, *(["--allow-older"] if older else []))
        return self._verify(wanted, plans, changes, rollback_data)

    def _verify(self, wanted, plans, changes, rollback_data):
        after = {d["id"]: d for d in self.fwupd.devices()}
        staged = []
        for dev, rel in plans:
            now = after.get(dev["id"])
            if now is None or now["version"] != rel["version"]:
                if now is not None and now["needs_reboot"]:
                    staged.append(dev["id"])
                    continue
                seen = now["version"] if now else "gone"
                raise FirmwareError(
                    f"fwupd installed {rel['version']} on {dev['name']} but the device reports {seen}.",
                    device=dev["id"],
                )
        done = [c for c in changes if c["component"] not in staged]
        pending = [dict(c, reboot_required=True) for c in changes if c["component"] in staged]
        devices = self._select(list(after.values()), wanted)
        summary = ", ".join(f"{c['component'][:12]} {c['before']} -> {c['after']}" for c in changes)
        return outcome(
            True,
            f"fwupd: {summary}" + (" (activates at reboot)" if staged else ""),
            devices=devices,
            changes=done,
            pending=pending,
            staged=bool(staged),
            rollback_data=rollback_data,
            reboot_required=bool(staged),
        )

    def _previous_version(self, dev):
        for entry in self.fwupd.history():
            if entry["device_id"] == dev["id"] and entry["to_version"] == dev["version"] and entry["from_version"]:
                return entry["from_version"]
        raise FirmwareError(
            f"fwupd has no history of how {dev['name']} reached {dev['version']}: give the version "
            "to roll back to (version or rollback).",
            device=dev["id"],
        )

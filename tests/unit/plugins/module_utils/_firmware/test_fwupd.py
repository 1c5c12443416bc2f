"""fwupd parsers against real fwupdmgr 2.0 output, and the backend against a scripted fwupdmgr."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.module_utils._firmware import fwupd_parse as fp
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.common import FirmwareError, compare_versions
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.fwupd import Fwupd, FwupdBackend
from ansible_collections.everylayer.patch.plugins.module_utils._firmware.record import to_result
from helpers.change_record import validate

FIX = Path(__file__).parent / "fixtures" / "fwupd"
WEBCAM = "08d460be0f1f9f128413f816022a6439e0078018"


def text(name):
    return (FIX / name).read_text(encoding="utf-8")


def test_devices():
    devs = fp.devices(fp.loads(text("get-devices.json")))
    cam = next(d for d in devs if d["id"] == WEBCAM)
    assert (cam["version"], cam["version_lowest"], cam["updatable"]) == ("1.2.2", "1.2.0", True)
    cpu = next(d for d in devs if d["plugin"] == "cpu")
    assert cpu["updatable"] is False and cpu["version"] is None
    assert [r["version"] for r in cam["releases"]] == ["1.2.4", "1.2.3"]


def test_updates_latest_release():
    devs = fp.devices(fp.loads(text("get-updates.json")))
    assert fp.latest(devs[0]["releases"])["version"] == "1.2.4"
    assert fp.devices(fp.loads(text("get-updates-none.json"))) == []


def test_releases_carry_image_reference():
    rels = fp.releases(fp.loads(text("get-releases.json")))
    assert {r["version"] for r in rels} == {"1.2.3", "1.2.4"}
    assert all(r["checksum"] and r["location"] for r in rels)


def test_history():
    (entry,) = fp.history(fp.loads(text("get-history.json")))
    assert (entry["device_id"], entry["from_version"], entry["to_version"]) == (WEBCAM, "1.2.4", "1.2.3")
    assert fp.history(fp.loads(text("get-history-empty.json"))) == []


@pytest.mark.parametrize(
    "name, rc, code, nothing",
    [
        ("error-version-same.json", 1, fp.VERSION_SAME, True),
        ("error-no-release.json", 1, fp.NOT_SUPPORTED, False),
        ("get-history-empty.json", 2, fp.NOTHING_TO_DO, True),
    ],
)
def test_errors_and_exit_code_normalisation(name, rc, code, nothing):
    err = fp.error(fp.loads(text(name)))
    assert err["code"] == code
    assert fp.is_nothing_to_do(rc, err) is nothing


def test_loads_skips_progress_text():
    assert fp.loads("Idle…: 0%\n" + text("get-updates-none.json")) == {"Devices": []}
    assert fp.loads("") == {}


class ScriptedFwupdmgr:
    """Answers fwupdmgr argv like fwupd 2.0 with its test device, built from the captured outputs."""

    def __init__(self, version="1.2.2"):
        self.version = version
        self.history = []
        self.calls = []
        self.devices = json.loads(text("get-devices.json"))
        self.releases = json.loads(text("get-releases.json"))

    def _devices(self):
        data = copy.deepcopy(self.devices)
        for dev in data["Devices"]:
            if dev["DeviceId"] == WEBCAM:
                dev["Version"] = self.version
        return data

    def __call__(self, argv):
        self.calls.append(argv)
        cmd = argv[1]
        if cmd == "get-devices":
            return 0, json.dumps(self._devices()), ""
        if cmd == "get-releases":
            return 0, json.dumps(self.releases), ""
        if cmd == "get-updates":
            rels = [r for r in self.releases["Releases"] if compare_versions(r["Version"], self.version) > 0]
            if not rels:
                return 2, json.dumps({"Devices": []}), ""
            dev = next(d for d in self._devices()["Devices"] if d["DeviceId"] == WEBCAM)
            return 0, json.dumps({"Devices": [dict(dev, Releases=rels)]}), ""
        if cmd == "get-history":
            if not self.history:
                return 2, text("get-history-empty.json"), ""
            frm, to = self.history[-1]
            dev = {"DeviceId": WEBCAM, "Name": "Integrated Webcam", "Version": frm, "Releases": [{"Version": to}]}
            return 0, json.dumps({"Devices": [dev]}), ""
        if cmd == "install":
            version = argv[3]
            if version == self.version:
                return 1, text("error-version-same.json"), ""
            if compare_versions(version, self.version) < 0 and "--allow-older" not in argv:
                return 1, json.dumps({"Error": {"Domain": "FwupdError", "Code": 1, "Message": "older"}}), ""
            self.history.append((self.version, version))
            self.version = version
            return 0, "", ""
        raise AssertionError(f"unexpected fwupdmgr call {argv}")


@pytest.fixture
def tool():
    return ScriptedFwupdmgr()


@pytest.fixture
def backend(tool):
    return FwupdBackend(Fwupd(tool))


def test_scan_lists_pending_update_and_history(backend):
    backend.apply([WEBCAM], "1.2.3")
    out = backend.scan()
    assert out["history"] == [
        {
            "device_id": WEBCAM,
            "name": "Integrated Webcam",
            "from_version": "1.2.2",
            "to_version": "1.2.3",
            "update_state": None,
            "update_error": None,
            "modified": None,
        }
    ]
    assert [d["id"] for d in out["devices"]] == [WEBCAM]
    assert [(p["component"], p["before"], p["after"]) for p in out["pending"]] == [(WEBCAM, "1.2.3", "1.2.4")]
    validate(to_result("fwupd", "scanned", out))


def test_update_given_version_then_latest_then_idempotent(backend, tool):
    out = backend.apply([WEBCAM], "1.2.3")
    assert out["changed"] and out["changes"][0]["after"] == "1.2.3"
    assert out["rollback_data"][WEBCAM]["version"] == "1.2.2"
    validate(to_result("fwupd", "updated", out))
    out = backend.apply(None)
    assert [(c["before"], c["after"]) for c in out["changes"]] == [("1.2.3", "1.2.4")]
    assert out["rollback_data"][WEBCAM]["image"]  # 1.2.3 is a known release: its image is recorded
    again = backend.apply(None)
    assert again["changed"] is False and again["changes"] == []
    assert tool.version == "1.2.4"


def test_check_mode_changes_nothing(backend, tool):
    out = backend.apply(None, check_mode=True)
    assert out["changed"] and out["changes"] == [] and out["pending"][0]["after"] == "1.2.4"
    assert not [c for c in tool.calls if c[1] == "install"]
    validate(to_result("fwupd", "updated", out))


def test_rollback_from_history(backend, tool):
    backend.apply([WEBCAM], "1.2.3")
    backend.apply([WEBCAM], "1.2.4")
    out = backend.apply([WEBCAM], None, rollback=True)
    assert (out["changes"][0]["before"], out["changes"][0]["after"]) == ("1.2.4", "1.2.3")
    installs = [c for c in tool.calls if c[1] == "install"]
    assert installs[-1][3] == "1.2.3" and "--allow-older" in installs[-1]
    assert tool.version == "1.2.3"


def test_rollback_without_history_is_explained(backend):
    with pytest.raises(FirmwareError, match="no history"):
        backend.apply([WEBCAM], None, rollback=True)


def test_downgrade_needs_permission(backend, tool):
    tool.version = "1.2.4"
    with pytest.raises(FirmwareError, match="Refusing to downgrade"):
        backend.apply([WEBCAM], "1.2.3")


def test_missing_release_is_explained(backend):
    with pytest.raises(FirmwareError, match=r"no release 1\.2\.9 .* offer: 1\.2\.4, 1\.2\.3"):
        backend.apply([WEBCAM], "1.2.9")


def test_below_version_lowest_is_refused(backend, tool):
    tool.releases["Releases"].append(dict(tool.releases["Releases"][0], Version="1.1.9"))
    with pytest.raises(FirmwareError, match="VersionLowest"):
        backend.apply([WEBCAM], "1.1.9", downgrade_ok=True)


def test_unknown_device(backend):
    with pytest.raises(FirmwareError, match="no device 'nope'"):
        backend.scan(["nope"])


def test_daemon_failure_is_reported():
    def broken(argv):
        return 1, "", "Failed to connect to daemon: Could not connect: No such file or directory"

    with pytest.raises(FirmwareError, match="is the fwupd daemon running"):
        Fwupd(broken).devices()

"""The write guard: no configuration is saved without the backup first and consent for unsaved changes.

One test per path that saves (stage, upgrade, already current -> boot variable, roll back, came back on the
old image -> boot variable reset), each with unsaved configuration refused and with consent; check mode
forecasts the same refusal. The fake platform journals what would reach the device, in order.
"""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.platforms import CiscoIos
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.runbook import Runbook
from helpers.change_record import validate
from helpers.network_runbook import runbook_options as options


class Session:
    reconnects = 0
    last_command = None

    def __init__(self, journal):
        self.journal = journal

    def connect(self):
        pass

    def close(self):
        pass

    def transfer(self, local, name):
        self.journal.append("transfer")


class Device(CiscoIos):
    """A Cisco IOS device as the runbook sees it: facts, boot list, versions before and after a reload."""

    def __init__(self, journal, version="17.09.04a", boot=("old.bin",), saved=True, boots_into=None):
        self.journal = journal
        self.state = {"version": version, "image": "old.bin", "boot": list(boot), "saved": saved, "uptime": 600}
        self.files = {"old.bin": 400, "new.bin": 300}
        self.boots_into = boots_into

    def facts(self, s):
        st = self.state
        return {
            "version": st["version"],
            "versions": [st["version"]],
            "image": st["image"],
            "boot": list(st["boot"]),
            "uptime": st["uptime"],
            "files": dict(self.files),
            "free": 10_000,
            "total": 20_000,
            "config_saved": st["saved"],
            "boot_mode": "bundle",
        }

    def boot(self, s):
        return list(self.state["boot"])

    def storage(self, s):
        return {"files": dict(self.files), "free": 10_000, "total": 20_000}

    def md5(self, s, filename, timeout):
        return "0" * 32, ""

    def set_boot(self, s, images):
        self.journal.append("config")
        self.state["boot"] = list(images)

    def save(self, s):
        self.journal.append("save")
        self.state["saved"] = True

    def backup(self, s):
        self.journal.append("backup")
        return "hostname sw1\n"

    def snapshot(self, s):
        return {}

    def members(self, s):
        return []

    def reload(self, s):
        self.journal.append("reload")
        version, image = self.boots_into or (self.state["version"], self.state["image"])
        self.state.update(version=version, image=image, uptime=1)
        return True


@pytest.fixture(autouse=True)
def _same_md5(monkeypatch):
    monkeypatch.setattr(Runbook, "local_md5", lambda self: "0" * 32)


PATHS = {
    # path -> (device, options): every one of them saves the configuration on a Cisco IOS device
    "staged": (dict(), dict(state="staged")),
    "upgraded": (dict(boots_into=("17.12.03", "new.bin")), dict()),
    "already current": (dict(version="17.12.03", boot=("other.bin",)), dict()),
    "rolled_back": (dict(), dict(state="rolled_back", rollback={"file": "new.bin", "version": "17.12.03"})),
}


def _run(tmp_path, device_kw, option_kw, check_mode=False, **extra):
    journal = []
    dev = Device(journal, **device_kw)
    if option_kw.get("state") == "rolled_back":
        dev.boots_into = ("17.12.03", "new.bin")
    res = Runbook(dev, Session(journal), options(tmp_path, **option_kw, **extra), check_mode=check_mode).run()
    return res, journal, dev


@pytest.mark.parametrize("path", sorted(PATHS))
def test_unsaved_configuration_is_never_saved_without_consent(tmp_path, path):
    device_kw, option_kw = PATHS[path]
    res, journal, dev = _run(tmp_path, dict(device_kw, saved=False), option_kw)
    validate(res)
    assert res["failed"] is True and "unsaved changes" in res["msg"] and "save_unsaved_config" in res["msg"]
    assert "save" not in journal and "config" not in journal and "reload" not in journal
    assert res["changed"] is False and dev.state["saved"] is False


@pytest.mark.parametrize("path", sorted(PATHS))
def test_consent_saves_only_after_the_backup(tmp_path, path):
    device_kw, option_kw = PATHS[path]
    res, journal, _dev = _run(tmp_path, dict(device_kw, saved=False), option_kw, save_unsaved_config=True)
    validate(res)
    assert not res.get("failed"), res["msg"]
    assert "save" in journal and journal.index("backup") < journal.index("config") < journal.index("save")
    assert journal.count("backup") == 1 and res["backup_path"]
    steps = [s["step"] for s in res["steps"]]
    assert steps.index("backup") < steps.index("save")


@pytest.mark.parametrize("path", sorted(PATHS))
def test_saved_configuration_still_gets_its_backup_first(tmp_path, path):
    device_kw, option_kw = PATHS[path]
    res, journal, _dev = _run(tmp_path, device_kw, option_kw)
    assert not res.get("failed"), res["msg"]
    assert journal.index("backup") < journal.index("save")


@pytest.mark.parametrize("path", sorted(PATHS))
def test_check_mode_forecasts_the_refusal(tmp_path, path):
    device_kw, option_kw = PATHS[path]
    res, journal, _dev = _run(tmp_path, dict(device_kw, saved=False), option_kw, check_mode=True)
    assert res["failed"] is True and "unsaved changes" in res["msg"]
    assert journal == []


def test_came_back_on_the_old_image_resets_the_boot_variable_through_the_guard(tmp_path):
    res, journal, dev = _run(tmp_path, dict(boots_into=("17.09.04a", "old.bin")), {})
    assert res["failed"] is True and "boot variable reset to old.bin" in res["msg"]
    assert journal.count("backup") == 1 and journal.index("backup") < journal.index("save")
    saves = [i for i, x in enumerate(journal) if x == "save"]
    assert len(saves) == 2 and journal.index("reload") < saves[1]
    assert dev.state["boot"] == ["old.bin"]


def test_backup_false_is_the_only_way_to_save_without_a_backup(tmp_path):
    res, journal, _dev = _run(tmp_path, *PATHS["staged"], backup=False)
    assert not res.get("failed"), res["msg"]
    assert "backup" not in journal and "save" in journal

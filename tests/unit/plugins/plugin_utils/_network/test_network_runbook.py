"""Runbook decisions without a device: a recording stand-in platform and session."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import NetworkImageError
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.platforms import CiscoIos
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.runbook import Runbook
from helpers.change_record import validate
from helpers.network_runbook import runbook_options


class FakeSession:
    reconnects = 0

    def __init__(self):
        self.calls = []

    def connect(self):
        self.calls.append("connect")

    def close(self):
        self.calls.append("close")

    def transfer(self, local, name):
        self.calls.append(("transfer", name))


class FakePlatform(CiscoIos):
    def __init__(self, facts):
        self._facts = facts
        self.calls = []

    def facts(self, s):
        return dict(self._facts, files=dict(self._facts["files"]))

    def boot(self, s):
        return list(self._facts["boot"])

    def snapshot(self, s):
        return {"interfaces": {"Gi1/0/1": "connected"}}

    def members(self, s):
        return []

    def delete(self, s, name):
        self.calls.append(("delete", name))

    def backup(self, s):
        return "hostname x\n"


def facts(**kw):
    base = {
        "version": "17.09.04a",
        "versions": ["17.09.04a"],
        "image": "old.bin",
        "boot": ["old.bin"],
        "uptime": 60,
        "files": {"old.bin": 400, "legacy.bin": 500, "other.bin": 100},
        "free": 50,
        "total": 2000,
        "config_saved": True,
    }
    base.update(kw)
    return base


def options(tmp_path, **kw):
    return runbook_options(tmp_path, **{"postcheck": True, "reload_poll_interval": 1, **kw})


def test_check_mode_touches_nothing_and_forecasts(tmp_path):
    p, s = FakePlatform(facts()), FakeSession()
    res = Runbook(p, s, options(tmp_path), check_mode=True).run()
    validate(res)
    assert res["changed"] is True and res["simulated"] is True
    assert [(c["before"], c["after"]) for c in res["changes"]] == [("17.09.04a", "17.12.03")]
    assert s.calls == ["connect", "close"] and p.calls == []
    assert res["rollback"]["data"] == {
        "platform": "cisco_ios",
        "image": "flash:old.bin",
        "file": "old.bin",
        "version": "17.09.04a",
        "boot": ["old.bin"],
    }


def test_already_current_with_another_version_spelling(tmp_path):
    p, s = FakePlatform(facts(version="17.12.03", versions=["17.12.03", "17.12.3"])), FakeSession()
    res = Runbook(p, s, options(tmp_path, version="17.12.3"), check_mode=False).run()
    validate(res)
    assert res["changed"] is False and res["msg"] == "already running 17.12.03"


def test_space_deletes_listed_images_in_order_but_never_protected_ones(tmp_path):
    p, s = FakePlatform(facts()), FakeSession()
    rb = Runbook(p, s, options(tmp_path, delete_images=["old.bin", "new.bin", "other.bin", "legacy.bin", "absent.bin"]))
    assert rb.ensure_space(facts()) is True
    assert p.calls == [("delete", "other.bin"), ("delete", "legacy.bin")]  # 50+100 < 300, +500 fits
    assert rb.result["deleted_images"] == ["other.bin", "legacy.bin"]


def test_space_shortage_names_the_numbers(tmp_path):
    p, s = FakePlatform(facts()), FakeSession()
    res = Runbook(p, s, options(tmp_path, state="staged")).run()
    validate(res)
    assert res["failed"] is True and "need 300 bytes, 50 free" in res["msg"] and "delete_images" in res["msg"]
    assert ("transfer", "new.bin") not in s.calls
    assert res["backup_path"].endswith(".cfg")


def test_unsaved_config_refused_before_anything_changes(tmp_path):
    p, s = FakePlatform(facts(config_saved=False, free=10_000)), FakeSession()
    res = Runbook(p, s, options(tmp_path)).run()
    assert res["failed"] and "unsaved changes" in res["msg"] and res["changed"] is False
    assert res["backup_path"] is None and p.calls == []


def test_wrong_local_image_md5_is_refused(tmp_path):
    p, s = FakePlatform(facts(free=10_000)), FakeSession()
    res = Runbook(p, s, options(tmp_path, image_md5="0" * 32)).run()
    assert res["failed"] and "not the expected image_md5" in res["msg"]


@pytest.mark.parametrize("data", [None, {"version": "1.0"}, {"image": "flash:x.bin"}])
def test_rolled_back_needs_image_and_version(tmp_path, data):
    res = Runbook(FakePlatform(facts()), FakeSession(), options(tmp_path, state="rolled_back", rollback=data)).run()
    assert res["failed"] and "rollback.version" in res["msg"]


def test_rolled_back_refuses_when_the_image_is_gone(tmp_path):
    data = {"image": "flash:gone.bin", "version": "16.12.01"}
    res = Runbook(FakePlatform(facts()), FakeSession(), options(tmp_path, state="rolled_back", rollback=data)).run()
    validate(res)
    assert res["failed"] and "flash:gone.bin is no longer on the device" in res["msg"]


def test_scan_reports_pending_and_snapshot(tmp_path):
    res = Runbook(FakePlatform(facts()), FakeSession(), options(tmp_path, state="scanned")).run()
    validate(res)
    assert res["changed"] is False and res["pending"][0]["component"] == "new.bin"
    assert res["snapshot"] == {"interfaces": {"Gi1/0/1": "connected"}}


class AnswersNothingAfterReload(FakePlatform):
    """The real snapshot code (Platform.snapshot) over a session whose answers change at the reload."""

    def __init__(self, facts, answers):
        super().__init__(facts)
        self.answers = answers

    def snapshot(self, s):
        return CiscoIos.snapshot(self, AnswerSession(self.answers))


class AnswerSession(FakeSession):
    def __init__(self, answers):
        super().__init__()
        self.answers = answers

    def send(self, command, read_timeout=None, check=True, minimum=0):
        return self.answers.get(command, "")


LLDP = (
    "Capability codes:\n    (R) Router, (B) Bridge\n\n"
    "Device ID           Local Intf     Hold-time  Capability      Port ID\n"
    "core-01             Gi1/0/1        120        B,R             Gi0/1\n\nTotal entries displayed: 1\n"
)


def test_postcheck_fails_when_a_check_with_rows_answers_nothing_after_the_reload(tmp_path):
    """Before: an LLDP neighbour. After: 'show lldp neighbors' answers nothing. Comparing {} with {} used to pass;
    it fails naming the command, even with fail_on_postcheck_diff false."""
    answers = {"show lldp neighbors": LLDP}
    p = AnswersNothingAfterReload(facts(), answers)
    rb = Runbook(p, FakeSession(), options(tmp_path), check_mode=False)
    before = p.snapshot(None)
    assert before["lldp"] == {"Gi1/0/1": "core-01"}
    answers.clear()
    with pytest.raises(NetworkImageError, match=r"'show lldp neighbors' answered nothing") as info:
        rb.postcheck(before, changes=[{"component": "x"}])
    assert info.value.details["command"] == "show lldp neighbors"
    assert rb.result["postcheck"]["after"]["lldp"] == "unreadable"


def test_postcheck_unreadable_on_both_sides_warns_and_names_the_commands(tmp_path):
    p = AnswersNothingAfterReload(facts(), {"show lldp neighbors": LLDP})
    rb = Runbook(p, FakeSession(), options(tmp_path), check_mode=False)
    rb.postcheck(p.snapshot(None))
    assert rb.result["postcheck"]["unreadable"] == ["bgp", "interfaces"]
    assert any("'show ip bgp summary'" in w and "not compared" in w for w in rb.warnings)

"""Modes: a real IOS-XE install-mode capture is never converted to bundle mode; ACI and controller mode are refused;
stack members on another version fail the post-reload check; install package names match versions."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import NetworkImageError, install, parsers
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.platforms import get_platform
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.runbook import Runbook
from helpers.change_record import validate
from test_network_session import Conn, _options, _session

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "network"
INSTALL_VERSION = (FIXTURES / "cisco_ios" / "show_version" / "cisco_ios_show_version1.raw").read_text()
SUMMARY = """[ Switch 1 2 3 4 ] Installed Package(s) Information:
State (St): I - Inactive, U - Activated & Uncommitted,
            C - Activated & Committed, D - Deactivated & Uncommitted
--------------------------------------------------------------------------------
Type  St   Filename/Version
--------------------------------------------------------------------------------
IMG   C    03.06.05E.0.1

--------------------------------------------------------------------------------
Auto abort timer: inactive
--------------------------------------------------------------------------------"""


def _install_answers(tmp_path, image_name):
    digest = hashlib.md5((tmp_path / "new.bin").read_bytes(), usedforsecurity=False).hexdigest()
    return {
        "show version": INSTALL_VERSION,
        "show boot": "BOOT variable = flash:packages.conf;",
        "dir flash:": (
            f" 1  -rw-   300  Jan 1 2026 00:00:00 +00:00  {image_name}\n"
            " 2  -rw-  4000  Jan 1 2026 00:00:00 +00:00  packages.conf\n\n100000 bytes total (90000 bytes free)"
        ),
        "show running-config": "hostname sw1\nend",
        "show startup-config": "hostname sw1\nend",
        f"verify /md5 flash:{image_name}": f"verify /md5 (flash:{image_name}) = {digest}",
        "show install summary": SUMMARY,
        f"install add file flash:{image_name}": "install_add: START\nSUCCESS: install_add  Mon Dec 07 2026",
    }


@pytest.mark.parametrize("check_mode", [True, False])
def test_install_mode_capture_is_staged_with_install_add_never_boot_system(monkeypatch, tmp_path, check_mode):
    opts = _options(tmp_path, version="16.12.05")
    conn = Conn(_install_answers(tmp_path, "new.bin"))
    res = Runbook(get_platform("cisco_ios"), _session(monkeypatch, tmp_path, conn), opts, check_mode=check_mode).run()
    validate(res)
    assert not res.get("failed"), res["msg"]
    assert not [c for c in conn.sent if isinstance(c, tuple) and c[0] == "config"]  # no boot system, ever
    assert ("write memory", 120) not in conn.sent
    sent = [c[0] for c in conn.sent if isinstance(c, tuple)]
    if check_mode:
        assert res["simulated"] is True and "would add new.bin (16.12.05) in install mode" in res["msg"]
        assert "install add file flash:new.bin" not in sent
    else:
        assert "install add file flash:new.bin" in sent and res["changed"] is True
        assert res["rollback"]["data"]["mode"] == "install"


def test_install_command_without_success_fails_with_the_device_words(monkeypatch, tmp_path):
    opts = _options(tmp_path, version="16.12.05")
    answers = _install_answers(tmp_path, "new.bin")
    answers["install add file flash:new.bin"] = "install_add: START\nFAILED: install_add : Image is not compatible"
    conn = Conn(answers)
    res = Runbook(get_platform("cisco_ios"), _session(monkeypatch, tmp_path, conn), opts).run()
    validate(res)
    assert res["failed"] is True and "Image is not compatible" in res["msg"] and res["step"] == "install_add"


ACI_VERSION = """Cisco Nexus Operating System (NX-OS) Software
Software
  BIOS: version 05.39
  kickstart: version 14.2(3l) [build 14.2(3l)]
  system: version 14.2(3l) [build 14.2(3l)]
  PE: version 4.2(3l)
  kickstart image file is: /bootflash/aci-n9000-dk9.14.2.3l.bin
  system image file is:    /bootflash/auto-s
Hardware
  cisco N9K-C93180YC-EX ("supervisor")
"""


def test_nxos_in_aci_mode_is_refused_before_anything(monkeypatch, tmp_path):
    conn = Conn({"show version": ACI_VERSION})
    res = Runbook(
        get_platform("cisco_nxos"), _session(monkeypatch, tmp_path, conn, "cisco_nxos"), _options(tmp_path)
    ).run()
    validate(res)
    assert res["failed"] is True and "ACI mode" in res["msg"] and res["changed"] is False
    assert [c[0] for c in conn.sent if isinstance(c, tuple)] == ["show version"]


def test_iosxe_controller_mode_is_refused():
    text = 'Cisco IOS XE Software, Version 17.09.04a\nRouter operating mode: Controller-Managed\nSystem image file is "bootflash:packages.conf"'

    class S:
        def send(self, command, **kw):
            return text

    with pytest.raises(NetworkImageError, match="SD-WAN"):
        get_platform("cisco_ios").version(S())


def test_package_names_and_bundles_match_versions():
    assert install.package_runs({"name": "17.09.04a.0.6", "version": "17.09.04a"}, "17.9.4a")
    assert not install.package_runs({"name": "17.09.04a.0.6", "version": None}, "17.9.4a")  # unread is no match
    assert install.package_runs({"name": "17.12.03.0.1", "version": "17.12.3"}, "17.12.03")
    assert not install.package_runs({"name": "17.12.03.0.1", "version": None}, "17.12.04")
    files = {"cat9k_iosxe.17.09.04a.SPA.bin": 1, "cat9k_iosxe.17.12.03.SPA.bin": 1, "packages.conf": 1}
    assert install.bundle_for(files, "17.9.4a") == "cat9k_iosxe.17.09.04a.SPA.bin"
    assert install.bundle_for(files, "16.12.05") is None


def test_a_standby_on_another_version_fails_the_check_with_the_record(tmp_path):
    class P:
        name = "cisco_ios"

        def members(self, s):
            return [
                {"id": "1", "role": "active", "version": "17.12.03", "state": "Ready"},
                {"id": "2", "role": "standby", "version": "17.09.04a", "state": "V-Mismatch"},
                {"id": "3", "role": "member", "version": None, "state": "Ready"},
            ]

    rb = Runbook(P(), None, _options(tmp_path))
    with pytest.raises(NetworkImageError, match=r"standby 2 runs 17.09.04a \(V-Mismatch\)") as err:
        rb.check_members("17.12.3", changes=["c"])
    assert err.value.details == {"changed": True, "changes": ["c"]}
    assert any("member 3" in w for w in rb.warnings)


class _Answers:
    def __init__(self, answers):
        self.answers, self.sent = answers, []

    def send(self, command, **kw):
        self.sent.append(command)
        return self.answers.get(command, "% Invalid input detected at '^' marker.")


class _Rb:
    def __init__(self, answers):
        self.s, self.p, self.current = _Answers(answers), get_platform("cisco_ios"), None


ROLLBACK = (FIXTURES / "cisco_ios" / "show_install_rollback" / "genie_golden_output.txt").read_text()
POINT_5 = (FIXTURES / "cisco_ios" / "show_install_rollback_id" / "genie_golden_output.txt").read_text()
POINT_4 = POINT_5.replace("id 5", "id 4").replace("id - 5", "id - 4").replace("17.08.01.0.148528", "17.06.01.0.1234")
SUMMARY_AFTER_COMMIT = SUMMARY.replace(
    "IMG   C    03.06.05E.0.1", "IMG   I    17.06.01.0.1234\nIMG   C    17.08.01.0.148528"
)


def test_rollback_after_commit_picks_the_newest_point_that_runs_the_version():
    """'show install rollback' (real capture: points 5, 4) and each point's package set: 17.6.1 is point 4."""
    rb = _Rb(
        {
            "show install rollback": ROLLBACK,
            "show install rollback id 5": POINT_5,
            "show install rollback id 4": POINT_4,
        }
    )
    flow = install.InstallMode(rb)
    summary = parsers.install_summary(SUMMARY_AFTER_COMMIT)
    assert flow.rollback_point(summary, "17.6.1") == 4
    assert rb.s.sent == ["show install rollback", "show install rollback id 5", "show install rollback id 4"]
    assert flow.rollback_point(summary, "17.8.1") == 5
    # a version whose package is no longer installed (install remove inactive): no point is used, nothing is asked
    rb.s.sent.clear()
    assert flow.rollback_point(summary, "16.12.5") is None and rb.s.sent == []


def test_rollback_after_commit_without_rollback_points_falls_back():
    """A release without 'show install rollback' answers with an error: no point (the bundle is added again)."""
    flow = install.InstallMode(_Rb({}))
    assert flow.rollback_point(parsers.install_summary(SUMMARY_AFTER_COMMIT), "17.6.1") is None

"""The session reads the device's own errors as errors and lets no netmiko/paramiko exception escape.

A fake netmiko connection stands in for the device: it answers each command with canned text or raises
what netmiko raises on real gear (ReadTimeout at login, ValueError leaving configuration mode).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import NetworkImageError, session
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.platforms import get_platform
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.runbook import Runbook
from helpers.change_record import validate
from helpers.network_runbook import runbook_options
from netmiko.exceptions import ReadTimeout


class Conn:
    """What netmiko.ConnectHandler returns, reduced to what Session uses."""

    def __init__(self, answers=None, prompt="sw1#", config_answer="", raises=None, enable_prompt="sw1#"):
        self.answers = answers or {}
        self.prompt = prompt
        self.config_answer = config_answer
        self.raises = raises or {}
        self.enable_prompt = enable_prompt
        self.sent = []

    def find_prompt(self):
        return self.prompt

    def enable(self):
        self.sent.append("enable")
        if "enable" in self.raises:
            raise self.raises["enable"]
        self.prompt = self.enable_prompt
        return ""

    def send_command(self, command, read_timeout=None):
        self.sent.append((command, read_timeout))
        if command in self.raises:
            raise self.raises[command]
        return self.answers.get(command, "")

    def send_config_set(self, lines, read_timeout=None):
        self.sent.append(("config", tuple(lines)))
        if "config" in self.raises:
            raise self.raises["config"]
        return self.config_answer

    def disconnect(self):
        self.sent.append("disconnect")


def _session(monkeypatch, tmp_path, conn, platform="cisco_ios", connect_error=None, **kw):
    known = tmp_path / "known_hosts"
    known.write_text("")

    def handler(**params):
        if connect_error:
            raise connect_error
        conn.params = params
        return conn

    monkeypatch.setattr(session.netmiko, "ConnectHandler", handler)
    return session.Session(get_platform(platform), "192.0.2.1", 22, "ops", "pw", known_hosts=str(known), **kw)


@pytest.mark.parametrize(
    ("platform", "answer"),
    [
        ("cisco_ios", "show boot\n                 ^\n% Invalid input detected at '^' marker."),
        ("cisco_ios", "% Incomplete command."),
        ("cisco_nxos", "                   ^\n% Invalid command at '^' marker."),
        ("cisco_nxos", "No such command: show boot"),
        ("arista_eos", "% Invalid input (privileged mode required)"),
        ("juniper_junos", "                  ^\nsyntax error, expecting <command>."),
        ("juniper_junos", "                  ^\nunknown command."),
        ("juniper_junos", "error: could not open file /var/tmp/x"),
    ],
)
def test_device_error_shapes_fail_with_the_command_and_the_device_words(monkeypatch, tmp_path, platform, answer):
    s = _session(monkeypatch, tmp_path, Conn({"show boot": answer}, prompt="sw1#"), platform)
    s.connect()
    with pytest.raises(NetworkImageError) as err:
        s.send("show boot")
    last_line = answer.splitlines()[-1].strip()
    assert "'show boot'" in str(err.value) and last_line in str(err.value)
    assert err.value.details["command"] == "show boot"


def test_a_percent_line_deep_in_the_running_config_is_data(monkeypatch, tmp_path):
    config = "\n".join(
        [
            "Building configuration...",
            "!",
            "hostname sw1",
            "!",
            "!",
            "!",
            "banner motd ^C",
            "% Authorised use only",
            "^C",
            "end",
        ]
    )
    s = _session(monkeypatch, tmp_path, Conn({"show running-config": config}))
    s.connect()
    assert s.send("show running-config") == config


@pytest.mark.parametrize(
    "answer",
    [
        "sw1(config)#boot nxos bootflash:x.bin\nSyntax error while parsing 'boot nxos bootflash:x.bin'",
        "sw1(config)#boot system flash:x.bin\n% Incomplete command.",
        "[edit]\nadmin@r1# set system foo\nerror: configuration check-out failed",
    ],
)
def test_refused_configuration_lines_fail_beyond_percent_lines(monkeypatch, tmp_path, answer):
    s = _session(monkeypatch, tmp_path, Conn(config_answer=answer))
    s.connect()
    with pytest.raises(NetworkImageError, match="refused configuration"):
        s.config(["boot system flash:x.bin"])


def test_config_mode_exit_failure_names_the_lines(monkeypatch, tmp_path):
    conn = Conn(raises={"config": ValueError("Failed to exit configuration mode")})
    s = _session(monkeypatch, tmp_path, conn)
    s.connect()
    with pytest.raises(
        NetworkImageError, match=r"configuration \['no boot system'\] failed: ValueError: Failed to exit"
    ):
        s.config(["no boot system"])


def test_read_timeout_at_login_is_a_clear_failure(monkeypatch, tmp_path):
    s = _session(
        monkeypatch, tmp_path, Conn(), connect_error=ReadTimeout("Pattern not detected: 'sw1#'"), connect_timeout=7
    )
    with pytest.raises(NetworkImageError, match=r"no usable prompt after \d+\.\ds \(connect_timeout=7s") as info:
        s.connect()
    assert "within connect_timeout" not in str(info.value)  # it states the measured wait, not the option
    assert isinstance(info.value.details["waited"], float)


def test_every_login_stage_is_bounded_by_connect_timeout_and_commands_are_not(monkeypatch, tmp_path):
    """netmiko's banner/auth/session-preparation reads default to 10-20 s each: all get connect_timeout, and the
    session-preparation override is lifted once logged in (commands wait command_timeout)."""
    conn = Conn()
    s = _session(monkeypatch, tmp_path, conn, connect_timeout=5, command_timeout=40)
    s.connect()
    timeouts = {
        k: conn.params.get(k) for k in ("conn_timeout", "auth_timeout", "banner_timeout", "read_timeout_override")
    }
    assert timeouts == dict.fromkeys(timeouts, 5)
    assert conn.read_timeout_override is None
    s.send("show clock")
    assert conn.sent[-1] == ("show clock", 40)


def test_a_command_that_never_answers_waits_once_and_says_how_long(monkeypatch, tmp_path):
    conn = Conn(raises={"show version": ReadTimeout("timed out")})
    s = _session(monkeypatch, tmp_path, conn, command_timeout=12)
    s.connect()
    with pytest.raises(NetworkImageError, match=r"did not answer within 12s"):
        s.send("show version")
    assert [c for c in conn.sent if isinstance(c, tuple) and c[0] == "show version"] == [("show version", 12)]


def test_user_mode_is_refused_without_become(monkeypatch, tmp_path):
    s = _session(monkeypatch, tmp_path, Conn(prompt="sw1>"))
    with pytest.raises(NetworkImageError, match=r"user mode \(prompt 'sw1>'\).*ansible_become"):
        s.connect()


def test_become_enters_enable_mode_with_the_secret(monkeypatch, tmp_path):
    conn = Conn(prompt="sw1>")
    s = _session(monkeypatch, tmp_path, conn, become=True, secret="en-secret")
    s.connect()
    assert "enable" in conn.sent and conn.params["secret"] == "en-secret"


def test_wrong_enable_secret_fails_naming_enable(monkeypatch, tmp_path):
    conn = Conn(prompt="sw1>", raises={"enable": ValueError("Failed to enter enable mode.")})
    s = _session(monkeypatch, tmp_path, conn, become=True, secret="wrong")
    with pytest.raises(NetworkImageError, match=r"'enable' failed .*ansible_become_password"):
        s.connect()


def test_junos_operational_prompt_is_not_user_mode(monkeypatch, tmp_path):
    s = _session(monkeypatch, tmp_path, Conn(prompt="admin@r1>"), "juniper_junos")
    s.connect()


def test_agent_is_allowed_by_default(monkeypatch, tmp_path):
    conn = Conn()
    _session(monkeypatch, tmp_path, conn).connect()
    assert conn.params["allow_agent"] is True


# -- the runbook around such a session ---------------------------------------------------------------
IOS_VERSION = (
    'Cisco IOS XE Software, Version 17.09.04a\nsw1 uptime is 1 hour, 2 minutes\nSystem image file is "flash:old.bin"'
)
IOS_ANSWERS = {
    "show version": IOS_VERSION,
    "show boot": "BOOT path-list      : flash:old.bin",
    "dir flash:": " 1  -rw-   400  Jan 1 2026 00:00:00 +00:00  old.bin\n\n100000 bytes total (90000 bytes free)",
    "show running-config": "hostname sw1\nend",
    "show startup-config": "hostname sw1\nend",
    "verify /md5 flash:new.bin": "%Error opening flash:new.bin (No such file or directory)",
}


def _options(tmp_path, **kw):
    return runbook_options(tmp_path, **{"state": "staged", **kw})


def test_user_mode_device_that_errors_on_everything_fails_the_scan(monkeypatch, tmp_path):
    invalid = "                 ^\n% Invalid input detected at '^' marker."
    conn = Conn({c: invalid for c in IOS_ANSWERS}, prompt="sw1#")
    s = _session(monkeypatch, tmp_path, conn)
    for check_mode, state in ((False, "scanned"), (True, "staged")):
        res = Runbook(get_platform("cisco_ios"), s, _options(tmp_path, state=state), check_mode=check_mode).run()
        validate(res)
        assert res["failed"] is True and res["changed"] is False
        assert "'show version'" in res["msg"] and "% Invalid input" in res["msg"]
    assert not (tmp_path / "bk").exists()  # the error text was never written as a backup


def test_exception_after_configuration_mode_carries_the_change_record(monkeypatch, tmp_path):
    monkeypatch.setattr(Runbook, "ensure_image", lambda self, dest: True)
    conn = Conn(dict(IOS_ANSWERS), raises={"config": ValueError("Failed to exit configuration mode")})
    s = _session(monkeypatch, tmp_path, conn)
    res = Runbook(get_platform("cisco_ios"), s, _options(tmp_path), check_mode=False).run()
    validate(res)
    assert res["failed"] is True and res["layer"] == "network"
    assert "Failed to exit configuration mode" in res["msg"] and "no boot system" in res["msg"]
    assert res["step"] == "boot" and res["rollback"]["strategy"] == "image"
    assert res["rollback"]["data"]["file"] == "old.bin"
    assert [(p["before"], p["after"]) for p in res["pending"]] == [("17.09.04a", "17.12.03")]
    assert [st["step"] for st in res["steps"]][:2] == ["facts", "backup"]


def test_unexpected_exception_still_fails_with_the_record(monkeypatch, tmp_path):
    conn = Conn(dict(IOS_ANSWERS), raises={"dir flash:": KeyError("boom")})
    s = _session(monkeypatch, tmp_path, conn)
    res = Runbook(get_platform("cisco_ios"), s, _options(tmp_path, state="scanned"), check_mode=False).run()
    validate(res)
    assert res["failed"] is True and "KeyError" in res["msg"] and "'dir flash:'" in res["msg"]


def test_no_real_capture_reads_as_a_device_error():
    """Every answer in the capture corpus (real devices) is data: the error shapes match none of their heads."""
    corpus = Path(__file__).resolve().parents[4] / "fixtures" / "network"
    checked = 0
    for path in sorted(corpus.glob("*/*/*")):
        if path.suffix in (".yml", ".md", ".swi") or not path.is_file():
            continue
        platform = get_platform(path.parts[-3])
        assert platform.device_error(path.read_text(errors="replace"), head_only=True) is None, path.name
        checked += 1
    assert checked >= 60


def test_a_doubled_prompt_at_login_is_read_again(monkeypatch, tmp_path):
    conn = Conn(prompt="sw1#")
    conn.base_prompt = "sw1# sw1"  # two prompts in one read, as netmiko sometimes catches them on a busy link

    def reread():
        conn.sent.append("set_base_prompt")
        conn.base_prompt = "sw1"

    conn.set_base_prompt = reread
    monkeypatch.setattr(session.time, "sleep", lambda _s: None)
    _session(monkeypatch, tmp_path, conn).connect()
    assert conn.sent.count("set_base_prompt") == 1 and conn.base_prompt == "sw1"

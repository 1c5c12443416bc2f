"""Fault command parsing and CLI errors that need no running lab (and no root)."""

from __future__ import annotations

import pytest

from lab import cli, faults
from lab.config import LabError, Settings
from lab.core import Lab


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("EVERYLAYER_LAB_SERVICES", "none")
    return Lab(Settings.resolve(str(tmp_path / "state"), 2290, environ={"HOME": str(tmp_path)}), say=lambda m: None)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ([], "usage"),
        (["clear"], "usage"),
        (["melt", "lab-apt-01"], "unknown fault 'melt'"),
        (["stop"], "usage"),
        (["stop", "lab-nowhere-01"], "unknown host"),
    ],
)
def test_fault_usage_errors(lab, words, message):
    with pytest.raises(LabError, match=message):
        faults.inject(lab, words)


def test_fault_list_names_every_host_fault():
    text = faults.describe()
    for kind in faults.HOST_FAULTS:
        assert kind in text


def test_cli_reports_errors_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EVERYLAYER_LAB_PORT_BASE", "not-a-port")
    assert cli.main(["--state-dir", str(tmp_path), "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lab: error:") and "EVERYLAYER_LAB_PORT_BASE" in err


def test_status_of_a_lab_that_never_ran(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EVERYLAYER_LAB_SERVICES", "none")
    assert cli.main(["--state-dir", str(tmp_path), "--port-base", "2290", "status"]) == 0
    assert "lab is down" in capsys.readouterr().out

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Approval records of the waves: required after the first wave, checked whole before any wave starts."""

from __future__ import annotations

import datetime as dt

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.approvals import check_approvals
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.waves import WaveError, check_waves, selected

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
DEFAULT = [{"name": "pilot"}, {"name": "staged"}, {"name": "full"}]
OK = {"approver": "cab-chair", "approved_at": "2026-12-07T09:30:00Z", "change_id": "CHG-1"}


def test_waves_after_the_first_require_an_approval_by_default():
    assert [w["approval"] for w in check_waves(DEFAULT)] == [False, True, True]
    assert [w["approval"] for w in check_waves(DEFAULT, require_approval=False)] == [False, False, False]
    # the wave's own field wins over the default, both ways
    waves = check_waves([{"name": "pilot", "approval": True}, {"name": "staged", "approval": False}])
    assert [w["approval"] for w in waves] == [True, False]
    with pytest.raises(WaveError, match=r"rollout_waves\[1\] \(staged\).approval: expected true"):
        check_waves([{"name": "pilot"}, {"name": "staged", "approval": "yes"}])


def test_a_wave_without_its_approval_fails_naming_the_wave():
    waves = check_waves(DEFAULT)
    with pytest.raises(
        WaveError, match=r"wave staged requires an approval record and has none.*rollout_approvals.staged"
    ):
        check_approvals(waves, {}, {}, "CHG-1", NOW)
    # pilot alone needs none
    assert check_approvals(selected(waves, "pilot"), {}, {}, None, NOW) == {}


@pytest.mark.parametrize("field", ["approver", "approved_at", "change_id"])
def test_an_approval_without_a_field_names_the_wave_and_the_field(field):
    waves = selected(check_waves(DEFAULT), "staged")
    record = {k: v for k, v in OK.items() if k != field}
    with pytest.raises(WaveError, match=rf"wave staged: its approval rollout_approvals.staged has no {field}"):
        check_approvals(waves, {"staged": record}, {}, "CHG-1", NOW)
    blank = dict(OK, **{field: " "})
    with pytest.raises(WaveError, match=rf"wave staged: its approval rollout_approval has no {field}"):
        check_approvals(waves, {}, blank, "CHG-1", NOW)


def test_records_per_wave_or_one_for_the_run():
    waves = check_waves(DEFAULT)
    staged = dict(OK, approver="alice", comment="CAB 2026-49")
    records = check_approvals(waves, {"staged": staged}, dict(OK, approved_at="2026-12-07"), "CHG-1", NOW)
    assert records["staged"] == {
        "approver": "alice",
        "change_id": "CHG-1",
        "approved_at": "2026-12-07T09:30:00Z",
        "comment": "CAB 2026-49",
        "source": "rollout_approvals.staged",
    }
    assert records["full"]["approver"] == "cab-chair" and records["full"]["source"] == "rollout_approval"
    assert records["full"]["approved_at"] == "2026-12-07T00:00:00Z"  # a date is its start, UTC
    assert "pilot" not in records


@pytest.mark.parametrize(
    ("approvals", "approval", "message"),
    [
        ({"staged": dict(OK, change_id="CHG-2")}, {}, r"rollout_approvals.staged.change_id: CHG-2 is not this run"),
        ({}, dict(OK, approved_at="2026-12-08T09:00:00Z"), r"rollout_approval.approved_at: .* is in the future"),
        ({}, dict(OK, approved_at="yesterday"), r"rollout_approval.approved_at: 'yesterday' is not an ISO 8601"),
        ({"stagd": OK}, OK, r"rollout_approvals: no wave named stagd"),
        ({"staged": dict(OK, aprover="x")}, {}, r"rollout_approvals.staged: unknown field\(s\) aprover"),
        ({"staged": "cab-chair"}, {}, r"rollout_approvals.staged: expected a mapping"),
    ],
)
def test_wrong_records_are_errors(approvals, approval, message):
    with pytest.raises(WaveError, match=message):
        check_approvals(check_waves(DEFAULT), approvals, approval, "CHG-1", NOW)


def test_a_record_may_not_approve_an_unselected_wave_by_typo_but_may_name_a_defined_one():
    waves = check_waves(DEFAULT)
    run = selected(waves, "staged")
    records = check_approvals(run, {"staged": OK, "full": OK}, {}, "CHG-1", NOW, known=["pilot", "staged", "full"])
    assert list(records) == ["staged"]

"""Maintenance windows and blackouts."""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._rollout.maintenance import PolicyError, decide

POLICY = {
    "windows": {
        "always": {"always": True},
        "weeknights": {
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "22:00",
            "end": "04:00",
            "timezone": "Europe/Paris",
        },
        "sunday": {"days": ["sun"], "start": "02:00", "end": "06:00"},
    },
    "blackouts": [
        {"name": "year-end freeze", "start": "2026-12-20T00:00:00Z", "end": "2027-01-05T00:00:00Z"},
        {"name": "prod audit", "start": "2026-11-10T00:00:00Z", "end": "2026-11-11T00:00:00Z", "groups": ["prod"]},
    ],
}


@pytest.mark.parametrize(
    ("window", "now", "allowed", "reason"),
    [
        ("always", "2026-11-23T12:00:00+00:00", True, "inside window always"),
        # Monday 23:30 in Paris (22:30 UTC): inside
        ("weeknights", "2026-11-23T22:30:00+00:00", True, "inside window weeknights"),
        # Tuesday 03:30 Paris (02:30 UTC): still inside Monday's window that crosses midnight
        ("weeknights", "2026-11-24T02:30:00+00:00", True, "inside window weeknights"),
        # Tuesday 04:30 Paris: closed
        ("weeknights", "2026-11-24T03:30:00+00:00", False, "outside window weeknights"),
        # Saturday 01:00 Paris: Friday's window is open until 04:00
        ("weeknights", "2026-11-28T00:00:00+00:00", True, "inside window weeknights"),
        # Sunday 01:00 Paris: Saturday has no window
        ("weeknights", "2026-11-29T00:00:00+00:00", False, "outside window weeknights"),
        ("sunday", "2026-11-29T03:00:00+00:00", True, "inside window sunday"),
        ("sunday", "2026-11-29T07:00:00+00:00", False, "outside window sunday"),
        (None, "2026-11-23T12:00:00+00:00", True, "no maintenance window set"),
    ],
)
def test_window_decisions(window, now, allowed, reason):
    assert decide(window, POLICY, now) == {"allowed": allowed, "reason": reason}


def test_blackout_beats_window():
    result = decide("always", POLICY, "2026-12-24T12:00:00Z")
    assert result["allowed"] is False
    assert "year-end freeze" in result["reason"]


def test_blackout_scoped_to_groups():
    assert decide("always", POLICY, "2026-11-10T12:00:00Z", ["prod"])["allowed"] is False
    assert decide("always", POLICY, "2026-11-10T12:00:00Z", ["dev"])["allowed"] is True


def test_always_without_policy():
    assert decide("always", {}, "2026-11-10T12:00:00Z")["allowed"] is True


@pytest.mark.parametrize(
    ("policy", "window", "message"),
    [
        ({"windows": {}}, "nightly", "maintenance window 'nightly' is not defined in the policy (defined: none)"),
        ({"windows": {"w": {"start": "25"}}}, "w", "windows.w.start: expected a time as HH:MM, got '25'"),
        ({"windows": {"w": {"days": ["funday"]}}}, "w", "windows.w.days: unknown day(s) fun"),
        ({"windows": {"w": {"timezone": "Mars/Base"}}}, "w", "windows.w.timezone: unknown time zone 'Mars/Base'"),
        ({"blackouts": [{"start": "yesterday", "end": "2026-01-01T00:00:00Z"}]}, "w", "blackouts[0].start"),
        ({"blackouts": [{"start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00Z"}]}, "w", "no time zone"),
    ],
)
def test_bad_policy_names_the_field(policy, window, message):
    with pytest.raises(PolicyError) as err:
        decide(window, policy, "2026-11-23T12:00:00Z")
    assert message in str(err.value)

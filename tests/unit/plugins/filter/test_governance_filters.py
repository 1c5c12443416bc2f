# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The governance filters: input errors become filter errors; compliance_summary reads a store read-only."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.everylayer.patch.plugins.filter.governance import (
    baseline_evaluate,
    compliance_summary,
    pending_since,
    risk_rank,
)
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence import store as store_module
from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.backends import open_store


def test_risk_rank_names_the_host_and_fails_on_bad_input():
    ranked = risk_rank(
        {"layer": "os", "pending": [{"component": "vim", "severity": "low"}]}, host="h1", now="2026-12-07"
    )
    assert ranked["items"][0]["asset"] == "h1" and ranked["priority"] == "P4"
    with pytest.raises(AnsibleFilterError, match="risk_rank: .*needs a component"):
        risk_rank([{"severity": "low"}])
    with pytest.raises(AnsibleFilterError, match=r"risk_rank: policy: .*tiers"):
        risk_rank([], policy={"tiers": {"P9": 1}})


def test_baseline_evaluate_unapproved_exception_fails():
    ranked = risk_rank([{"component": "vim", "severity": "low"}], host="h1", now="2026-12-07")
    with pytest.raises(AnsibleFilterError, match="exception E1 has no approver"):
        baseline_evaluate(
            ranked,
            exceptions=[{"id": "E1", "packages": ["vim"], "reason": "r", "owner": "o", "expires": "2027-01-01"}],
            now="2026-12-07",
        )


def test_compliance_summary_from_a_store(tmp_path):
    path = str(tmp_path / "e.sqlite")
    with open_store(path) as store:
        data = {"layer": "os", "scan": True, "changes": [], "pending": [{"component": "vim", "severity": "low"}]}
        store.append("r1", 1, "change", "h1", data)
    result = compliance_summary({"h1": {}, "h2": {"layers": ["os"]}}, store=path)
    assert {r["host"]: r["state"] for r in result["assets"]} == {"h1": "compliant", "h2": "unknown"}
    assert result["summary"]["compliance_rate"] == 0.5
    with pytest.raises(AnsibleFilterError, match="compliance_summary: "):
        compliance_summary({}, store=str(tmp_path / "missing.sqlite"))


def test_pending_since_starts_the_clock_at_the_first_scan(tmp_path, monkeypatch):
    path = str(tmp_path / "e.sqlite")
    stamps = iter(f"2026-12-0{day}T08:00:00.000000Z" for day in range(1, 9))
    monkeypatch.setattr(store_module, "utcnow", lambda: next(stamps))
    with open_store(path) as store:
        for seq, pending in enumerate((["vim", "curl"], ["vim", "curl", "zsh"], ["vim", "zsh"]), start=1):
            data = {"layer": "os", "scan": True, "changes": [], "pending": [{"component": c} for c in pending]}
            store.append(f"r{seq}", 1, "change", "h1", data)
        store.append("r9", 1, "change", "h2", {"layer": "os", "scan": True, "pending": [{"component": "vim"}]})
    monkeypatch.undo()
    # vim since the first scan (12-01), zsh since the second (12-02); curl left the list (no clock); h2 is another host
    assert pending_since("h1", store=path) == {"vim": "2026-12-01", "zsh": "2026-12-02"}
    assert pending_since("h1", layer="network", store=path) == {}
    since = pending_since("h1", store=path)
    ranked = risk_rank([{"component": "vim"}], host="h1", first_seen=since, now="2027-03-15")
    assert ranked["items"][0]["deadline"] == "2027-03-01" and ranked["items"][0]["overdue"] is True  # P4: 90 days

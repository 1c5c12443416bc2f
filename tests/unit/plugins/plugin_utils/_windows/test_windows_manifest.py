"""A pilot's Windows change records freeze exactly the update ids it installed; a staged run installs only those."""

from __future__ import annotations

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.manifest import ManifestError, frozen_update_ids
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.runner import Run
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.selection import Selection
from helpers.winsim_target import ModelTarget

from lab.winsim.wua import Model


def test_pilot_freezes_ids_and_staged_installs_exactly_them(target, tmp_path):
    pilot = Run(target, Selection(min_severity="Critical"), reboot=True).execute()
    forecast = Run(target, Selection(), check_mode=True).execute()  # simulated: not frozen
    ids = frozen_update_ids([pilot, forecast])
    assert ids == [c["details"]["id"] for c in pilot["changes"]] and len(ids) == 1

    staged_host = ModelTarget(Model(tmp_path / "staged"))
    staged = Run(staged_host, Selection(update_ids=ids), reboot=True).execute()
    assert [c["details"]["id"] for c in staged["changes"]] == ids
    # everything else the host offers (5 applicable updates, any category) is left out for that one reason
    assert len(staged["filtered"]) == 4
    assert {f["reason"] for f in staged["filtered"]} == {"not in the frozen manifest (update_ids)"}


def test_failed_and_other_layers_are_not_frozen():
    change = {"component": "KB1", "after": "x.1", "details": {"id": "x"}}
    assert (
        frozen_update_ids(
            [{"layer": "windows", "failed": True, "changes": [change]}, {"layer": "os", "changes": [change]}]
        )
        == []
    )


def test_a_change_without_an_update_id_is_an_error():
    with pytest.raises(ManifestError, match="record 0: change 'KB1' has no update id"):
        frozen_update_ids([{"layer": "windows", "changes": [{"component": "KB1", "after": "x"}]}])

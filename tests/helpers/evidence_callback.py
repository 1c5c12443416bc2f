"""The evidence callback as the tests drive it: built like the plugin loader builds it, options from the environment.

The fixture ``make_callback`` is imported into tests/unit/plugins/callback/conftest.py.
"""

from __future__ import annotations

import os
import types

import pytest
import yaml
from ansible import constants as C
from ansible_collections.everylayer.patch.plugins.callback import evidence

NAME = "everylayer.patch.evidence"
#: what the callback exports to the processes of the run (the callback sets them in os.environ)
EXPORTED = ("EVERYLAYER_EVIDENCE_ACTIVE", "EVERYLAYER_EVIDENCE_RUN_ID")


def load_plugin():
    """The plugin as the loader would build it, without installing Ansible's collection finder in this process."""
    options = yaml.safe_load(evidence.DOCUMENTATION)["options"]
    C.config.initialize_plugin_configuration_definitions("callback", NAME, options)
    plugin = evidence.CallbackModule()
    plugin._load_name = NAME
    return plugin


@pytest.fixture
def make_callback(tmp_path, monkeypatch):
    """Build plugins with EVERYLAYER_EVIDENCE_* from `env` (the store in tmp_path); close their stores at teardown.

    A run that never reaches v2_playbook_on_stats leaves its store open: without the close here the SQLite
    connection is only closed by the garbage collector, in whichever later test that happens to run. What the
    callback exported is removed before and after, so no test sees another test's run.
    """
    plugins = []
    for var in EXPORTED:
        monkeypatch.delenv(var, raising=False)

    def make(**env):
        monkeypatch.setenv("EVERYLAYER_EVIDENCE_STORE", str(tmp_path / "ev.sqlite"))
        for name, value in env.items():
            monkeypatch.setenv(f"EVERYLAYER_EVIDENCE_{name.upper()}", value)
        plugin = load_plugin()
        plugin.set_options()
        plugins.append(plugin)
        return plugin

    yield make
    for plugin in plugins:
        if plugin.recorder is not None:
            plugin.recorder.close()
    for var in EXPORTED:
        os.environ.pop(var, None)


def start(plugin, extra_vars=None):
    """The playbook and play start hooks, with the play's extra vars."""
    manager = types.SimpleNamespace(extra_vars=extra_vars or {})
    plugin.v2_playbook_on_start(types.SimpleNamespace(_file_name=None))
    plugin.v2_playbook_on_play_start(types.SimpleNamespace(get_variable_manager=lambda: manager))

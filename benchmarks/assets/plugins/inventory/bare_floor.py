# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's floor: an inventory plugin that only calls add_host and set_variable."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bare_floor
short_description: Benchmark floor, add_host and set_variable only
description: Reads a JSON mapping of host name to vars and adds each host with its vars, nothing else.
options:
  plugin:
    description: Marks the file as this plugin's configuration.
    required: true
    choices: [bare_floor]
  path:
    description: The JSON file, relative to the configuration file.
    type: str
    required: true
"""

import json
import os

from ansible.plugins.inventory import BaseInventoryPlugin


class InventoryModule(BaseInventoryPlugin):
    NAME = "bare_floor"

    def verify_file(self, path):
        return path.endswith("floor.yml")

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        with open(os.path.join(os.path.dirname(path), self.get_option("path")), encoding="utf-8") as handle:
            hosts = json.load(handle)
        for name, hostvars in hosts.items():
            self.inventory.add_host(name)
            for key, value in hostvars.items():
                self.inventory.set_variable(name, key, value)

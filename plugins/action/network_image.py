# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs everylayer.patch.network_image on the controller: the device is reached over SSH by netmiko."""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible_collections.everylayer.patch.plugins.module_utils._network.argspec import ARGUMENT_SPEC, REQUIRED_IF
from ansible_collections.everylayer.patch.plugins.plugin_utils._network import NetworkImageError, settings
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.platforms import get_platform
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.runbook import Runbook
from ansible_collections.everylayer.patch.plugins.plugin_utils._network.session import Session


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF)
        hostname = task_vars.get("inventory_hostname", "device")

        def var(name):
            value = task_vars.get(name)
            return self._templar.template(value) if value is not None else None

        try:
            conn = settings.connection(
                args, var, hostname, play=self._play_context, default_host_key_checking=C.HOST_KEY_CHECKING
            )
            platform = get_platform(conn["platform"])
            if args.get("image") and not os.path.isfile(args["image"]):
                raise NetworkImageError(f"image {args['image']} does not exist on the controller")
            session = Session(
                platform,
                conn["host"],
                conn["port"],
                conn["username"],
                conn["password"],
                conn["ssh_key_file"],
                conn["known_hosts"],
                conn["host_key_checking"],
                conn["connect_timeout"],
                conn["transfer_timeout"],
                command_timeout=conn["command_timeout"],
                allow_agent=conn["allow_agent"],
                become=conn["become"],
                secret=conn["enable_secret"],
            )
        except (NetworkImageError, KeyError) as exc:
            result.update(failed=True, changed=False, msg=str(exc).strip("'\""))
            return result
        options = dict(args, inventory_hostname=hostname)
        options["backup_dir"] = args.get("backup_dir") or os.path.join(self._loader.get_basedir(), "backups", "network")
        outcome = Runbook(platform, session, options, check_mode=bool(self._task.check_mode)).run()
        warnings = outcome.pop("warnings", [])
        if warnings:
            result.setdefault("warnings", []).extend(warnings)
        result.update(outcome)
        return result

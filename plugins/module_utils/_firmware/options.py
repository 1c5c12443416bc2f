# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The Redfish connection options, once: paired with the doc fragment ``everylayer.patch.redfish``.

Modules that talk to a BMC merge ``REDFISH_CONNECTION_ARG_SPEC`` into their argument spec; they are in the action
group ``redfish`` (meta/runtime.yml), so a play sets the connection once with
``module_defaults: {group/everylayer.patch.redfish: {baseuri: ..., username: ..., password: ...}}``.
"""

from __future__ import annotations

REDFISH_CONNECTION_ARG_SPEC = {
    "baseuri": {"type": "str"},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "auth": {"type": "str", "default": "session", "choices": ["session", "basic"]},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "use_proxy": {"type": "bool", "default": True},
    "request_timeout": {"type": "int", "default": 30},
}

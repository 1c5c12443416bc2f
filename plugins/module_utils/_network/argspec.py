# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of everylayer.patch.network_image, shared by the module (docs) and its action plugin."""

from __future__ import annotations

STATES = ("scanned", "staged", "upgraded", "rolled_back")
PLATFORMS = ("cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos")

ARGUMENT_SPEC = dict(
    state=dict(type="str", default="scanned", choices=list(STATES)),
    image=dict(type="path"),
    version=dict(type="str"),
    image_md5=dict(type="str"),
    dest=dict(type="str"),
    delete_images=dict(type="list", elements="str", default=[]),
    rollback=dict(type="dict"),
    save_unsaved_config=dict(type="bool", default=False),
    backup=dict(type="bool", default=True),
    backup_dir=dict(type="path"),
    postcheck=dict(type="bool", default=True),
    fail_on_postcheck_diff=dict(type="bool", default=False),
    reload_timeout=dict(type="int", default=900),
    reload_poll_interval=dict(type="int", default=10),
    hash_timeout=dict(type="int", default=300),
    transfer_timeout=dict(type="int", default=60),
    platform=dict(type="str"),
    host=dict(type="str"),
    port=dict(type="int"),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    ssh_key_file=dict(type="path"),
    known_hosts=dict(type="path"),
    host_key_checking=dict(type="bool"),
    allow_agent=dict(type="bool", default=True),
    enable_secret=dict(type="str", no_log=True),
    connect_timeout=dict(type="int", default=30),
    command_timeout=dict(type="int", default=60),
    install_auto_abort_timer=dict(type="int", default=60),
)
REQUIRED_IF = [
    ("state", "staged", ("image", "version")),
    ("state", "upgraded", ("image", "version")),
    ("state", "rolled_back", ("rollback",)),
]

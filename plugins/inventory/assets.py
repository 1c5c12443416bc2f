# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: assets
short_description: The unified asset map, merged from several sources
version_added: 0.1.0
description:
  - Builds one host per asset from several sources (CSV, YAML and JSON exports, other inventories'
    C(ansible-inventory --list) output, the lab's generated asset list, NetBox), merged by identity (name, aliases,
    serial) in the order of O(sources), the first listed having the highest precedence.
  - Every host gets the merged record in the var C(asset) (identity, layers, platform, components,
    criticality, exposure, owner, environment, maintenance window, rollout wave). A value from a lower
    source that differs from the kept one is listed in the host var C(asset_conflicts); the group C(all) gets
    a summary in C(assets_report).
  - Adds the groups C(layer_<x>), C(platform_<x>), C(criticality_<x>), C(wave_pilot|wave_staged|wave_full) and
    C(window_<name>), computed in Python, then applies O(compose), O(groups) and O(keyed_groups).
  - Waves are explicit when a source gives one, otherwise placed by a stable hash per platform, lowest
    criticality first (see docs/assets.md).
  - The configuration file name must end in C(assets.yml) or C(assets.yaml).
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: Marks this file as a configuration of this plugin.
    required: true
    choices: ['everylayer.patch.assets']
  sources:
    description:
      - >-
        The sources, highest precedence first. Each is a mapping with C(name), C(type) (C(file), C(inventory),
        C(lab) or C(netbox); default C(file)), C(path) (a file or glob, relative to this file), C(optional)
        (a missing file is an error unless true), C(format) (C(csv), C(yaml), C(json); default from the file name; C(inventory) for an
        C(inventory) source makes the plugin run C(ansible-inventory -i path --list)), C(fields) (record field to
        column name, for example C(criticality: tier) or C(platform.distribution: os)), C(values) (per field,
        source value to record value), C(defaults) (per field, the value when a row has none), C(ignore) (columns
        to skip without a warning) and C(delimiter) (CSV).
      - >-
        A C(netbox) source reads devices and virtual machines from NetBox's REST API with the Python package
        C(pynetbox) (needed on the controller only when such a source is configured). Its options are C(url)
        (the NetBox base URL, required), C(token) (the API token; default the environment variable
        C(NETBOX_TOKEN); it is never shown in messages, reports or the cache), C(validate_certs) (default true),
        C(ca_path) (a CA bundle file that signed NetBox's certificate, relative to this file), C(timeout)
        (seconds per request, default 30), C(filters) (query parameters for every endpoint, for example
        C(site), C(role), C(tag), C(status); a list value repeats the parameter), C(endpoints) (default
        C(dcim/devices) and C(virtualization/virtual-machines)), C(fields) (record field to a dotted NetBox
        attribute path or a list of fallback paths, for example C(criticality: custom_fields.tier); null removes
        a default mapping), C(values), C(defaults), C(platforms) (NetBox platform slug to a C(platform)
        mapping, overriding the built-in rule) and C(oob_firmware) (default true: a device with an
        out-of-band IP and no network platform gets the layer C(firmware)).
      - >-
        Every source type also takes C(allow_vars) (host variables this source may set although they are protected,
        see O(allow_vars)) and C(allow_empty) (default false: a source that reads no asset is an error, because an
        empty export usually means a failed export).
      - See docs/assets.md for the default mapping and the platform and layer rules.
    type: list
    elements: dict
    required: true
  waves:
    description:
      - Wave placement of assets that no source gives a wave. C(pilot_share) (default 0.05) and C(staged_share)
        (default 0.25) are fractions of each platform's assets; C(seed) (default empty) changes the stable hash.
      - >-
        C(list) names the waves and their shares in order instead, for example
        C([{name: canary, share: 0.01}, {name: pilot, share: 0.05}, {name: staged, share: 0.25}, {name: full}]): the
        same names as the rollout's C(rollout_waves); every wave but the last has a C(share) from 0 to 1, the last
        takes the rest. A source that gives a wave outside the list is an error naming the asset. Give either
        C(list) or C(pilot_share)/C(staged_share), not both.
    type: dict
    default: {}
  identity:
    description: >-
      Which fields identify an asset across sources. C(name) is required; C(address) is off by default
      because several assets can share one address (the lab's hosts all listen on 127.0.0.1).
    type: list
    elements: str
    default: [name, aliases, serial]
  allow_vars:
    description:
      - >-
        Host variables that the sources may set although they are protected, as names or shell-style patterns
        (for example C(ansible_user) or C(ansible_ssh_*)), for every source; a source's own C(allow_vars) adds to
        this list for that source only.
      - >-
        Protected are C(ansible_*) variables other than C(ansible_host) and C(ansible_port) (connection, privilege,
        interpreter and shell settings decide what runs on the controller: C(ansible_ssh_common_args) can run a
        command there), names reserved by Ansible, the variables this plugin sets (C(asset), C(asset_conflicts),
        C(assets_report)) and the settings of this collection (C(everylayer_*), C(rollout_*), C(precheck_*),
        C(apply_*), C(postcheck_*), C(reboot_*), C(rollback_*), C(evidence_*)). A source that sets one that is not
        allowed fails the inventory with the file and line of the record.
      - >-
        Every other variable needs a valid name (at most 128 characters) and a value of at most 16 KiB as JSON;
        how many assets set each variable is in C(assets_report.host_vars).
    type: list
    elements: str
    default: []
  warn_conflicts:
    description: Print one warning when sources disagree (the details are always in C(asset_conflicts)).
    type: bool
    default: true
  priority:
    description:
      - >-
        Priority from the evidence store's scans (docs/assets.md, docs/governance.md): each host gets the host var
        C(asset_priority) (C(tier) of its most urgent pending update not covered by an exception, C(state), C(as_of),
        C(last_scan), C(next_deadline), C(overdue), C(kev), C(counts) per tier, C(layers)) and the groups
        C(priority_p1) .. C(priority_p4), C(priority_none) (scanned, nothing to patch), C(priority_unknown) (no scan
        within the policy's C(unknown_after_days)) and C(compliance_<state>).
      - >-
        Keys (all optional) - C(store) (the evidence store; default the evidence callback's setting), C(policy),
        C(exceptions) (files), C(osv) (a list), C(kev), C(epss) (advisory data, paths or URLs), C(as_of) (the day,
        default today). Relative paths are relative to this file.
      - >-
        Read at every parse, never cached. A store that cannot be read, or that has no scan of any host of the map,
        fails the inventory (no priority group is better than an empty C(priority_p1) passed off as fact).
    type: dict
"""

EXAMPLES = r"""
# inventories/prod/assets.yml
plugin: everylayer.patch.assets
sources:
  - name: cmdb
    path: exports/cmdb-*.csv
    fields:
      name: hostname
      criticality: tier
      platform.distribution: os_name
      platform.version: os_version
      maintenance_window: patch_window
    values:
      criticality: {P1: critical, P2: high, P3: medium, P4: low}
  - name: legacy
    type: inventory
    path: legacy-inventory.json
    optional: true
  - name: netbox
    type: netbox
    url: https://netbox.example.com
    # token: from the environment variable NETBOX_TOKEN
    filters:
      status: active
      tag: patch-managed
    fields:
      criticality: custom_fields.tier
    values:
      criticality: {P1: critical, P2: high, P3: medium, P4: low}
waves:
  pilot_share: 0.05
  staged_share: 0.25
keyed_groups:
  - key: asset.owner
    prefix: owner
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/everylayer-assets
"""

import json
import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.build import AssetMap, host_entries
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.priority import VAR, check_config, priorities
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.record import AssetInputError


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "everylayer.patch.assets"

    def __init__(self):
        super().__init__()
        self._stringify_keys = False

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("assets.yml", "assets.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            # Plain copies: config values carry origin tags that would otherwise end up in every record.
            names = ("sources", "waves", "identity", "allow_vars")
            settings = json.loads(json.dumps([self.get_option(name) for name in names]))
            amap = AssetMap(settings[0], os.path.dirname(os.path.abspath(path)), *settings[1:])
            data = self._load(amap, self.get_cache_key(path), cache)
            ranked = None
            config = check_config(json.loads(json.dumps(self.get_option("priority"), default=str)))
            if config:
                assets = {name: hostvars["asset"] for name, hostvars, _groups in host_entries(data)}
                ranked = priorities(assets, config, amap.basedir)
        except AssetInputError as exc:
            raise AnsibleParserError(f"everylayer.patch.assets: {exc}") from None
        self._warn(data["report"])
        self._populate(data, ranked)

    def _load(self, amap, cache_key, cache):
        """The built map, from the cache when it holds one for the same source files and settings."""
        fingerprint = amap.fingerprint()
        use_cache = self.get_option("cache")
        update = use_cache and not cache
        if use_cache and cache:
            try:
                cached = self._cache[cache_key]
            except KeyError:
                cached = None
            if isinstance(cached, dict) and cached.get("fingerprint") == fingerprint:
                return cached
            update = True
        data = amap.build()
        data["fingerprint"] = fingerprint
        if update:
            self._cache[cache_key] = data
        return data

    def _warn(self, report):
        for item in report["unknown_fields"]:
            self.display.warning(
                f"assets: source {item['source']}: unknown column/field {item['field']!r} in {item['file']} "
                "(ignored; map it under fields: or list it under ignore:)"
            )
        for note in report["identity_notes"]:
            self.display.warning(f"assets: {note}")
        if report["conflicts"] and self.get_option("warn_conflicts"):
            self.display.warning(
                f"assets: {report['conflicts']} conflicting value(s) on {report['conflicting_assets']} asset(s) "
                "resolved by source precedence; see the host var asset_conflicts"
            )

    def _populate(self, data, ranked=None):
        inventory = self.inventory
        strict = self.get_option("strict")
        compose = self.get_option("compose")
        conditionals = self.get_option("groups")
        keyed = self.get_option("keyed_groups")
        made = set()
        for name, hostvars, own_groups in host_entries(data):
            groups = own_groups
            if ranked:
                hostvars[VAR], more = ranked[name]
                groups = [*own_groups, *more]
            inventory.add_host(name)
            for key, value in hostvars.items():
                inventory.set_variable(name, key, value)
            for group in groups:
                if group not in made:
                    inventory.add_group(group)
                    made.add(group)
                inventory.add_child(group, name)
            if compose or conditionals or keyed:
                variables = dict(hostvars)
                self._compose_vars(compose, variables, name, strict)
                self._add_host_to_composed_groups(conditionals, variables, name, strict, fetch_hostvars=False)
                self._add_host_to_keyed_groups(keyed, variables, name, strict, fetch_hostvars=False)
        inventory.set_variable("all", "assets_report", data["report"])

    def _compose_vars(self, compose, variables, host, strict):
        """Like ``_set_composite_vars``, but later expressions and the groups see the composed values."""
        for varname, expression in (compose or {}).items():
            try:
                value = self._compose(expression, variables)
            except Exception as exc:
                if strict:
                    raise AnsibleParserError(f"Could not set {varname} for host {host}: {exc}") from exc
                continue
            self.inventory.set_variable(host, varname, value)
            variables[varname] = value

    def _add_host_to_keyed_groups(self, keys, variables, host, strict=False, fetch_hostvars=True):
        # ansible-core rejects a key that evaluates to a number or boolean even with strict: false;
        # group names are text, so such keys are turned into text first.
        self._stringify_keys = True
        try:
            super()._add_host_to_keyed_groups(keys, variables, host, strict, fetch_hostvars)
        finally:
            self._stringify_keys = False

    def _compose(self, template, variables, disable_lookups=...):
        value = super()._compose(template, variables)
        if self._stringify_keys:
            value = _as_group_key(value)
        return value


def _as_group_key(value):
    if isinstance(value, (bool, int, float)):
        return str(value)
    if isinstance(value, list):
        return [str(item) if isinstance(item, (bool, int, float)) else item for item in value]
    return value

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""What asset data may do: host names and addresses, value sizes, and which host variables a source may set.

An asset export (a CMDB, a spreadsheet, another inventory) is data, usually writable by far more people than
the playbooks. A host variable such as ``ansible_ssh_common_args`` or ``ansible_connection`` is not data: it
decides what runs on the controller. So a source sets such variables only when the inventory configuration
names them in ``allow_vars``; every other variable is checked for a sane name and size.
"""

from __future__ import annotations

import ipaddress
import json
import re
import reprlib
from fnmatch import fnmatchcase

from .errors import AssetInputError

# Variables a source may set without being allowed to: the asset's own address and port.
SAFE_ANSIBLE_VARS = frozenset({"ansible_host", "ansible_port"})
# Set by the inventory plugin itself, or settings of this collection's roles and plugins: a CMDB row must not
# switch off evidence, widen a rollout or change a reboot policy unless the configuration says it may.
PROTECTED_PREFIXES = (
    "ansible_",
    "everylayer_",
    "rollout_",
    "precheck_",
    "apply_",
    "postcheck_",
    "reboot_",
    "rollback_",
    "evidence_",
)
PLUGIN_VARS = frozenset({"asset", "asset_conflicts", "asset_priority", "assets_report"})
VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
MAX_VAR_BYTES = 16384  # one variable's value, as JSON
MAX_TEXT = 1024  # one scalar field (owner, window, version, ...)

_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
_DNS_NAME = re.compile(r"(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")

_SHORT = reprlib.Repr()
_SHORT.maxstring = 80
_SHORT.maxother = 80
_SHORT.maxlevel = 2
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4


def short(value):
    """A bounded ``repr`` for messages: never expands a huge (or alias-shared) structure."""
    return _SHORT.repr(value)


def _reserved_names():
    try:
        from ansible.vars.reserved import get_reserved_names  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover - always there on a controller
        return frozenset()
    return frozenset(get_reserved_names())


RESERVED = _reserved_names()


def check_host_name(name, field, where):
    """An inventory name or alias: RFC 1123 labels (underscores tolerated, as inventories use them)."""
    if not _NAME.fullmatch(name):
        raise AssetInputError(
            f"{where}: {field} {short(name)} is not a valid host name (RFC 1123: letters, digits, '-' and '_', "
            "dot-separated labels of at most 63 characters, not starting or ending with '-')"
        )
    return name


def check_address(address, where):
    """An address to connect to: an IPv4/IPv6 address or an RFC 1123 DNS name."""
    if _IPV4.fullmatch(address):  # the common case, without ipaddress's cost (a tenth of a 100k-asset build)
        return address
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        pass
    if not _DNS_NAME.fullmatch(address) or address.replace(".", "").isdigit():
        raise AssetInputError(f"{where}: address {short(address)} is neither an IP address nor an RFC 1123 DNS name")
    return address


def check_length(text, field, where, limit=MAX_TEXT):
    if len(text) > limit:
        raise AssetInputError(f"{where}: {field} is {len(text)} characters long (at most {limit}): {short(text)}")
    return text


def allow_patterns(value, where):
    """Validate an ``allow_vars`` setting: a list of variable names or shell-style patterns."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise AssetInputError(f"{where}: allow_vars must be a list of variable names or patterns, got {short(value)}")
    bad = [item for item in value if not re.fullmatch(r"[A-Za-z0-9_*?\[\]!-]+", item)]
    if bad:
        raise AssetInputError(f"{where}: allow_vars entry {short(bad[0])} is not a variable name or pattern")
    return tuple(value)


# Options every source type takes (see docs/assets.md): allow_vars and allow_empty are read by build.py.
COMMON_KEYS = frozenset({"name", "type", "fields", "values", "defaults", "allow_vars", "allow_empty"})


def read_policy(source, spec):
    """The options every source type shares: which protected host variables it may set, and may it be empty."""
    source.allow_vars = allow_patterns(spec.get("allow_vars"), f"source {source.name}")
    allow_empty = spec.get("allow_empty", False)
    if not isinstance(allow_empty, bool):
        raise AssetInputError(f"source {source.name}: allow_empty must be true or false, got {short(allow_empty)}")
    source.allow_empty = allow_empty


class VarPolicy:
    """Which host variables a source may set: ``check(vars, where)`` raises on the first that it may not."""

    def __init__(self, source, allowed=()):
        self.source = source
        self.allowed = tuple(allowed)
        self.passed = {}  # variable name -> number of assets that set it (for the report)

    def is_allowed(self, name):
        return any(fnmatchcase(name, pattern) for pattern in self.allowed)

    def protected(self, name):
        """Why ``name`` needs an allow-list entry, or None."""
        if name in SAFE_ANSIBLE_VARS:
            return None
        if name in PLUGIN_VARS:
            return "is set by the assets inventory plugin itself"
        if name in RESERVED:
            return "is a name reserved by Ansible"
        for prefix in PROTECTED_PREFIXES:
            if name.startswith(prefix):
                what = "connection/privilege/interpreter" if prefix == "ansible_" else "collection"
                return f"is an Ansible {what} setting ({prefix}*)" if prefix == "ansible_" else f"is a {what} setting"
        return None

    def check(self, host_vars, where):
        for name, value in host_vars.items():
            if not isinstance(name, str) or not VAR_NAME.fullmatch(name):
                raise AssetInputError(
                    f"{where}: source {self.source}: variable name {short(name)} is not a valid Ansible variable "
                    "name (a letter or '_', then letters, digits and '_', at most 128 characters)"
                )
            reason = self.protected(name)
            if reason and not self.is_allowed(name):
                raise AssetInputError(
                    f"{where}: source {self.source} sets the host variable {name}, which {reason}; asset data may "
                    f"not set it unless the inventory configuration lists it under allow_vars (of this source "
                    f"or of the plugin), for a source trusted to decide how hosts are reached"
                )
            try:
                size = len(json.dumps(value, default=str))
            except (TypeError, ValueError, RecursionError):
                raise AssetInputError(
                    f"{where}: source {self.source}: variable {name} has a value that is not plain data: {short(value)}"
                ) from None
            if size > MAX_VAR_BYTES:
                raise AssetInputError(
                    f"{where}: source {self.source}: variable {name} is {size} bytes as JSON (at most "
                    f"{MAX_VAR_BYTES}): {short(value)}"
                )
            self.passed[name] = self.passed.get(name, 0) + 1

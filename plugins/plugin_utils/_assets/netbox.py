# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""The ``netbox`` asset source: devices and virtual machines read from NetBox's REST API with pynetbox.

pynetbox is imported only when a ``netbox`` source is configured. The API token never appears in a
message, a record or the cache: errors name the source by its index and URL.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re

from .errors import AssetInputError, Location
from .fieldmap import FieldMap, field_path
from .guard import COMMON_KEYS, read_policy

ENDPOINTS = ("dcim/devices", "virtualization/virtual-machines")
# The host variables the oob_firmware rule sets (the BMC's URL from the device's out-of-band IP).
OOB_VARS = ("everylayer_bmc_baseuri", "everylayer_firmware_backend", "ansible_connection")
_KEYS = {
    "name", "type", "url", "token", "validate_certs", "ca_path", "timeout", "filters", "endpoints",
    "fields", "values", "defaults", "platforms", "oob_firmware", *COMMON_KEYS,
}  # fmt: skip

# Record field -> NetBox attribute path (dotted; a list gives fallbacks, the first with a value wins).
DEFAULT_FIELDS = {
    "name": "name",
    "serial": "serial",
    "address": ["primary_ip.address", "primary_ip4.address", "primary_ip6.address"],
    "criticality": "custom_fields.criticality",
    "exposure": "custom_fields.exposure",
    "environment": "custom_fields.environment",
    "maintenance_window": "custom_fields.maintenance_window",
    "wave": "custom_fields.wave",
    "owner": ["custom_fields.owner", "tenant.slug"],
    "vars.netbox_id": "id",
    "vars.netbox_status": "status.value",
    "vars.netbox_role": "role.slug",
    "vars.netbox_site": "site.slug",
    "vars.netbox_tenant": "tenant.slug",
    "vars.netbox_tags": "tags.slug",
}

# NetBox platform slug (lower-cased, '-' read as '_') -> platform.network_os.
NETWORK_OS = {
    "ios": "cisco_ios",
    "ios_xe": "cisco_ios",
    "iosxe": "cisco_ios",
    "cisco_ios": "cisco_ios",
    "cisco_ios_xe": "cisco_ios",
    "nxos": "cisco_nxos",
    "cisco_nxos": "cisco_nxos",
    "eos": "arista_eos",
    "arista_eos": "arista_eos",
    "junos": "juniper_junos",
    "juniper_junos": "juniper_junos",
}
_SLUG_SPLIT = re.compile(r"[-_\s]+")
_PICK = ("slug", "value", "name", "display")


def platform_of(slug, table=None):
    """``(platform, layer)`` for a NetBox platform slug, by the rule documented in docs/assets.md.

    ``table`` (the source's ``platforms:``) maps a slug to a platform mapping and wins. Otherwise a network
    OS slug gives ``network_os`` (layer network); any other slug is read as ``<distribution>-<version>``:
    its leading words (joined by ``_``) are the distribution, the numeric parts (joined by ``.``) the
    version (``ubuntu-24-04`` -> ubuntu 24.04). A ``windows*`` distribution is layer windows, else os.
    """
    if not slug:
        return {}, None
    slug = str(slug).strip().lower()
    given = (table or {}).get(slug)
    if given is not None:
        platform = {str(key): str(value) for key, value in given.items() if value is not None}
    elif slug.replace("-", "_") in NETWORK_OS:
        platform = {"network_os": NETWORK_OS[slug.replace("-", "_")]}
    else:
        words = [word for word in _SLUG_SPLIT.split(slug) if word]
        head = 0
        while head < len(words) and not words[head][0].isdigit():
            head += 1
        platform = {"distribution": "_".join(words[:head]) or slug}
        if words[head:]:
            platform["version"] = ".".join(words[head:])
    if platform.get("network_os"):
        return platform, "network"
    if str(platform.get("distribution", "")).startswith("windows"):
        return platform, "windows"
    return platform, "os" if platform.get("distribution") else None


def lookup(obj, path):
    """The value at a dotted ``path`` of a NetBox object (nested mappings; a list maps over its items).

    A nested object (tenant, role, choice field) at the end of the path gives its slug, value or name.
    """
    value = obj
    for part in path.split("."):
        if isinstance(value, list):
            value = [item.get(part) if isinstance(item, dict) else None for item in value]
            value = [item for item in value if item is not None]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
        if value is None:
            return None
    return _plain(value)


def _plain(value):
    if isinstance(value, dict):
        for key in _PICK:
            if value.get(key) not in (None, ""):
                return value[key]
        return None
    if isinstance(value, list):
        return [item for item in (_plain(item) for item in value) if item not in (None, "")]
    return value


def strip_prefix(address):
    """``10.0.0.1/24`` -> ``10.0.0.1`` (NetBox IP addresses carry their prefix length)."""
    text = str(address).strip()
    try:
        return str(ipaddress.ip_interface(text).ip)
    except ValueError:
        return text.partition("/")[0]


def to_raw(obj, kind, fields, platforms=None, oob_firmware=True):
    """A raw asset record (canonical field names) from one NetBox device (``kind`` device) or VM (``vm``)."""
    raw = {}
    for target, paths in fields.items():
        for path in paths:
            value = lookup(obj, path)
            if value not in (None, "", [], {}):
                if target == "address" and isinstance(value, str):
                    value = strip_prefix(value)
                raw[target] = value
                break
    platform, layer = platform_of(lookup(obj, "platform.slug"), platforms)
    if platform:  # keys mapped by fields: (platform.version...) win over the rule's
        raw["platform"] = platform
    if "layers" not in raw:
        layers = [layer] if layer else []
        if kind == "vm" and not layers:
            layers = ["os"]
        oob = lookup(obj, "oob_ip.address") if kind == "device" else None
        if oob and oob_firmware and layer != "network":
            host = strip_prefix(oob)
            layers.append("firmware")
            bmc = f"[{host}]" if ":" in host else host
            raw["vars.everylayer_bmc_baseuri"] = f"https://{bmc}"
            vendor = lookup(obj, "device_type.manufacturer.slug")
            if vendor and "platform.bmc_vendor" not in raw:
                raw.setdefault("platform", {})["bmc_vendor"] = vendor
            if not layer:  # no OS known: only the BMC is reachable, through Redfish from the controller
                raw.setdefault("vars.everylayer_firmware_backend", "redfish")
                raw.setdefault("vars.ansible_connection", "local")
        if layers:
            raw["layers"] = layers
    return raw


class NetboxSource:
    """Devices and virtual machines of a NetBox instance (REST API, through pynetbox)."""

    TYPE = "netbox"

    def __init__(self, spec, basedir, index=None):
        self.name = str(spec.get("name") or self.TYPE)
        self.index = index
        self.basedir = basedir
        unknown = sorted(set(spec) - _KEYS)
        self.url = str(spec.get("url") or "").rstrip("/")
        if unknown:
            raise self.error(f"unknown option(s) {', '.join(unknown)}")
        if not re.match(r"https?://[^/]", self.url):
            raise self.error("url is required: the NetBox base URL, e.g. https://netbox.example.com")
        self._token = spec.get("token") or os.environ.get("NETBOX_TOKEN") or None
        self.validate_certs = bool(spec.get("validate_certs", True))
        self.ca_path = spec.get("ca_path")
        if self.ca_path:
            self.ca_path = os.path.join(basedir, os.path.expanduser(str(self.ca_path)))
            if not os.path.exists(self.ca_path):
                raise self.error(f"ca_path {self.ca_path} does not exist")
        self.timeout = spec.get("timeout", 30)
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) or self.timeout <= 0:
            raise self.error(f"timeout must be a positive number of seconds, got {self.timeout!r}")
        self.filters = spec.get("filters") or {}
        if isinstance(self.filters, dict):  # NetBox reads true/false; Python would send True/False
            self.filters = {str(key): _query_value(value) for key, value in self.filters.items()}
        self.endpoints = spec.get("endpoints") or list(ENDPOINTS)
        self.platforms = {str(slug).lower(): value for slug, value in (spec.get("platforms") or {}).items()}
        self.oob_firmware = bool(spec.get("oob_firmware", True))
        for option in ("filters", "fields", "values", "defaults", "platforms"):
            if not isinstance(spec.get(option) or {}, dict):
                raise self.error(f"{option} must be a mapping")
        for slug, platform in self.platforms.items():
            if not isinstance(platform, dict):
                raise self.error(f"platforms: {slug} must be a mapping of platform keys")
        bad = [item for item in self.endpoints if item not in ENDPOINTS] if isinstance(self.endpoints, list) else 1
        if bad:
            raise self.error(f"endpoints must be a list of {', '.join(ENDPOINTS)}")
        self.fields = self._fields(spec.get("fields") or {})
        self.fieldmap = FieldMap(self.name, None, spec.get("values"), spec.get("defaults"))
        self.files = []
        read_policy(self, spec)
        if self.oob_firmware:  # set by the rule below from NetBox's validated oob_ip, not passed through
            self.allow_vars = (*self.allow_vars, *OOB_VARS)
        self._pynetbox, self._requests = _import_pynetbox(self)
        self._api = None

    def _fields(self, given):
        fields = dict(DEFAULT_FIELDS)
        for target, paths in given.items():
            if field_path(target) is None:
                raise self.error(f"fields: {target!r} is not a record field")
            if paths in (None, "", []):
                fields.pop(target, None)
            else:
                fields[target] = paths
        return {
            target: [paths] if isinstance(paths, str) else [str(p) for p in paths] for target, paths in fields.items()
        }

    def error(self, message):
        where = f"sources[{self.index}]" if self.index else "source"
        text = f"{where} {self.name} ({self.url or 'no url'}): {message}"
        if self._token_text():
            text = text.replace(self._token_text(), "********")
        return AssetInputError(text)

    def _token_text(self):
        return getattr(self, "_token", None) or ""

    def api(self):
        if self._api is None:
            api = self._pynetbox.api(self.url, token=self._token)
            session = self._requests.Session()
            verify = self.ca_path if (self.validate_certs and self.ca_path) else self.validate_certs
            # Per request, so REQUESTS_CA_BUNDLE in the environment does not replace ca_path; and a timeout:
            # requests has none by default, and an unreachable NetBox must not hang the inventory.
            session.request = functools.partial(session.request, timeout=self.timeout, verify=verify)
            api.http_session = session
            self._api = api
        return self._api

    def _endpoint(self, name):
        app, endpoint = name.split("/", 1)
        return getattr(getattr(self.api(), app), endpoint.replace("-", "_"))

    def _list(self, name, **params):
        """Every object of one endpoint (pynetbox follows the pages), as plain dicts."""
        endpoint = self._endpoint(name)
        query = {**self.filters, **params}
        try:
            rows = endpoint.filter(**query) if query else endpoint.all()
            return [dict(row) for row in rows]
        except self._errors() as exc:
            raise self.error(f"reading {name}: {self._explain(exc)}") from None

    def _errors(self):
        """What a request can raise: HTTP errors, non-JSON answers, connection and TLS failures, odd shapes."""
        pynetbox = self._pynetbox
        return (pynetbox.RequestError, pynetbox.ContentError, self._requests.RequestException, ValueError, LookupError)

    def _explain(self, exc):
        pynetbox, requests = self._pynetbox, self._requests
        if isinstance(exc, pynetbox.RequestError):
            req = exc.req
            detail = ""
            try:
                body = req.json()
                detail = body.get("detail", "") if isinstance(body, dict) else ""
            except ValueError:
                detail = ""
            return f"HTTP {req.status_code} {req.reason} for {_path_of(req.url)}" + (f": {detail}" if detail else "")
        if isinstance(exc, pynetbox.ContentError):
            return f"the response of {_path_of(exc.req.url)} is not JSON (is the URL a NetBox API?)"
        if isinstance(exc, requests.exceptions.SSLError):
            return (
                f"TLS certificate verification failed ({_reason(exc)}); set ca_path to the CA that signed "
                "NetBox's certificate (validate_certs: false turns verification off)"
            )
        if isinstance(exc, requests.exceptions.RequestException):
            return f"NetBox is unreachable: {type(exc).__name__}: {_reason(exc)}"
        return f"{type(exc).__name__}: {exc}"

    def fingerprint(self):
        """Per endpoint ``(label, object count, [newest last_updated, url, filters])``: one small request each.

        ``AssetMap.fingerprint`` reads ``(path, mtime, size)`` triples; the label stands in for the path.
        """
        marks = []
        for name in self.endpoints:
            endpoint = self._endpoint(name)
            query = {**self.filters, "ordering": "-last_updated", "limit": 1, "offset": 0}
            try:
                page = endpoint.filter(**query)
                newest = [dict(row).get("last_updated") for row in page]
                count = page.request.count
            except self._errors() as exc:
                raise self.error(f"reading {name}: {self._explain(exc)}") from None
            label = os.path.join(self.basedir, f"netbox:{self.name}:{name}")
            marks.append((label, count, [newest, self.url, self.filters]))
        return marks

    def read(self):
        for name in self.endpoints:
            kind = "device" if name == "dcim/devices" else "vm"
            for obj in self._list(name):
                raw = to_raw(obj, kind, self.fields, self.platforms, self.oob_firmware)
                if not raw.get("name"):
                    continue  # unnamed devices (patch panels, shelves...) cannot be hosts
                where = Location(obj.get("url") or f"{self.url}/api/{name}/{obj.get('id')}/", None, f"({kind})")
                yield self.fieldmap.from_mapping(raw, where), where


def _import_pynetbox(source):
    """pynetbox and requests (a dependency of pynetbox), imported only when a netbox source is configured."""
    try:
        import pynetbox  # pylint: disable=import-outside-toplevel
        import requests  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise source.error(
            "the netbox source needs the Python package pynetbox on the controller "
            "(pip install 'pynetbox>=7.4,<8'; it is listed in the collection's requirements.txt)"
        ) from None
    return pynetbox, requests


def _query_value(value):
    if isinstance(value, list):
        return [_query_value(item) for item in value]
    return str(value).lower() if isinstance(value, bool) else value


def _path_of(url):
    """The path and query of a request URL, without scheme and host (the source already names the URL)."""
    match = re.match(r"https?://[^/]+(/.*)?$", str(url or ""))
    return (match.group(1) if match else None) or str(url)


def _reason(exc):
    text = str(exc)
    found = re.search(r"\[SSL[^\]]*\] ([^(')\"]+)|(Connection refused|Name or service not known|timed out)", text)
    return (found.group(1) or found.group(2)).strip() if found else text[-300:]

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Where a Redfish service reports firmware versions, and what SimpleUpdate ``Targets`` each one needs.

Three sources, read in this order:

- ``firmware_inventory``: members of the UpdateService's FirmwareInventory (SoftwareInventory resources);
  the member URI is the target.
- ``system_bios``: ``ComputerSystem.BiosVersion``, for services that list no BIOS in a FirmwareInventory (or
  have none, as OpenStack's sushy-tools); the ComputerSystem URI is the target.
- ``manager``: ``Manager.FirmwareVersion`` (the BMC's own firmware) likewise; the Manager URI is the target.

A system or manager already represented by an inventory member (its ``RelatedItem``, or the same version under
a BIOS/BMC-like name) is not listed twice. Ids are stable: ``BIOS`` / ``BMC`` when the service has one such
system / manager, ``BIOS-<Id>`` / ``BMC-<Id>`` when it has several (or an inventory member already uses the
short id); the qualified form is always accepted.
"""

from __future__ import annotations

import re

from .common import FirmwareError
from .redfish_client import RedfishHttpError
from .redfish_parse import component, member_ids, odata_id

FIRMWARE_INVENTORY = "firmware_inventory"
SYSTEM_BIOS = "system_bios"
MANAGER = "manager"

# Names under which inventories list what ComputerSystem.BiosVersion / Manager.FirmwareVersion also report.
_BIOS_WORDS = ("bios", "uefi", "system rom", "systemrom")
_BMC_WORDS = ("bmc", "idrac", "ilo", "xcc", "imm", "manager", "baseboard management")


def _norm(uri):
    return (uri or "").rstrip("/")


# Answers meaning "this service does not implement that resource"; any other error (a busy or failing BMC) is
# raised as it is, so a transient 503 is never mistaken for a missing component.
NOT_IMPLEMENTED = (404, 405, 501)


def _get_optional(get, uri, notes, what):
    """GET ``uri``; an answer that it is not implemented is noted and gives None."""
    try:
        return get(uri)
    except RedfishHttpError as exc:
        if exc.status not in NOT_IMPLEMENTED:
            raise
        notes.append(f"{what} {uri} answered HTTP {exc.status}")
        return None


def _inventory_members(get, svc, notes):
    uri = svc.get("firmware_inventory")
    if not uri:
        where = svc.get("uri") or "the ServiceRoot (no UpdateService link)"
        notes.append(f"the UpdateService ({where}) advertises no FirmwareInventory")
        return []
    collection = _get_optional(get, uri, notes, "its advertised FirmwareInventory")
    if collection is None:
        return []
    devices = []
    for member in member_ids(collection):
        dev = component(get(member))
        dev["uri"] = dev["uri"] or member
        dev["target_uri"] = dev["uri"]
        dev["source"] = FIRMWARE_INVENTORY
        devices.append(dev)
    if not devices:
        notes.append(f"its FirmwareInventory {uri} has no members")
    return devices


def _resources(get, root, link, notes):
    """(uri, body) of every member of the ServiceRoot's ``link`` collection (Systems, Managers)."""
    uri = odata_id(root.get(link))
    if not uri:
        return []
    collection = _get_optional(get, uri, notes, link)
    found = []
    for member in member_ids(collection or {}):
        body = _get_optional(get, member, notes, link[:-1])
        if body is not None:
            found.append((member, body))
    return found


def _version_core(version):
    """The first dotted number of a version string: iLO's Manager says "iLO 5 v2.72", its inventory "2.72 Feb 09 2022"."""
    found = re.search(r"\d+(?:\.\d+)+", str(version or ""))
    return found.group(0) if found else None


def _covered(inventory, uri, version, words):
    """Whether an inventory member already stands for the system's BIOS / the manager's firmware."""
    core = _version_core(version)
    for dev in inventory:
        related = uri in [_norm(r) for r in dev["related_item"]]
        same_version = bool(version) and (
            dev["version"] == version or bool(core) and _version_core(dev["version"]) == core
        )
        named = any(w in f"{dev['id']} {dev['name'] or ''}".lower() for w in words)
        if ((related or same_version) and named) or (related and same_version):
            return True
    return False


def _synthetic(short, resource_id, uri, body, version, updateable, name, taken, several):
    qualified = f"{short}-{resource_id}"
    status = body.get("Status") or {}
    return {
        "id": qualified if several or short in taken else short,
        "qualified_id": qualified,
        "name": name,
        "version": version,
        "updateable": updateable,
        "lowest_supported_version": None,
        "software_id": None,
        "manufacturer": body.get("Manufacturer"),
        "release_date": None,
        "related_item": [uri],
        "health": status.get("Health"),
        "state": status.get("State"),  # a Manager in "Updating" is refused before sending, as a member is
        "uri": uri,
        "target_uri": uri,
    }


def read(get, root, svc):
    """Every firmware component the service reports (see the module docstring); raises when it reports none.

    ``get(uri)`` returns a JSON body or raises RedfishHttpError; ``root`` is the ServiceRoot body and ``svc``
    the parsed UpdateService (``redfish_parse.update_service`` plus its ``uri``, None when not linked).
    """
    notes = []
    inventory = _inventory_members(get, svc, notes)
    devices = list(inventory)
    taken = {d["id"] for d in inventory}
    # A synthetic component is updateable when the service has an action to send an image with.
    updateable = bool(svc.get("uri") and (svc.get("simple_update") or svc.get("multipart_push_uri")))
    for link, short, field, words, source in (
        ("Systems", "BIOS", "BiosVersion", _BIOS_WORDS, SYSTEM_BIOS),
        ("Managers", "BMC", "FirmwareVersion", _BMC_WORDS, MANAGER),
    ):
        found = [(uri, body) for uri, body in _resources(get, root, link, notes) if body.get(field)]
        for uri, body in found:
            if _covered(inventory, _norm(uri), body[field], words):
                continue
            resource_id = body.get("Id") or _norm(uri).rsplit("/", 1)[-1]
            label = "BIOS" if short == "BIOS" else "Manager firmware"
            name = f"{label} of {body.get('Name') or resource_id}"
            dev = _synthetic(short, resource_id, _norm(uri), body, body[field], updateable, name, taken, len(found) > 1)
            dev["source"] = source
            taken.add(dev["id"])
            devices.append(dev)
    if not devices:
        raise FirmwareError(
            "The Redfish service reports no firmware versions: "
            + "; ".join(notes + ["no ComputerSystem has a BiosVersion and no Manager a FirmwareVersion"])
            + ". Check that baseuri points at the BMC's Redfish service.",
            redfish_notes=notes,
        )
    return devices


def find(devices, wanted):
    """The component whose id (or qualified id, ``BIOS-<system Id>``) is ``wanted``; a clear error otherwise."""
    for dev in devices:
        if wanted in (dev["id"], dev.get("qualified_id")):
            return dev
    have = ", ".join(f"{d['id']} ({d['source']})" for d in devices) or "none"
    raise FirmwareError(
        f"Component {wanted!r} is not in the BMC's FirmwareInventory, nor a ComputerSystem BiosVersion or a "
        f"Manager FirmwareVersion it reports; it has: {have}."
    )


def not_updateable(dev, svc):
    """Why ``dev`` cannot be updated, in the service's terms."""
    if dev["source"] == FIRMWARE_INVENTORY:
        return f"Component {dev['id']} is not updateable (Updateable=false in FirmwareInventory)."
    field = "BiosVersion" if dev["source"] == SYSTEM_BIOS else "FirmwareVersion"
    if not svc.get("uri"):
        return (
            f"Component {dev['id']} ({field} of {dev['uri']}) cannot be updated: the service's ServiceRoot "
            "links no UpdateService."
        )
    return (
        f"Component {dev['id']} ({field} of {dev['uri']}) cannot be updated: the UpdateService {svc['uri']} "
        "offers neither SimpleUpdate nor MultipartHttpPushUri."
    )

"""Validate a module result against the change-record contract (schemas/change_record.schema.json).

Usage in any test::

    from helpers.change_record import validate

    validate(result)            # raises AssertionError naming every problem; returns the result

Checks the JSON Schema and the rules a schema cannot express:
- reboot_required is true when any change asks for a reboot;
- a real (not simulated) result that lists changes has changed true.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "change_record.schema.json"


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def problems(result: dict) -> list[str]:
    """Every way ``result`` breaks the contract, as readable lines (empty when it conforms)."""
    validator = jsonschema.Draft202012Validator(schema())
    found = [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<result>'}: {err.message}"
        for err in sorted(validator.iter_errors(result), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if found:
        return found
    changes = result["changes"]
    if any(c["reboot_required"] for c in changes) and not result["reboot_required"]:
        found.append("reboot_required is false although a change asks for a reboot")
    if not result.get("simulated", False) and "changed" in result:
        if changes and not result["changed"]:
            found.append("changes lists entries but changed is false")
    return found


def validate(result: dict) -> dict:
    """Assert that ``result`` carries a valid change record; return it unchanged."""
    found = problems(result)
    if found:
        raise AssertionError("result breaks the change-record contract:\n  " + "\n  ".join(found))
    return result

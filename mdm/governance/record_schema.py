"""JSON Schema of a mapped (canonical) record, generated from the dictionary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import FieldDef, Governance

_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def field_schema(f: FieldDef, codes: list[str] | None) -> dict[str, Any]:
    schema: dict[str, Any] = dict(_TYPES[f.type])
    schema["title"] = f.label
    schema["description"] = f.description
    if codes is not None:
        schema["enum"] = codes
    if f.pattern:
        schema["pattern"] = f.pattern
    if f.min_length is not None:
        schema["minLength"] = f.min_length
    if f.max_length is not None:
        schema["maxLength"] = f.max_length
    if f.minimum is not None:
        schema["minimum"] = f.minimum
    if f.maximum is not None:
        schema["maximum"] = f.maximum
    # Mapping drops missing values instead of writing nulls, so no field needs to admit null.
    return schema


def record_schema(gov: Governance, domain_name: str) -> dict[str, Any]:
    """Draft 2020-12 schema for one domain's canonical records (unknown fields are reported, not refused)."""
    domain = gov.domains[domain_name]
    props = {
        name: field_schema(f, domain.code_lists.get(f.code_list) if f.code_list else None)
        for name, f in domain.fields.items()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://meddev-mdm.example/schemas/records/{domain_name}.json",
        "title": f"{domain.label} record",
        "description": domain.description,
        "type": "object",
        "properties": props,
        "required": sorted(n for n, f in domain.fields.items() if f.required),
        "additionalProperties": False,
    }

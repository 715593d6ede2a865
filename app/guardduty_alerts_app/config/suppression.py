"""The `suppression_rules` setting: its schema, what a schema cannot check, and the typed rules it gives."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from guardduty_alerts.suppression import (
    FILTER_NAME_PATTERN,
    LIST_OPERATORS,
    NUMBER_OPERATORS,
    OPERATORS,
    SuppressionRule,
    criteria_problems,
)

from .validator import ConfigValidator

__all__ = ["SUPPRESSION_SCHEMA", "parse_suppression_rules", "suppression_problems"]

_BOUND = {
    "oneOf": [{"type": "number"}, {"type": "string", "minLength": 1}],
    "x-allowed": "a number (severity, count) or a timestamp such as 2026-01-01T00:00:00Z",
}
SUPPRESSION_SCHEMA: dict[str, Any] = {
    "type": "array",
    "x-allowed": "a list of suppression rules, each with name, criteria and an optional description",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "criteria"],
        "x-allowed": "a mapping with name, criteria and an optional description",
        "properties": {
            "name": {
                "type": "string",
                "pattern": FILTER_NAME_PATTERN,
                "x-allowed": "3 to 64 letters, digits, '-', '_' or '.'",
            },
            "description": {"type": "string", "maxLength": 512, "x-allowed": "text of at most 512 characters"},
            "criteria": {
                "type": "object",
                "minProperties": 1,
                "x-allowed": "a mapping of GuardDuty finding attributes (type, severity, resource.instanceDetails."
                "instanceId, ...) to conditions",
                "propertyNames": {"pattern": r"^[A-Za-z][A-Za-z0-9.]*$"},
                "additionalProperties": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": False,
                    "x-allowed": "a mapping of operators (" + ", ".join(OPERATORS) + ") to values",
                    "properties": {
                        **{
                            op: {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": ["string", "number"]},
                                "x-allowed": "a non-empty list of values",
                            }
                            for op in LIST_OPERATORS
                        },
                        **{op: _BOUND for op in NUMBER_OPERATORS},
                    },
                },
            },
        },
    },
}


_CRITERIA_SCHEMA = SUPPRESSION_SCHEMA["items"]["properties"]["criteria"]


def parse_suppression_rules(items: list[dict[str, Any]]) -> tuple[SuppressionRule, ...]:
    return tuple(
        SuppressionRule(
            name=item["name"],
            description=item.get("description", ""),
            criteria=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in sorted(item["criteria"].items())}),
        )
        for item in items
    )


def suppression_problems(items: list[Any]) -> list[str]:
    """What a schema cannot say: names repeated, contradictory bounds, fields GuardDuty does not filter on and
    values that are not what their field holds (the library's checks, for criteria the schema accepts)."""
    problems: list[str] = []
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        name = item.get("name")
        if isinstance(name, str):
            if name in first:
                problems.append(
                    f"suppression_rules[{index}].name: {json.dumps(name)} repeats suppression_rules[{first[name]}]"
                    "; allowed: each name once (it names the GuardDuty filter)"
                )
            first.setdefault(name, index)
        criteria = item.get("criteria")
        if ConfigValidator(_CRITERIA_SCHEMA).is_valid(criteria):
            problems += criteria_problems(criteria, where=f"suppression_rules[{index}].criteria")
        if isinstance(criteria, dict):
            for field, conditions in criteria.items():
                if isinstance(conditions, dict) and "equals" in conditions and len(conditions) > 1:
                    problems.append(
                        f"suppression_rules[{index}].criteria.{field}: equals is combined with "
                        f"{', '.join(sorted(set(conditions) - {'equals'}))}; allowed: equals alone, or other operators"
                    )
    return problems

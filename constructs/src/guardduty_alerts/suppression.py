"""Suppression rules: GuardDuty filters with action ARCHIVE, from configuration.

GuardDuty archives a finding that matches a suppression rule as soon as it is generated and does not send it
to EventBridge, so known-benign findings never reach the mail at all (they stay visible, archived, in the
console). Criteria use GuardDuty's finding attribute names (`type`, `severity`, `accountId`,
`resource.instanceDetails.instanceId`, `service.action.networkConnectionAction.remoteIpDetails.ipAddressV4`,
...) and the operators of `aws_guardduty_filter`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "FILTER_NAME_PATTERN",
    "OPERATORS",
    "SUPPRESSION_SCHEMA",
    "SuppressionRule",
    "parse_suppression_rules",
    "suppression_problems",
]

# GuardDuty filter names: 3 to 64 letters, digits, '-', '_' and '.'.
FILTER_NAME_PATTERN = r"^[A-Za-z0-9_.\-]{3,64}$"
LIST_OPERATORS = ("equals", "not_equals")
NUMBER_OPERATORS = ("greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal")
OPERATORS = LIST_OPERATORS + NUMBER_OPERATORS

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


@dataclass(frozen=True)
class SuppressionRule:
    """One GuardDuty filter that archives matching findings."""

    name: str
    criteria: Mapping[str, Mapping[str, Any]]
    description: str = ""

    def criterion_list(self) -> list[dict[str, Any]]:
        """Criteria as `aws_guardduty_filter` takes them: one block per field, values as strings."""
        blocks = []
        for field, conditions in sorted(self.criteria.items()):
            block: dict[str, Any] = {"field": field}
            for op, value in sorted(conditions.items()):
                block[op] = [_text(item) for item in value] if op in LIST_OPERATORS else _text(value)
            blocks.append(block)
        return blocks


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
    """What a schema cannot say: names repeated, contradictory bounds."""
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
        if isinstance(criteria, dict):
            for field, conditions in criteria.items():
                if isinstance(conditions, dict) and "equals" in conditions and len(conditions) > 1:
                    problems.append(
                        f"suppression_rules[{index}].criteria.{field}: equals is combined with "
                        f"{', '.join(sorted(set(conditions) - {'equals'}))}; allowed: equals alone, or other operators"
                    )
    return problems

"""Suppression rules: GuardDuty filters with action ARCHIVE.

GuardDuty archives a finding that matches a suppression rule as soon as it is generated and does not send it
to EventBridge, so known-benign findings never reach the mail at all (they stay visible, archived, in the
console). Criteria use GuardDuty's finding attribute names (`type`, `severity`, `accountId`,
`resource.instanceDetails.instanceId`, `service.action.networkConnectionAction.remoteIpDetails.ipAddressV4`,
...) and the operators of `aws_guardduty_filter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FILTER_NAME_PATTERN", "LIST_OPERATORS", "NUMBER_OPERATORS", "OPERATORS", "SuppressionRule"]

# GuardDuty filter names: 3 to 64 letters, digits, '-', '_' and '.'.
FILTER_NAME_PATTERN = r"^[A-Za-z0-9_.\-]{3,64}$"
LIST_OPERATORS = ("equals", "not_equals")
NUMBER_OPERATORS = ("greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal")
OPERATORS = LIST_OPERATORS + NUMBER_OPERATORS

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

"""The `protection_plans` setting: its schema and the typed plans it gives."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from guardduty_alerts.protection import ProtectionPlan, ProtectionPlans, RuntimeAgent

__all__ = ["PROTECTION_PLANS_SCHEMA", "protection_plans_from_config"]


_RUNTIME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["enabled"],
    "x-allowed": "a mapping with enabled and the add-ons " + ", ".join(agent.key for agent in RuntimeAgent),
    "properties": {
        "enabled": {"type": "boolean", "x-allowed": "true or false"},
        **{agent.key: {"type": "boolean", "x-allowed": "true or false"} for agent in RuntimeAgent},
    },
}

PROTECTION_PLANS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "x-allowed": "a mapping of protection plan to true (on) or false (off)",
    "properties": {
        plan.key: (
            _RUNTIME_SCHEMA
            if plan is ProtectionPlan.RUNTIME_MONITORING
            else {"type": "boolean", "x-allowed": "true or false"}
        )
        for plan in ProtectionPlan
    },
}


def protection_plans_from_config(section: Mapping[str, Any] | None) -> ProtectionPlans:
    """A schema-valid `protection_plans` mapping as typed data."""
    if not section:
        return ProtectionPlans()
    plans: dict[ProtectionPlan, bool] = {}
    agents: dict[RuntimeAgent, bool] = {}
    for plan in ProtectionPlan:
        if plan.key not in section:
            continue
        value = section[plan.key]
        if plan is ProtectionPlan.RUNTIME_MONITORING:
            plans[plan] = value["enabled"]
            agents = {agent: value[agent.key] for agent in RuntimeAgent if agent.key in value}
        else:
            plans[plan] = value
    return ProtectionPlans(plans=MappingProxyType(plans), runtime_agents=MappingProxyType(agents))

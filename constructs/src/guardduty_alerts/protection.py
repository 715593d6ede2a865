"""GuardDuty protection plans as typed data, turned into `aws_guardduty_detector_feature` arguments.

Plans are set per detector with the feature API, not the `datasources` block that AWS and the provider have
deprecated. A plan left out of the setting is not managed at all: whatever GuardDuty or someone else set stays.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["ProtectionPlan", "ProtectionPlans", "RuntimeAgent", "protection_problems"]


class ProtectionPlan(enum.Enum):
    """A GuardDuty protection plan; the value is the feature name the GuardDuty API uses."""

    S3_DATA_EVENTS = "S3_DATA_EVENTS"
    EKS_AUDIT_LOGS = "EKS_AUDIT_LOGS"
    RUNTIME_MONITORING = "RUNTIME_MONITORING"
    EBS_MALWARE_PROTECTION = "EBS_MALWARE_PROTECTION"
    RDS_LOGIN_EVENTS = "RDS_LOGIN_EVENTS"
    LAMBDA_NETWORK_LOGS = "LAMBDA_NETWORK_LOGS"

    @property
    def key(self) -> str:
        """Name in the configuration file (and in construct IDs): `s3_data_events`."""
        return self.value.lower()


class RuntimeAgent(enum.Enum):
    """Runtime monitoring add-on: GuardDuty installs and updates its security agent on these resources."""

    EKS_ADDON_MANAGEMENT = "EKS_ADDON_MANAGEMENT"
    ECS_FARGATE_AGENT_MANAGEMENT = "ECS_FARGATE_AGENT_MANAGEMENT"
    EC2_AGENT_MANAGEMENT = "EC2_AGENT_MANAGEMENT"

    @property
    def key(self) -> str:
        return self.value.lower()


@dataclass(frozen=True)
class ProtectionPlans:
    """Which plans to turn on (True) or off (False); a plan absent from `plans` is left as it is.

    `runtime_agents` are the add-ons of RUNTIME_MONITORING; they need that plan on.
    """

    plans: Mapping[ProtectionPlan, bool] = field(default_factory=lambda: MappingProxyType({}))
    runtime_agents: Mapping[RuntimeAgent, bool] = field(default_factory=lambda: MappingProxyType({}))

    def __bool__(self) -> bool:
        return bool(self.plans)

    def features(self) -> list[tuple[ProtectionPlan, bool, list[tuple[RuntimeAgent, bool]]]]:
        """(plan, enabled, add-ons) in a fixed order, whatever order the configuration gave."""
        result = []
        for plan in ProtectionPlan:
            if plan not in self.plans:
                continue
            agents = []
            if plan is ProtectionPlan.RUNTIME_MONITORING:
                agents = [(agent, self.runtime_agents[agent]) for agent in RuntimeAgent if agent in self.runtime_agents]
            result.append((plan, self.plans[plan], agents))
        return result


def protection_problems(plans: ProtectionPlans, *, prefix: str = "protection_plans") -> list[str]:
    """Combinations GuardDuty refuses or silently ignores, each as a problem naming the setting."""
    problems = []
    runtime = plans.plans.get(ProtectionPlan.RUNTIME_MONITORING)
    for agent, enabled in plans.runtime_agents.items():
        if enabled and runtime is not True:
            state = "off" if runtime is False else "not set"
            problems.append(
                f"{prefix}.runtime_monitoring.{agent.key}: true needs runtime monitoring itself, which is {state}; "
                f"allowed: set {prefix}.runtime_monitoring.enabled to true, or this add-on to false"
            )
    return problems

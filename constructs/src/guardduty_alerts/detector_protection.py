"""`DetectorProtection`: GuardDuty protection plans on a detector, one `aws_guardduty_detector_feature` each."""

from __future__ import annotations

from constructs import Construct

from ._aws import GuarddutyDetectorFeature, GuarddutyDetectorFeatureAdditionalConfiguration
from .errors import InvalidPropsError
from .protection import ProtectionPlans, protection_problems
from .regions import PARTITIONS, protection_plan_problem

__all__ = ["DetectorProtection"]


class DetectorProtection(Construct):
    """One `aws_guardduty_detector_feature` per configured protection plan, keyed by the plan's name."""

    def __init__(
        self, scope: Construct, id_: str, *, detector_id: str, plans: ProtectionPlans, partition: str = "aws"
    ) -> None:
        """`partition`: the detector's (`aws`, `aws-us-gov`, `aws-cn`); a plan it does not offer is refused."""
        super().__init__(scope, id_)
        if partition not in PARTITIONS:
            raise InvalidPropsError([f"partition: {partition!r} is not a partition; allowed: {', '.join(PARTITIONS)}"])
        problems = protection_problems(plans, prefix="plans")
        for plan in plans.plans:
            problem = protection_plan_problem(plan.key, partition)
            if problem:
                problems.append(f"plans.{problem}")
        if problems:
            raise InvalidPropsError(problems)
        self.features: dict[str, GuarddutyDetectorFeature] = {}
        for plan, enabled, agents in plans.features():
            self.features[plan.value] = GuarddutyDetectorFeature(
                self,
                plan.key.replace("_", "-"),
                detector_id=detector_id,
                name=plan.value,
                status="ENABLED" if enabled else "DISABLED",
                additional_configuration=[
                    GuarddutyDetectorFeatureAdditionalConfiguration(
                        name=agent.value, status="ENABLED" if on else "DISABLED"
                    )
                    for agent, on in agents
                ]
                or None,
            )

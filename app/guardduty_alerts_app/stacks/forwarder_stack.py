"""The stack of a central-inbox region other than the home region: the detector, its suppression filters and
the forwarder to the home region."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from guardduty_alerts.detector import add_detector, add_suppression_filters
from guardduty_alerts.forwarder import FindingForwarder

from constructs import Construct

from ..planning import StackPlan
from .common import add_backend, add_estate_resources, add_provider

__all__ = ["ForwarderStack"]


class ForwarderStack(TerraformStack):
    """A region of a central-inbox account other than the home region: the detector and the forwarder."""

    def __init__(self, scope: Construct, plan: StackPlan, *, state_path: str) -> None:
        super().__init__(scope, plan.name)
        config = plan.config
        self.region = plan.region
        add_provider(self, plan, config)
        add_backend(self, plan, state=config.state, state_path=state_path, endpoint_url=config.endpoint_url)
        tags = dict(sorted(config.tags.items()))
        # Same construct path as in GuardDutyAlerts ("alerts/detector"): turning the central inbox on or off
        # keeps the detector, and with it the region's findings.
        holder = Construct(self, "alerts")
        self.detector, _, self.detector_id = add_detector(
            holder,
            existing_detector_id=config.existing_detector_ids.get(plan.region),
            finding_publishing_frequency=config.finding_publishing_frequency,
            tags=tags,
        )
        # Suppression filters archive findings in the region where GuardDuty raises them, so they belong here
        # too, at the same construct path as in GuardDutyAlerts.
        self.suppression_filters = add_suppression_filters(
            holder, detector_id=self.detector_id, rules=config.suppression_rules
        )
        account_id = plan.account.id if plan.account else DataAwsCallerIdentity(self, "caller").account_id
        assert plan.forward_to_region is not None
        self.forwarder = FindingForwarder(
            self,
            "forwarder",
            name=config.name,
            region=plan.region,
            home_region=plan.forward_to_region,
            account_id=account_id,
            tags=tags,
        )
        TerraformOutput(self, "detector_id", value=self.detector_id, description="GuardDuty detector in this region")
        TerraformOutput(
            self,
            "forwarding_rule_arn",
            value=self.forwarder.rule.arn,
            description="Rule forwarding findings to the home region",
        )
        add_estate_resources(self, plan, detector_id=self.detector_id, detector=self.detector)

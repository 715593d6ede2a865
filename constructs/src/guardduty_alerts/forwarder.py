"""`FindingForwarder`: a region's GuardDuty findings sent on to the default event bus of a home region."""

from __future__ import annotations

import json

from constructs import Construct

from ._aws import CloudwatchEventRule, CloudwatchEventTarget, IamRole, IamRolePolicy
from .inbox import default_bus_arn, forwarding_event_pattern
from .naming import forwarding_role_name, forwarding_rule_name
from .policies import forwarding_role_policy, forwarding_trust_policy

__all__ = ["FindingForwarder"]


class FindingForwarder(Construct):
    """Forwards every GuardDuty finding of this region to the default bus of `home_region`, same account.

    Creates an EventBridge rule, an IAM role EventBridge assumes for that rule only, allowed to put events on
    that one bus, and the target. The home region's rule then decides by severity what is mailed; the finding
    keeps its `detail.region`, so the mail names the region it came from.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        region: str,
        home_region: str,
        account_id: str,
        tags: dict[str, str],
    ) -> None:
        super().__init__(scope, id_)
        self.bus_arn = default_bus_arn(home_region, account_id)
        self.rule = CloudwatchEventRule(
            self,
            "rule",
            name=forwarding_rule_name(name, home_region),
            description=f"GuardDuty findings to the default event bus of {home_region}, where alerts are sent",
            event_pattern=json.dumps(forwarding_event_pattern(), sort_keys=True),
            tags=tags or None,
        )
        # IAM names are global to the account: one role per forwarding region.
        self.role = IamRole(
            self,
            "role",
            name=forwarding_role_name(name, region),
            description=f"EventBridge forwards GuardDuty findings from {region} to {home_region}",
            assume_role_policy=json.dumps(
                forwarding_trust_policy(rule_arn=self.rule.arn, account_id=account_id), sort_keys=True
            ),
            tags=tags or None,
        )
        self.role_policy = IamRolePolicy(
            self,
            "role-policy",
            role=self.role.id,
            name="put-events-on-home-bus",
            policy=json.dumps(forwarding_role_policy(bus_arn=self.bus_arn), sort_keys=True),
        )
        self.target = CloudwatchEventTarget(
            self,
            "target",
            rule=self.rule.name,
            arn=self.bus_arn,
            role_arn=self.role.arn,
            target_id="home-region-bus",
            depends_on=[self.role_policy],
        )

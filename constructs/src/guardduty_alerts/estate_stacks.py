"""What a stack of a multi-account, multi-region estate adds around GuardDutyAlerts: provider account
settings, the backend, protection plans, Organizations resources, and the forwarding stack of a central inbox.

Construct IDs are literals or names of closed sets (protection plans): never positions in a list.
"""

from __future__ import annotations

import json
from typing import Any

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack

from constructs import Construct

from ._aws import (
    AwsProviderAssumeRole,
    CloudwatchEventRule,
    CloudwatchEventTarget,
    DataAwsCallerIdentity,
    DataAwsGuarddutyDetector,
    GuarddutyDetector,
    GuarddutyDetectorFeature,
    GuarddutyDetectorFeatureAdditionalConfiguration,
    GuarddutyOrganizationAdminAccount,
    GuarddutyOrganizationConfiguration,
    GuarddutyOrganizationConfigurationFeature,
    GuarddutyOrganizationConfigurationFeatureAdditionalConfiguration,
    IamRole,
    IamRolePolicy,
)
from .errors import InvalidPropsError
from .estate import S3State, StackPlan
from .inbox import default_bus_arn, forwarding_event_pattern, forwarding_role_policy, forwarding_trust_policy
from .protection import ProtectionPlans, protection_problems

__all__ = [
    "DetectorProtection",
    "FindingForwarder",
    "OrganizationAdministrator",
    "OrganizationMembers",
    "add_backend",
    "add_estate_resources",
    "provider_account_settings",
]

SESSION_NAME = "guardduty-alerts"


def provider_account_settings(plan: StackPlan) -> dict[str, Any]:
    """AwsProvider arguments that pin a stack to its account: assume its role, refuse any other account."""
    if plan.account is None:
        return {}
    settings: dict[str, Any] = {"allowed_account_ids": [plan.account.id]}
    if plan.account.role_arn:
        settings["assume_role"] = [AwsProviderAssumeRole(role_arn=plan.account.role_arn, session_name=SESSION_NAME)]
    return settings


def add_backend(
    stack: TerraformStack, plan: StackPlan, *, state: S3State | None, state_path: str, endpoint_url: str | None
) -> None:
    """Local state file by default; with `state.s3`, one object per stack in the bucket."""
    if state is None:
        LocalBackend(stack, path=state_path)
        return
    options: dict[str, Any] = {}
    if endpoint_url:
        # The emulator serves S3 under one host: path-style, and no real STS/IAM checks.
        options.update(
            endpoints={"s3": endpoint_url, "sts": endpoint_url, "iam": endpoint_url, "dynamodb": endpoint_url},
            use_path_style=True,
            skip_credentials_validation=True,
            skip_requesting_account_id=True,
            skip_metadata_api_check=True,
        )
    backend = S3Backend(
        stack,
        bucket=state.bucket,
        key=state.key(plan.name),
        region=state.region,
        encrypt=True,
        dynamodb_table=state.dynamodb_table,
        **options,
    )
    if state.use_lockfile:
        # cdktf 0.21's S3Backend predates Terraform 1.10's S3-native locking: set it directly.
        backend.add_override("use_lockfile", True)


class DetectorProtection(Construct):
    """One `aws_guardduty_detector_feature` per configured protection plan, keyed by the plan's name."""

    def __init__(self, scope: Construct, id_: str, *, detector_id: str, plans: ProtectionPlans) -> None:
        super().__init__(scope, id_)
        problems = protection_problems(plans, prefix="plans")
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


class OrganizationAdministrator(Construct):
    """In the management account: make `administrator_account` the delegated GuardDuty administrator here."""

    def __init__(self, scope: Construct, id_: str, *, administrator_account: str) -> None:
        super().__init__(scope, id_)
        self.admin_account = GuarddutyOrganizationAdminAccount(
            self, "admin-account", admin_account_id=administrator_account
        )


class OrganizationMembers(Construct):
    """In the administrator account: GuardDuty on for member accounts, with the chosen protection plans."""

    def __init__(
        self, scope: Construct, id_: str, *, detector_id: str, auto_enable: str, plans: ProtectionPlans
    ) -> None:
        super().__init__(scope, id_)
        self.configuration = GuarddutyOrganizationConfiguration(
            self, "configuration", detector_id=detector_id, auto_enable_organization_members=auto_enable
        )
        self.features: dict[str, GuarddutyOrganizationConfigurationFeature] = {}
        for plan, enabled, agents in plans.features():
            self.features[plan.value] = GuarddutyOrganizationConfigurationFeature(
                self,
                plan.key.replace("_", "-"),
                detector_id=detector_id,
                name=plan.value,
                auto_enable=auto_enable if enabled else "NONE",
                additional_configuration=[
                    GuarddutyOrganizationConfigurationFeatureAdditionalConfiguration(
                        name=agent.value, auto_enable=auto_enable if on else "NONE"
                    )
                    for agent, on in agents
                ]
                or None,
                depends_on=[self.configuration],
            )


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
            name=f"{name}-to-{home_region}",
            description=f"GuardDuty findings to the default event bus of {home_region}, where alerts are sent",
            event_pattern=json.dumps(forwarding_event_pattern(), sort_keys=True),
            tags=tags or None,
        )
        # IAM names are global to the account: one role per forwarding region.
        self.role = IamRole(
            self,
            "role",
            name=f"{name}-forward-{region}",
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


class ForwarderStack(TerraformStack):
    """A region of a central-inbox account other than the home region: the detector and the forwarder."""

    def __init__(self, scope: Construct, plan: StackPlan, *, state_path: str) -> None:
        from ._aws import AwsProvider, AwsProviderEndpoints
        from .app import ENDPOINT_SERVICES  # here, not at the top: app.py imports this module

        super().__init__(scope, plan.name)
        config = plan.config
        self.region = plan.region
        endpoints = None
        if config.endpoint_url:
            endpoints = [AwsProviderEndpoints(**{service: config.endpoint_url for service in ENDPOINT_SERVICES})]
        AwsProvider(self, "aws", region=plan.region, endpoints=endpoints, **provider_account_settings(plan))
        add_backend(self, plan, state=config.state, state_path=state_path, endpoint_url=config.endpoint_url)
        tags = dict(sorted(config.tags.items()))
        # Same construct path as in GuardDutyAlerts ("alerts/detector"): turning the central inbox on or off
        # keeps the detector, and with it the region's findings.
        holder = Construct(self, "alerts")
        existing = config.existing_detector_ids.get(plan.region)
        if existing is None:
            self.detector: GuarddutyDetector | None = GuarddutyDetector(
                holder,
                "detector",
                enable=True,
                finding_publishing_frequency=config.finding_publishing_frequency,
                tags=tags or None,
            )
            self.detector_id: str = self.detector.id
        else:
            self.detector = None
            self.detector_id = DataAwsGuarddutyDetector(holder, "existing-detector", id=existing).id
        # Suppression filters archive findings in the region where GuardDuty raises them, so they belong here
        # too, at the same construct path as in GuardDutyAlerts.
        from .alerts import add_suppression_filters

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
        add_estate_resources(self, plan, detector_id=self.detector_id)


def add_estate_resources(stack: TerraformStack, plan: StackPlan, *, detector_id: str) -> None:
    """Protection plans, and the Organizations resources of the management and administrator accounts."""
    plans = plan.config.protection_plans
    if plans:
        DetectorProtection(stack, "protection", detector_id=detector_id, plans=plans)
    if plan.designate_administrator:
        OrganizationAdministrator(stack, "organization-admin", administrator_account=plan.designate_administrator)
    if plan.auto_enable_members:
        OrganizationMembers(
            stack, "organization-members", detector_id=detector_id, auto_enable=plan.auto_enable_members, plans=plans
        )

"""What every stack of the app holds around its constructs: the AWS provider pinned to the stack's account and
region, the backend, and the estate resources (protection plans, Organizations)."""

from __future__ import annotations

from typing import Any

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.guardduty_detector import GuarddutyDetector
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderEndpoints
from guardduty_alerts.detector_protection import DetectorProtection
from guardduty_alerts.organization import OrganizationAdministrator, OrganizationMembers, adopt_region_detector
from guardduty_alerts.regions import partition_of

from ..config import AlertsConfig, S3State
from ..planning import StackPlan

__all__ = ["ENDPOINT_SERVICES", "add_backend", "add_estate_resources", "add_provider"]

# Every service the stacks call. With an emulator endpoint all of them go there, never to AWS.
ENDPOINT_SERVICES = (
    "chatbot",
    "cloudwatch",
    "events",
    "guardduty",
    "iam",
    "kms",
    "lambda_",
    "logs",
    "notifications",
    "notificationscontacts",
    "sns",
    "sqs",
    "ssm",
    "sts",
)

SESSION_NAME = "guardduty-alerts"


def _account_settings(plan: StackPlan) -> dict[str, Any]:
    """AwsProvider arguments that pin a stack to its account: assume its role, refuse any other account."""
    if plan.account is None:
        return {}
    settings: dict[str, Any] = {"allowed_account_ids": [plan.account.id]}
    if plan.account.role_arn:
        settings["assume_role"] = [AwsProviderAssumeRole(role_arn=plan.account.role_arn, session_name=SESSION_NAME)]
    return settings


def add_provider(
    stack: TerraformStack, plan: StackPlan, config: AlertsConfig, *, alias: str | None = None, region: str | None = None
) -> AwsProvider:
    """The stack's AWS provider: its region, its account (role to assume, no other account allowed), and
    the emulator endpoint when the configuration names one. With `alias`, a second provider of the same account
    in `region`, for services whose API lives in other regions (chat channels, User Notifications)."""
    endpoints = None
    if config.endpoint_url:
        endpoints = [AwsProviderEndpoints(**{service: config.endpoint_url for service in ENDPOINT_SERVICES})]
    if alias is None:
        return AwsProvider(stack, "aws", region=plan.region, endpoints=endpoints, **_account_settings(plan))
    return AwsProvider(
        stack, f"aws-{alias}", alias=alias, region=region, endpoints=endpoints, **_account_settings(plan)
    )


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


def add_estate_resources(
    stack: TerraformStack, plan: StackPlan, *, detector_id: str, detector: GuarddutyDetector | None
) -> None:
    """Protection plans, and the Organizations resources of the management and administrator accounts; in the
    administrator account, the detector designation created is imported rather than created again."""
    if plan.imports_detector and detector is not None:
        adopt_region_detector(detector)
    plans = plan.config.protection_plans
    if plans:
        DetectorProtection(
            stack, "protection", detector_id=detector_id, plans=plans, partition=partition_of(plan.region).name
        )
    if plan.designate_administrator:
        OrganizationAdministrator(stack, "organization-admin", administrator_account=plan.designate_administrator)
    if plan.auto_enable_members:
        OrganizationMembers(
            stack, "organization-members", detector_id=detector_id, auto_enable=plan.auto_enable_members, plans=plans
        )

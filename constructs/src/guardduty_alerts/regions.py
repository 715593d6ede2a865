"""AWS regions and partitions (`aws`, `aws-us-gov`, `aws-cn`), kept here and nowhere else.

`ALL_REGIONS` and its halves are the commercial partition's; `PARTITIONS` is the one table of what differs in
GovCloud and China: the regions, the ARN prefix, the console's host, and which channel kinds and protection
plans exist there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "ALL_REGIONS",
    "CHANNEL_KINDS",
    "DEFAULT_ENABLED_REGIONS",
    "DEFAULT_PARTITION",
    "EVERY_REGION",
    "OPT_IN_REGIONS",
    "PARTITIONS",
    "Partition",
    "channel_kind_problem",
    "console_link",
    "partition_of",
    "protection_plan_problem",
]

# Enabled in every account by default.
DEFAULT_ENABLED_REGIONS: tuple[str, ...] = (
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)

# Must be enabled by the account owner before anything can be deployed there.
OPT_IN_REGIONS: tuple[str, ...] = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
)

ALL_REGIONS: tuple[str, ...] = tuple(sorted(DEFAULT_ENABLED_REGIONS + OPT_IN_REGIONS))


@dataclass(frozen=True)
class Partition:
    """What the product needs to know about one AWS partition.

    :param name: the second field of every ARN in it.
    :param regions: every region of the partition where GuardDuty runs.
    :param default_regions: the regions `regions: all` means (enabled in every account by default).
    :param console_origin: the GuardDuty console's address of a finding's region; `<region>` is the placeholder
        the mail and chat templates fill in.
    :param missing_kinds: channel kinds whose AWS service is not offered in the partition, each with where it is.
    :param missing_plans: GuardDuty protection plans (their configuration keys) not offered in the partition,
        each with what AWS says of it.
    """

    name: str
    title: str
    regions: tuple[str, ...]
    default_regions: tuple[str, ...]
    console_origin: str
    missing_kinds: Mapping[str, str]
    missing_plans: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def arn_prefix(self) -> str:
        return f"arn:{self.name}:"


# ChannelKind's values (channels.py imports this module, so it cannot be imported here; a test keeps them equal).
CHANNEL_KINDS: tuple[str, ...] = (
    "email",
    "slack",
    "teams",
    "slack_webhook",
    "teams_webhook",
    "webhook",
    "sqs",
    "user_notifications",
)
# Where each channel kind's AWS service exists, in words for the refusal.
_CHAT_INTEGRATION = (
    "Amazon Q Developer in chat applications (formerly AWS Chatbot), which serves commercial AWS regions only"
)
_USER_NOTIFICATIONS = "AWS User Notifications, which serves commercial AWS regions only"
_API_DESTINATIONS = "EventBridge API destinations, which exist in commercial AWS regions and in China, not in GovCloud"

PARTITIONS: Mapping[str, Partition] = MappingProxyType(
    {
        "aws": Partition(
            name="aws",
            title="commercial AWS",
            regions=ALL_REGIONS,
            default_regions=DEFAULT_ENABLED_REGIONS,
            # The console of the finding's region (each region has its own host since 2023).
            console_origin="https://<region>.console.aws.amazon.com",
            missing_kinds=MappingProxyType({}),
        ),
        "aws-us-gov": Partition(
            name="aws-us-gov",
            title="AWS GovCloud (US)",
            # AWS GovCloud (US) User Guide, "Amazon GuardDuty in AWS GovCloud (US)": US-West and US-East.
            regions=("us-gov-east-1", "us-gov-west-1"),
            default_regions=("us-gov-east-1", "us-gov-west-1"),
            # AWS GovCloud (US) User Guide, "Signing in to the AWS GovCloud (US) console":
            # console.amazonaws-us-gov.com, the region chosen by the `region` query parameter.
            console_origin="https://console.amazonaws-us-gov.com",
            missing_kinds=MappingProxyType(
                {
                    # Amazon Q Developer in chat applications API Reference, "Welcome": APIs in us-east-2,
                    # us-west-2, ap-southeast-1 and eu-west-1 only; no GovCloud page for the service.
                    "slack": _CHAT_INTEGRATION,
                    "teams": _CHAT_INTEGRATION,
                    # AWS GovCloud (US) User Guide, "Amazon EventBridge in AWS GovCloud (US)": "API destinations
                    # are not supported." The chat webhooks post through an API destination.
                    "slack_webhook": _API_DESTINATIONS,
                    "teams_webhook": _API_DESTINATIONS,
                    # AWS User Notifications User Guide, "Supported Regions": commercial regions only.
                    "user_notifications": _USER_NOTIFICATIONS,
                }
            ),
        ),
        "aws-cn": Partition(
            name="aws-cn",
            title="AWS China",
            # Getting Started with Amazon Web Services in China, "Amazon GuardDuty": Beijing and Ningxia.
            regions=("cn-north-1", "cn-northwest-1"),
            default_regions=("cn-north-1", "cn-northwest-1"),
            # Getting Started with Amazon Web Services in China, "General Information": the domain is
            # amazonaws.cn; the console is console.amazonaws.cn, the region chosen by the query parameter.
            console_origin="https://console.amazonaws.cn",
            missing_kinds=MappingProxyType(
                {
                    "slack": _CHAT_INTEGRATION,
                    "teams": _CHAT_INTEGRATION,
                    # API destinations exist in China: EventBridge User Guide, "Amazon EventBridge feature
                    # availability by Amazon Region", rows China (Beijing) and China (Ningxia).
                    "user_notifications": _USER_NOTIFICATIONS,
                }
            ),
            missing_plans=MappingProxyType(
                {
                    # Getting Started with Amazon Web Services in China, "Amazon GuardDuty", feature availability
                    # and implementation differences: "Runtime Monitoring (including EKS Runtime Monitoring) is not
                    # supported in the China Regions." The other plans are not listed there as missing. GovCloud's
                    # page lists no missing plan (Runtime Monitoring there uses a FIPS endpoint).
                    "runtime_monitoring": "GuardDuty Runtime Monitoring (EKS, ECS Fargate and EC2), which AWS does "
                    "not offer in the China regions",
                }
            ),
        ),
    }
)
# Service principals do not differ for the services we grant (events, sns, cloudwatch, lambda, chatbot): the
# provider's aws_service_principal data source (internal/service/meta/service_principal_data_source.go) gives
# `<service>.amazonaws.com.cn` in aws-cn only for codedeploy, elasticmapreduce and logs, `.amazonaws.com`
# everywhere else; terraform-aws-modules/terraform-aws-rds-aurora#437 shows IAM refusing the `.cn` form.

DEFAULT_PARTITION = "aws"
EVERY_REGION: tuple[str, ...] = tuple(region for partition in PARTITIONS.values() for region in partition.regions)


def partition_of(region: str) -> Partition:
    """The partition of a region of `EVERY_REGION` (GovCloud and China regions carry it in their names)."""
    for partition in PARTITIONS.values():
        if region in partition.regions:
            return partition
    raise ValueError(f"{region!r} is not a region of {', '.join(PARTITIONS)}")


def console_link(partition: str = "aws") -> str:
    """Deep link to a finding in the GuardDuty console of its region, with `<region>` and `<findingId>`."""
    return (
        f"{PARTITIONS[partition].console_origin}/guardduty/home?region=<region>"
        "#/findings?macros=current&fId=<findingId>"
    )


def protection_plan_problem(plan: str, partition: str) -> str | None:
    """Why protection plan `plan` (its configuration key, ProtectionPlan.key) cannot be set in `partition`,
    or None. Turning it off is refused too: GuardDuty there has no such feature to turn off."""
    what = PARTITIONS[partition].missing_plans.get(plan)
    if what is None:
        return None
    return (
        f"{plan} is not available in partition {partition} ({PARTITIONS[partition].title}): it is {what}; "
        f"allowed: leave {plan} out in {partition}"
    )


def channel_kind_problem(kind: str, partition: str) -> str | None:
    """Why a channel of `kind` (ChannelKind's value) cannot deliver in `partition`, or None."""
    where = PARTITIONS[partition].missing_kinds.get(kind)
    if where is None:
        return None
    offered = ", ".join(name for name in CHANNEL_KINDS if name not in PARTITIONS[partition].missing_kinds)
    return (
        f"kind {kind} is not available in partition {partition} ({PARTITIONS[partition].title}): it needs "
        f"{where}; allowed in {partition}: {offered}"
    )

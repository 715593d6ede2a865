"""Delivery settings (topic encryption, retries, dead letters, alarms): AWS's bounds and their checks.

Pure functions shared by the construct's props validation and the configuration file's, so that both say
the same thing. Nothing here imports the provider bindings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .validation import arn_problem, parse_arn, text_problem

__all__ = [
    "ALARM_ACTION_SERVICES",
    "AWS_MANAGED_KEY_ALIAS_PREFIX",
    "DEAD_LETTER_RETENTION",
    "DEFAULT_DEAD_LETTER_RETENTION_SECONDS",
    "DEFAULT_MAXIMUM_EVENT_AGE_SECONDS",
    "DEFAULT_MAXIMUM_RETRY_ATTEMPTS",
    "KMS_KEY_ARN_PATTERN",
    "MAXIMUM_EVENT_AGE",
    "MAXIMUM_RETRY_ATTEMPTS",
    "Bounds",
    "alarm_action_problem",
    "arn_region",
    "bounds_problem",
    "kms_key_arn_problem",
]


@dataclass(frozen=True)
class Bounds:
    """An inclusive integer range AWS enforces, and how to say it."""

    minimum: int
    maximum: int
    allowed: str

    def contains(self, value: object) -> bool:
        # nan and inf are floats whose comparisons say nothing: never let one reach them.
        if isinstance(value, float) and not math.isfinite(value):
            return False
        return isinstance(value, int) and not isinstance(value, bool) and self.minimum <= value <= self.maximum


# EventBridge target RetryPolicy (PutTargets API reference): MaximumEventAgeInSeconds 60..86400,
# MaximumRetryAttempts 0..185. The defaults are AWS's own maxima: keep trying for a day before dead-lettering.
MAXIMUM_EVENT_AGE = Bounds(60, 86400, "an integer from 60 (1 minute) to 86400 (24 hours), EventBridge's bounds")
MAXIMUM_RETRY_ATTEMPTS = Bounds(0, 185, "an integer from 0 to 185, EventBridge's bounds")
# SQS MessageRetentionPeriod (SetQueueAttributes API reference): 60..1209600 seconds.
DEAD_LETTER_RETENTION = Bounds(60, 1209600, "an integer from 60 (1 minute) to 1209600 (14 days), SQS's bounds")

DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 86400
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185
DEFAULT_DEAD_LETTER_RETENTION_SECONDS = 1209600

AWS_MANAGED_KEY_ALIAS_PREFIX = "alias/aws/"

_PARTITION = r"aws(?:-cn|-us-gov|-iso|-iso-b)?"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
KMS_KEY_ARN_PATTERN = (
    rf"^arn:{_PARTITION}:kms:{_REGION}:\d{{12}}:"
    r"(?:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
    r"|alias/[A-Za-z0-9/_-]{1,250})$"
)
_ANY_ARN = re.compile(rf"^arn:{_PARTITION}:[a-z0-9-]+:(?P<region>[a-z0-9-]*):(?P<account>\d{{12}})?:(?P<resource>.+)$")

ALARM_ACTION_SERVICES = ("autoscaling", "lambda", "sns", "ssm", "ssm-incidents")

_KEY_ALLOWED = "the ARN of a customer-managed KMS key (or of its alias) in the stack's region"


def bounds_problem(value: object, bounds: Bounds) -> str | None:
    """Why `value` is outside `bounds`, or None."""
    if bounds.contains(value):
        return None
    return f"{value!r} is not allowed; allowed: {bounds.allowed}"


def arn_region(arn: str) -> str | None:
    """The region field of an ARN, or None when `arn` is not an ARN."""
    parsed = parse_arn(arn)
    return parsed.region if parsed else None


def kms_key_arn_problem(value: object, *, region: str | None) -> str | None:
    """Why `value` cannot encrypt the topic of a stack in `region` (None: unknown, not checked), or None."""
    if not isinstance(value, str):
        return f"{value!r} is not allowed; allowed: {_KEY_ALLOWED}"
    resource = value.split(":", 5)[-1] if value.startswith("arn:") else value
    if resource.startswith(AWS_MANAGED_KEY_ALIAS_PREFIX):
        # The one mistake that looks right and delivers nothing: EventBridge cannot use an AWS-managed key
        # (its key policy cannot be changed to let events.amazonaws.com in), so every publish fails.
        return (
            f"{value!r} is an AWS-managed key: its key policy cannot be changed to let EventBridge "
            "(events.amazonaws.com) use it, so every delivery to the topic would fail and no finding would "
            f"arrive; allowed: {_KEY_ALLOWED}, or leave it out to have one created"
        )
    unprintable = text_problem(value)
    if unprintable:
        return f"{unprintable}; allowed: {_KEY_ALLOWED}"
    if not re.fullmatch(KMS_KEY_ARN_PATTERN, value):
        return f"{value!r} is not a KMS key ARN; allowed: {_KEY_ALLOWED}"
    wrong_partition = arn_problem(value, service="kms", what="a KMS key ARN", region=None, allowed=_KEY_ALLOWED)
    if wrong_partition:
        return wrong_partition
    key_region = arn_region(value)
    if region is not None and key_region != region:
        return (
            f"{value!r} is a key in region {key_region}, not {region}; SNS can only use a key in the topic's "
            f"own region; allowed: {_KEY_ALLOWED}"
        )
    return None


def alarm_action_problem(value: object, *, region: str | None, topic_name: str) -> str | None:
    """Why `value` cannot be an alarm action of the stack in `region`, or None.

    An alarm routed to the alerts topic itself is refused: when that topic is what fails (a broken key, a
    policy mistake), the alarm would be lost the same way as the findings.
    """
    allowed = "the ARN of an SNS topic or other CloudWatch alarm action in the stack's region, not the alerts topic"
    unprintable = text_problem(value)
    if unprintable:
        return f"{unprintable}; allowed: {allowed}"
    arn = parse_arn(value)
    if not isinstance(value, str) or arn is None or not _ANY_ARN.fullmatch(value):
        return f"{value!r} is not an ARN; allowed: {allowed}"
    # CloudWatch alarm actions (PutMetricAlarm API reference, AlarmActions): SNS topics, Lambda functions,
    # Auto Scaling policies, Systems Manager OpsItems and incident response plans.
    if arn.service not in ALARM_ACTION_SERVICES:
        return (
            f"{value!r} is an ARN of service {arn.service}, which CloudWatch cannot notify; allowed: {allowed} "
            f"(services: {', '.join(ALARM_ACTION_SERVICES)})"
        )
    problem = arn_problem(
        value, service=arn.service, what="an ARN", region=None, allowed=allowed, regional=bool(arn.region)
    )
    if problem:
        return problem
    action_region = arn.region
    if region is not None and action_region and action_region != region:
        return f"{value!r} is in region {action_region}, not {region}; allowed: {allowed}"
    if value.split(":")[2] == "sns" and value.split(":")[-1] == topic_name and action_region in (region, None):
        return (
            f"{value!r} is the alerts topic itself: an alarm about failed deliveries sent to the topic that "
            f"fails to deliver is no alarm; allowed: {allowed}"
        )
    return None

"""Names of the resources the constructs create, from the construct's `name` prop and the rules' keys.

Pure functions: the constructs name their resources with them, and a check of a live account (`main.py verify`)
finds the resources by the same names, so the two cannot drift apart. Nothing here imports cdktf.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "MAX_API_DESTINATION_NAME",
    "MAX_CHAT_CONFIGURATION_NAME",
    "MAX_CONNECTION_NAME",
    "MAX_FUNCTION_NAME",
    "MAX_NOTIFICATION_CONFIGURATION_NAME",
    "MAX_POLICY_NAME",
    "MAX_QUEUE_NAME",
    "MAX_ROLE_NAME",
    "MAX_RULE_NAME",
    "MAX_TOPIC_NAME",
    "api_destination_name",
    "channel_failures_alarm_name",
    "channel_topic_name",
    "chat_configuration_name",
    "chat_guardrail_policy_name",
    "dead_letter_alarm_name",
    "dead_letter_queue_name",
    "delivery_alarm_names",
    "failed_invocations_alarm_name",
    "fit",
    "formatter_function_name",
    "forwarding_role_name",
    "forwarding_rule_name",
    "key_alias_name",
    "notification_configuration_name",
    "regional_role_name",
    "rule_name",
    "topic_name",
    "webhook_connection_name",
]


# AWS's length limits of the names we generate (each test that holds them cites its AWS page).
MAX_RULE_NAME = 64  # EventBridge rule
MAX_API_DESTINATION_NAME = 64  # EventBridge API destination
MAX_CONNECTION_NAME = 64  # EventBridge connection
MAX_ROLE_NAME = 64  # IAM role (account-wide)
MAX_POLICY_NAME = 128  # IAM managed policy (account-wide)
MAX_TOPIC_NAME = 256  # SNS topic
MAX_QUEUE_NAME = 80  # SQS queue
MAX_FUNCTION_NAME = 64  # Lambda function
MAX_CHAT_CONFIGURATION_NAME = 128  # Amazon Q Developer in chat applications channel configuration
MAX_NOTIFICATION_CONFIGURATION_NAME = 64  # AWS User Notifications notification configuration
_DIGEST = 8


def fit(name: str, limit: int) -> str:
    """`name` itself when it fits in `limit` characters; else its head and 8 hex digits of its SHA-256.

    Names that fit never change (they are in deployed state); a name too long gets a suffix that depends on
    the whole name, so two long names that share a prefix stay apart (cutting them would make them equal).
    """
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_DIGEST]
    return f"{name[: limit - _DIGEST - 1].rstrip('-')}-{digest}"


def topic_name(name: str) -> str:
    """The SNS topic of GuardDutyAlerts: the construct's name itself."""
    return name


def rule_name(name: str, key: str) -> str:
    """The EventBridge rule of a mail rule (`MailRule.key`: a band such as "high", "sample", "findings" with the
    formatter, or a channel group's band such as "high-up-critical") or of a raw group ("raw-high")."""
    return fit(f"{name}-{key}", MAX_RULE_NAME)


def channel_topic_name(name: str, group_key: str) -> str:
    """The SNS topic of a channel group ("raw-high", "7-5-up")."""
    return fit(f"{name}-{group_key}", MAX_TOPIC_NAME)


def webhook_connection_name(name: str) -> str:
    """The EventBridge connection every chat webhook's API destination uses."""
    return fit(f"{name}-webhooks", MAX_CONNECTION_NAME)


def chat_guardrail_policy_name(name: str, region: str | None) -> str:
    """The chat channels' guardrail policy: an IAM name, account-wide, so it names the region."""
    return fit(f"{name}-chat-guardrail" + (f"-{region}" if region else ""), MAX_POLICY_NAME)


def notification_configuration_name(name: str) -> str:
    return fit(name, MAX_NOTIFICATION_CONFIGURATION_NAME)


def dead_letter_queue_name(name: str) -> str:
    return fit(f"{name}-dead-letters", MAX_QUEUE_NAME)


def key_alias_name(name: str) -> str:
    """Alias of the topic key GuardDutyAlerts creates (none when a key is brought or encryption is off)."""
    return f"alias/{name}"


def formatter_function_name(name: str) -> str:
    """The subject formatter's Lambda function (also its role and, under /aws/lambda/, its log group)."""
    return fit(f"{name}-formatter", MAX_FUNCTION_NAME)


def forwarding_rule_name(name: str, home_region: str) -> str:
    """The central inbox's rule that forwards a region's findings to the home region's default bus."""
    return fit(f"{name}-to-{home_region}", MAX_RULE_NAME)


def forwarding_role_name(name: str, region: str) -> str:
    """IAM names are global to the account: one forwarding role per forwarding region."""
    return regional_role_name(f"{name}-forward", region)


def failed_invocations_alarm_name(name: str) -> str:
    """The alarm on every rule's FailedInvocations (and the formatter's dead-letter write errors)."""
    return f"{name}-failed-invocations"


def dead_letter_alarm_name(name: str) -> str:
    return f"{name}-dead-letters"


def delivery_alarm_names(name: str) -> tuple[str, ...]:
    """Every delivery alarm GuardDutyAlerts creates: failed deliveries, dead letters."""
    return (failed_invocations_alarm_name(name), dead_letter_alarm_name(name))


def channel_failures_alarm_name(name: str) -> str:
    """The alarm on the channels' rules and topics (only when there are channels)."""
    return f"{name}-channel-failures"


def api_destination_name(name: str, channel_key: str) -> str:
    """EventBridge API destination of a chat webhook channel (names are regional, at most 64 characters)."""
    return fit(f"{name}-{channel_key}", MAX_API_DESTINATION_NAME)


def chat_configuration_name(name: str, region: str | None, channel_key: str) -> str:
    """Chat channel configurations are named per account, so the name says the region too."""
    parts = [name, region, channel_key] if region else [name, channel_key]
    return fit("-".join(parts), MAX_CHAT_CONFIGURATION_NAME)


def regional_role_name(base: str, region: str | None) -> str:
    """An IAM role name for a resource of one region: `<base>-<region>`, so the stacks of an account's regions
    do not claim one name (IAM names are account-wide). The region is kept whole; a base too long for IAM's
    64 characters is shortened instead, with a digest of the whole base (see `fit`). Without a known region,
    the base alone."""
    if region is None:
        return fit(base, MAX_ROLE_NAME)
    return f"{fit(base, MAX_ROLE_NAME - len(region) - 1)}-{region}"

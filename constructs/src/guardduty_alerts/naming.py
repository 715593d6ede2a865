"""Names of the resources the constructs create, from the construct's `name` prop and the rules' keys.

Pure functions: the constructs name their resources with them, and a check of a live account (`main.py verify`)
finds the resources by the same names, so the two cannot drift apart. Nothing here imports cdktf.
"""

from __future__ import annotations

__all__ = [
    "api_destination_name",
    "channel_failures_alarm_name",
    "chat_configuration_name",
    "dead_letter_alarm_name",
    "dead_letter_queue_name",
    "delivery_alarm_names",
    "failed_invocations_alarm_name",
    "formatter_function_name",
    "forwarding_role_name",
    "forwarding_rule_name",
    "key_alias_name",
    "regional_role_name",
    "rule_name",
    "topic_name",
    "webhook_connection_name",
]


def topic_name(name: str) -> str:
    """The SNS topic of GuardDutyAlerts: the construct's name itself."""
    return name


def rule_name(name: str, key: str) -> str:
    """The EventBridge rule of a mail rule (`MailRule.key`, e.g. "high-instance")."""
    return f"{name}-{key}"


def dead_letter_queue_name(name: str) -> str:
    return f"{name}-dead-letters"


def key_alias_name(name: str) -> str:
    """Alias of the topic key GuardDutyAlerts creates (none when a key is brought or encryption is off)."""
    return f"alias/{name}"


def formatter_function_name(name: str) -> str:
    """The subject formatter's Lambda function (also its role and, under /aws/lambda/, its log group)."""
    return f"{name}-formatter"


def forwarding_rule_name(name: str, home_region: str) -> str:
    """The central inbox's rule that forwards a region's findings to the home region's default bus."""
    return f"{name}-to-{home_region}"


def forwarding_role_name(name: str, region: str) -> str:
    """IAM names are global to the account: one forwarding role per forwarding region."""
    return f"{name}-forward-{region}"


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
    return f"{name}-{channel_key}"[:64].rstrip("-")


def webhook_connection_name(name: str) -> str:
    """The EventBridge connection all chat webhooks' API destinations share."""
    return f"{name}-webhooks"


def chat_configuration_name(name: str, region: str | None, channel_key: str) -> str:
    """Chat channel configurations are named per account, so the name says the region too."""
    parts = [name, region, channel_key] if region else [name, channel_key]
    return "-".join(parts)[:128]


# IAM role names are account-wide and at most 64 characters.
MAX_ROLE_NAME = 64


def regional_role_name(base: str, region: str | None) -> str:
    """An IAM role name for a resource of one region: `<base>-<region>`, so the stacks of an account's regions
    do not claim one name (IAM names are account-wide). The region is kept whole; a base too long for IAM's
    64 characters is shortened instead. Without a known region, the base alone."""
    if region is None:
        return base[:MAX_ROLE_NAME]
    return f"{base[: MAX_ROLE_NAME - len(region) - 1].rstrip('-')}-{region}"

"""The checks of a stack's channels: chat configurations (Slack, Teams), chat webhooks (API destinations and
their connection), raw topics' subscriptions (HTTPS, SQS), and User Notifications (configuration, event rule,
email contacts, notification hub).

What is expected comes from `StackAlerting.routing()`, the grouping the construct builds from. Chat
configurations are looked up by channel (workspace and channel id, team and channel id), not by name: a
configuration is account-wide and may belong to another stack of the account (its home stack), so a stack
with no configuration of its own passes when some configuration of the channel subscribes to its topic. The
chat integration has its API in four regions and User Notifications in us-east-1 only; their data is the
account's, so one of those regions is asked whatever the stack's region. A webhook's URL is a secret: only
its host is ever printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guardduty_alerts.channel_base import CHAT_API_REGIONS, USER_NOTIFICATIONS_API_REGION
from guardduty_alerts.naming import api_destination_name, webhook_connection_name
from guardduty_alerts.patterns import FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE

from ..alerting import StackAlerting
from ..redaction import hidden_url
from .aws import AwsCallFailed, call, pages
from .checks import subscription_confirmed
from .context import StackContext, fail, passed
from .model import CheckResult

__all__ = [
    "CHAT_API_REGION",
    "USER_NOTIFICATIONS_API_REGION",
    "ChannelNames",
    "channel_checks",
    "channel_names",
    "check_api_destinations",
    "check_channel_subscriptions",
    "check_chat_configurations",
    "check_user_notifications",
]

# One of the regions where the chat integration has its API (CHAT_API_REGIONS); a stack in another region
# asks this one. Configurations are account-wide: every API region lists the same ones.
CHAT_API_REGION = "us-east-2"
# What AWS applies to a chat configuration without a guardrail: channel members could use the role fully.
ADMINISTRATOR_ACCESS = "policy/AdministratorAccess"


def _alerting(context: StackContext) -> StackAlerting:
    assert context.expectation.alerting is not None
    return context.expectation.alerting


def channel_checks(alerting: StackAlerting) -> list[str]:
    """The channel check ids a stack gets: only for the kinds of channel it has."""
    routing = alerting.routing()
    raw = [channel for group in routing.raw_groups for channel in group.channels]
    checks = []
    if any(channel.chat_configuration for channel in raw):
        checks.append("chat-configurations")
    if any(group.chat for group in routing.mail_groups):
        checks.append("api-destinations")
    if any(channel.topic_subscription for channel in raw):
        checks.append("channel-subscriptions")
    if routing.user_notifications is not None:
        checks.append("user-notifications")
    return checks


@dataclass(frozen=True)
class ChannelNames:
    """The names of a stack's channel resources that verify looks for, derived as the construct names them."""

    raw_topics: tuple[str, ...]
    webhook_connection: str | None
    api_destinations: tuple[str, ...]
    notification_configuration: str | None


def channel_names(alerting: StackAlerting) -> ChannelNames:
    routing = alerting.routing()
    name = alerting.alerts_name
    chat_keys = sorted({channel.key() for group in routing.mail_groups for channel in group.chat})
    return ChannelNames(
        raw_topics=tuple(f"{name}-{group.key}" for group in routing.raw_groups),
        webhook_connection=webhook_connection_name(name) if chat_keys else None,
        api_destinations=tuple(api_destination_name(name, key) for key in chat_keys),
        # The construct cuts the configuration's name to AWS's 64 characters.
        notification_configuration=name[:64] if routing.user_notifications is not None else None,
    )


def _raw_topic_arn(context: StackContext, group_key: str) -> str:
    return context.arn("sns", f"{_alerting(context).alerts_name}-{group_key}")


def _chat_client(context: StackContext) -> Any:
    region = context.region if context.region in CHAT_API_REGIONS else CHAT_API_REGION
    return context.clients.at("chatbot", region)


# --- chat configurations -------------------------------------------------------------------------------------


def _guardrail_problems(label: str, configuration: dict[str, Any], guardrail_prefix: str) -> list[str]:
    name = configuration.get("ConfigurationName", "?")
    guardrails = list(configuration.get("GuardrailPolicyArns") or [])
    if not guardrails or any(arn.endswith(ADMINISTRATOR_ACCESS) for arn in guardrails):
        return [
            f"{label}: configuration {name} has no notifications-only guardrail (AdministratorAccess applies): "
            "channel members could use the chat role's permissions"
        ]
    if not any(arn.rsplit("/", 1)[-1].startswith(guardrail_prefix) for arn in guardrails):
        return [
            f"{label}: configuration {name} has guardrails {', '.join(guardrails)}, not the alerts' own "
            f"{guardrail_prefix}* policy"
        ]
    return []


def check_chat_configurations(context: StackContext) -> CheckResult:
    alerting = _alerting(context)
    client = _chat_client(context)
    # Each listing once: the Slack configurations of the account, the Teams ones of each team.
    listed: dict[tuple[str, tuple[tuple[str, str], ...]], list[dict[str, Any]]] = {}
    guardrail_prefix = f"{alerting.alerts_name}-chat-guardrail"
    problems, good = [], []
    for group in alerting.routing().raw_groups:
        topic = _raw_topic_arn(context, group.key)
        for channel in group.channels:
            if not channel.chat_configuration:
                continue
            method, key, arguments = channel.chat_listing()
            listing = (method, tuple(sorted(arguments.items())))
            if listing not in listed:
                listed[listing] = list(pages(client, method, key, **arguments))
            found = [c for c in listed[listing] if channel.is_configuration_of(c)]
            own, fine = _configuration_problems(context, channel.describe(), found, topic, guardrail_prefix)
            problems += own
            good += fine
    if problems:
        return fail(
            "chat-configurations",
            problems,
            [
                "apply the stack that holds the channel's configuration (this one, or the account's home stack "
                f"when configurations are per account); {context.apply}"
            ],
        )
    return passed("chat-configurations", *good)


def _configuration_problems(
    context: StackContext, label: str, found: list[dict[str, Any]], topic: str, guardrail_prefix: str
) -> tuple[list[str], list[str]]:
    """One chat channel's configurations: one subscribes to `topic`, with the guardrail, enabled. Returns the
    problems and, without any, what passed."""
    if not found:
        return [
            f"{label} has no chat configuration in {context.account_words(context.account_id)}: findings "
            f"published to topic {topic} reach nobody"
        ], []
    subscribing = [c for c in found if topic in (c.get("SnsTopicArns") or [])]
    if not subscribing:
        names = ", ".join(str(c.get("ConfigurationName")) for c in found)
        return [f"{label}: configuration {names} does not subscribe to topic {topic}"], []
    own = []
    for configuration in subscribing:
        own += _guardrail_problems(label, configuration, guardrail_prefix)
        state = configuration.get("State")
        if state not in (None, "ENABLED"):
            reason = configuration.get("StateReason")
            own.append(
                f"{label}: configuration {configuration.get('ConfigurationName')} is {state}"
                + (f" ({reason})" if reason else "")
            )
    if own:
        return own, []
    name = subscribing[0].get("ConfigurationName")
    return [], [f"{label}: configuration {name} subscribes to topic {topic}, with the guardrail"]


# --- chat webhooks: API destinations and their connection --------------------------------------------------------


def _describe(context: StackContext, method: str, name: str) -> dict[str, Any] | None:
    try:
        return call(context.clients["events"], method, Name=name)
    except AwsCallFailed as failure:
        if failure.code != "ResourceNotFoundException":
            raise
        return None


def check_api_destinations(context: StackContext) -> CheckResult:
    names = channel_names(_alerting(context))
    connection_name = names.webhook_connection
    assert connection_name is not None  # only run for a stack with chat webhooks
    connection = _describe(context, "describe_connection", connection_name)
    problems, fixes = [], []
    if connection is None:
        problems.append(f"connection {connection_name} does not exist: EventBridge calls none of the chat webhooks")
        fixes.append(context.apply)
    elif connection.get("ConnectionState") != "AUTHORIZED":
        reason = connection.get("StateReason")
        problems.append(
            f"connection {connection_name} is {connection.get('ConnectionState')}"
            + (f" ({reason})" if reason else "")
            + ": EventBridge calls none of the chat webhooks"
        )
        fixes.append(context.apply + ": it sets the connection's authorization again")
    active = []
    for name in names.api_destinations:
        destination = _describe(context, "describe_api_destination", name)
        if destination is None:
            problems.append(f"API destination {name} does not exist")
            fixes.append(context.apply)
            continue
        # InvocationEndpoint is the webhook's secret URL: never printed.
        state = destination.get("ApiDestinationState")
        if state != "ACTIVE":
            problems.append(f"API destination {name} is {state}: nothing is posted to its webhook")
            fixes.append(context.apply)
        elif connection is not None and destination.get("ConnectionArn") != connection.get("ConnectionArn"):
            problems.append(f"API destination {name} uses connection {destination.get('ConnectionArn')}")
            fixes.append(context.apply)
        else:
            active.append(name)
    if problems:
        return fail("api-destinations", problems, fixes)
    return passed("api-destinations", f"connection {connection_name} is AUTHORIZED; ACTIVE on it: {', '.join(active)}")


# --- raw topics' subscriptions -------------------------------------------------------------------------------------


def check_channel_subscriptions(context: StackContext) -> CheckResult:
    sns = context.clients["sns"]
    problems, fixes, good = [], [], []
    for group in _alerting(context).routing().raw_groups:
        wanted = [c for c in group.channels if c.topic_subscription]
        if not wanted:
            continue
        topic = _raw_topic_arn(context, group.key)
        try:
            subscriptions = list(pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic))
        except AwsCallFailed as failure:
            if failure.code not in ("NotFound", "NotFoundException"):
                raise
            problems.append(f"topic {topic} does not exist")
            fixes.append(context.apply)
            continue
        for channel in wanted:
            # Each kind says what SNS subscribed, how verify names it, and how its subscription is confirmed.
            protocol, endpoint = channel.sns_subscription()
            label, confirm = channel.subscription_label(hidden_url), channel.confirm_advice(context.apply)
            found = [s for s in subscriptions if s.get("Protocol") == protocol and s.get("Endpoint") == endpoint]
            if not found:
                problems.append(f"{label} is not subscribed to topic {topic}")
                fixes.append(context.apply)
            elif not any(subscription_confirmed(sns, subscription) for subscription in found):
                problems.append(f"{label} has not confirmed its subscription to topic {topic}: nothing is sent to it")
                fixes.append(confirm)
            else:
                good.append(label)
    if problems:
        return fail("channel-subscriptions", problems, fixes)
    return passed("channel-subscriptions", f"confirmed: {', '.join(good)}")


# --- User Notifications ---------------------------------------------------------------------------------------------


def check_user_notifications(context: StackContext) -> CheckResult:
    alerting = _alerting(context)
    channel = alerting.routing().user_notifications
    assert channel is not None
    notifications = context.clients.at("notifications", USER_NOTIFICATIONS_API_REGION)
    contacts_client = context.clients.at("notificationscontacts", USER_NOTIFICATIONS_API_REGION)
    name = channel_names(alerting).notification_configuration
    problems, fixes, good = _hub_findings(context, notifications)
    configurations = [
        c
        for c in pages(notifications, "list_notification_configurations", "notificationConfigurations")
        if c.get("name") == name
    ]
    if not configurations:
        problems.append(f"notification configuration {name} does not exist")
        fixes.append(context.apply)
        return fail("user-notifications", problems, fixes)
    configuration = configurations[0]
    arn = configuration["arn"]
    if configuration.get("status") != "ACTIVE":
        problems.append(f"notification configuration {name} is {configuration.get('status')}")
        fixes.append("activate its email contacts (below) and register a hub; then it turns ACTIVE by itself")
    rules = list(pages(notifications, "list_event_rules", "eventRules", notificationConfigurationArn=arn))
    regions = set(channel.regions or (context.region,))
    matching = [
        rule
        for rule in rules
        if rule.get("source") == GUARDDUTY_SOURCE
        and rule.get("eventType") == FINDING_DETAIL_TYPE
        and regions <= set(rule.get("regions") or [])
    ]
    if not matching:
        problems.append(
            f"notification configuration {name} has no event rule for {FINDING_DETAIL_TYPE} in "
            f"{', '.join(sorted(regions))}"
        )
        fixes.append(context.apply)
    else:
        good.append(f"configuration {name} with its event rule for {', '.join(sorted(regions))}")
    channels = set(pages(notifications, "list_channels", "channels", notificationConfigurationArn=arn))
    contacts = {
        str(c.get("address", "")).lower(): c for c in pages(contacts_client, "list_email_contacts", "emailContacts")
    }
    contact_problems, contact_fixes, contact_good = _contact_findings(
        context, channel.addresses, contacts, channels, name
    )
    problems += contact_problems
    fixes += contact_fixes
    good += contact_good
    if problems:
        return fail("user-notifications", problems, fixes)
    return passed("user-notifications", *good)


def _hub_findings(context: StackContext, notifications: Any) -> tuple[list[str], list[str], list[str]]:
    """Problems, fixes and what passed of the account's notification hubs: at least one ACTIVE."""
    hubs = list(pages(notifications, "list_notification_hubs", "notificationHubs"))
    active_hubs = [hub for hub in hubs if (hub.get("statusSummary") or {}).get("status") == "ACTIVE"]
    if active_hubs:
        return [], [], [f"notification hub in {', '.join(sorted(h['notificationHubRegion'] for h in active_hubs))}"]
    states = ", ".join(
        f"{hub.get('notificationHubRegion')} {(hub.get('statusSummary') or {}).get('status')}" for hub in hubs
    )
    return (
        [
            f"no notification hub is registered in {context.account_words(context.account_id)}"
            + (f" (hubs: {states})" if states else "")
            + ": User Notifications sends nothing"
        ],
        [
            "set create_hub: true on the user_notifications channel and apply, or register one: aws notifications "
            f"register-notification-hub --region {USER_NOTIFICATIONS_API_REGION} --notification-hub-region "
            f"{USER_NOTIFICATIONS_API_REGION}"
        ],
        [],
    )


def _contact_findings(
    context: StackContext,
    addresses: tuple[str, ...],
    contacts: dict[str, dict[str, Any]],
    channels: set[Any],
    name: str | None,
) -> tuple[list[str], list[str], list[str]]:
    """Each address: an email contact, a channel of the configuration, activated. Returns the problems, the
    fixes and what passed."""
    problems: list[str] = []
    fixes: list[str] = []
    activated = []
    for address in addresses:
        contact = contacts.get(address.lower())
        if contact is None:
            problems.append(f"{address} has no email contact")
            fixes.append(context.apply)
        elif contact.get("arn") not in channels:
            problems.append(f"the email contact of {address} is not a channel of notification configuration {name}")
            fixes.append(context.apply)
        elif contact.get("status") != "active":
            problems.append(f"{address} has not activated its email contact: nothing is sent to it")
            fixes.append(
                f"{address}: enter the code from AWS's verification mail in the User Notifications console; a new "
                f"code: aws notificationscontacts send-activation-code --region {USER_NOTIFICATIONS_API_REGION} "
                f"--arn {contact.get('arn')}"
            )
        else:
            activated.append(address)
    return problems, fixes, [f"contacts activated: {', '.join(activated)}"] if activated else []

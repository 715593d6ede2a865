"""Resources of the channels that are not the construct's own mail: raw-event topics and what hangs off them
(chat configurations, HTTPS and SQS subscriptions), chat webhooks behind EventBridge API destinations, and
AWS User Notifications. Each function adds resources to the GuardDutyAlerts construct given as `scope`.

Delivery keeps the mail's guarantees: every EventBridge target retries and then dead-letters into the
construct's queue; every HTTPS and SQS subscription dead-letters what SNS could not deliver into the same
queue (its redrive policy); the channel topics are encrypted with the construct's key; the topic policies let
EventBridge publish for the group's own rule only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cdktf import TerraformVariable

from constructs import Construct

from ._aws import (
    AwsProvider,
    ChatbotSlackChannelConfiguration,
    ChatbotTeamsChannelConfiguration,
    CloudwatchEventApiDestination,
    CloudwatchEventConnection,
    CloudwatchEventConnectionAuthParameters,
    CloudwatchEventConnectionAuthParametersApiKey,
    CloudwatchEventRule,
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
    DataAwsSsmParameter,
    IamPolicy,
    IamRole,
    IamRolePolicy,
    NotificationsChannelAssociation,
    NotificationscontactsEmailContact,
    NotificationsEventRule,
    NotificationsNotificationConfiguration,
    NotificationsNotificationHub,
    SnsTopic,
    SnsTopicPolicy,
    SnsTopicSubscription,
)
from .channels import (
    ChatWebhookChannel,
    RawGroup,
    SlackChannel,
    SqsChannel,
    TeamsChannel,
    UserNotificationsChannel,
    WebhookChannel,
)
from .chat_messages import chat_transformer
from .naming import (
    api_destination_name,
    channel_topic_name,
    chat_configuration_name,
    chat_guardrail_policy_name,
    notification_configuration_name,
    regional_role_name,
    rule_name,
    webhook_connection_name,
)
from .notifications import MailRule
from .patterns import (
    FINDING_DETAIL_TYPE,
    GUARDDUTY_SOURCE,
    FindingFilters,
    all_findings_pattern,
    bands_at_or_above,
    pattern_json,
)
from .policies import (
    EVENTS_PRINCIPAL,
    chat_notifications_policy,
    invoke_api_destinations_policy,
    service_role_trust_policy,
    sqs_channel_statement,
    topic_policy,
)
from .validation import partition_of_region

__all__ = [
    "CHAT_API_REGIONS",
    "ChatTarget",
    "ChatWebhooks",
    "RawGroupResources",
    "UserNotificationsResources",
    "add_raw_group",
    "add_user_notifications",
    "build_chat_role",
    "build_chat_webhooks",
    "chat_topic_arns",
    "raw_groups_need_chat_role",
]

# Where Amazon Q Developer in chat applications (formerly AWS Chatbot) has its API: its configurations are
# account-wide and may subscribe to topics of any region, but must be created through one of these.
CHAT_API_REGIONS = ("ap-southeast-1", "eu-west-1", "us-east-2", "us-west-2")
# AWS User Notifications' control plane is in us-east-1 only.
USER_NOTIFICATIONS_API_REGION = "us-east-1"


@dataclass(frozen=True)
class RawGroupResources:
    """The rule, target and topic of one raw group, and what delivers from the topic."""

    rule: CloudwatchEventRule
    topic: SnsTopic
    topic_policy: SnsTopicPolicy
    target: CloudwatchEventTarget
    subscriptions: Mapping[str, SnsTopicSubscription]
    chat_configurations: Mapping[str, ChatbotSlackChannelConfiguration | ChatbotTeamsChannelConfiguration]
    sqs_policy_statements: Mapping[str, dict[str, Any]] = field(default_factory=dict)


def raw_groups_need_chat_role(groups: Sequence[RawGroup], chat_topic_regions: Sequence[str] | None) -> bool:
    """Whether this stack holds a chat configuration (Slack or Teams channel), which needs the chat role."""
    if chat_topic_regions is not None and not chat_topic_regions:
        return False  # another stack of the account holds the configurations
    return any(channel.chat_configuration for group in groups for channel in group.channels)


def build_chat_role(
    scope: Construct, *, name: str, region: str | None, tags: dict[str, str] | None
) -> tuple[IamRole, IamPolicy]:
    """The role the chat integration assumes for our channels and the guardrail capping what members may do:
    both notifications-only (without a guardrail the service applies AdministratorAccess)."""
    policy = json.dumps(chat_notifications_policy(), sort_keys=True)
    role = IamRole(
        scope,
        "chat-role",
        name=regional_role_name(f"{name}-chat", region),
        description="Assumed by Amazon Q Developer in chat applications to post GuardDuty findings",
        assume_role_policy=json.dumps(service_role_trust_policy("chatbot.amazonaws.com"), sort_keys=True),
        tags=tags,
    )
    IamRolePolicy(scope, "chat-role-policy", role=role.id, name="notifications-only", policy=policy)
    guardrail = IamPolicy(
        scope,
        "chat-guardrail",
        name=chat_guardrail_policy_name(name, region),
        description="Guardrail of the GuardDuty alert chat channels: notifications only",
        policy=policy,
        tags=tags,
    )
    return role, guardrail


def add_raw_group(
    scope: Construct,
    group: RawGroup,
    *,
    name: str,
    region: str | None,
    key_arn: str | None,
    dead_letter_queue_arn: str,
    delivery_settings: dict[str, Any],
    tags: dict[str, str] | None,
    chat_provider: AwsProvider | None,
    chat_role: tuple[IamRole, IamPolicy] | None,
    chat_topic_regions: Sequence[str] | None = None,
) -> RawGroupResources:
    """One rule selecting the group's findings, its topic (the whole event), and each channel's delivery.

    `chat_topic_regions`: None, each chat configuration subscribes to this topic only; a list of regions,
    to the topic of the same name in each of them (this stack's account); empty, no chat configuration here
    (see `GuardDutyAlerts`'s prop of the same name)."""
    topic = SnsTopic(
        scope, f"topic-{group.key}", name=channel_topic_name(name, group.key), kms_master_key_id=key_arn, tags=tags
    )
    pattern = all_findings_pattern(group.threshold, group.filters)
    rule = CloudwatchEventRule(
        scope,
        f"rule-{group.key}",
        name=rule_name(name, group.key),
        # No channel count here: adding a channel to the group must not change its rule.
        description=(
            f"GuardDuty findings of severity {group.threshold:g} and above, whole event, to the channels of "
            f"SNS topic {name}-{group.key}"
        ),
        event_pattern=pattern_json(pattern),
        tags=tags,
    )
    policy = SnsTopicPolicy(
        scope,
        f"topic-policy-{group.key}",
        arn=topic.arn,
        policy=json.dumps(
            topic_policy(topic_arn=topic.arn, rule_arns=[rule.arn], owner_account=topic.owner), sort_keys=True
        ),
    )
    target = CloudwatchEventTarget(
        scope,
        f"target-{group.key}",
        rule=rule.name,
        arn=topic.arn,
        target_id="sns-topic",
        depends_on=[policy],
        **delivery_settings,
    )
    redrive = json.dumps({"deadLetterTargetArn": dead_letter_queue_arn}, sort_keys=True)
    subscriptions = {
        channel.key(): _raw_subscription(scope, channel, topic, redrive)
        for channel in group.channels
        if isinstance(channel, (WebhookChannel, SqsChannel))
    }
    statements = {
        channel.key(): sqs_channel_statement(queue_arn=channel.queue_arn, topic_arn=topic.arn)
        for channel in group.channels
        if isinstance(channel, SqsChannel)
    }
    chats: dict[str, Any] = {}
    # An empty chat_topic_regions: another stack of this account holds the configurations and subscribes to
    # this topic by ARN.
    if chat_topic_regions is None or chat_topic_regions:
        chats = {
            channel.key(): _chat_configuration(
                scope,
                channel,
                topic_arns=chat_topic_arns(topic, channel_topic_name(name, group.key), region, chat_topic_regions),
                name=name,
                region=region,
                tags=tags,
                provider=chat_provider,
                chat_role=chat_role,
            )
            for channel in group.channels
            if isinstance(channel, (SlackChannel, TeamsChannel))
        }
    return RawGroupResources(
        rule=rule,
        topic=topic,
        topic_policy=policy,
        target=target,
        subscriptions=MappingProxyType(subscriptions),
        chat_configurations=MappingProxyType(chats),
        sqs_policy_statements=MappingProxyType(statements),
    )


def _raw_subscription(
    scope: Construct, channel: WebhookChannel | SqsChannel, topic: SnsTopic, redrive: str
) -> SnsTopicSubscription:
    """SNS's delivery of the raw topic to a webhook (HTTPS) or a queue, dead-lettering what fails."""
    if isinstance(channel, WebhookChannel):
        return SnsTopicSubscription(
            scope,
            f"subscription-{channel.key()}",
            topic_arn=topic.arn,
            protocol="https",
            endpoint=channel.url,
            raw_message_delivery=channel.raw_delivery,
            endpoint_auto_confirms=channel.auto_confirms,
            redrive_policy=redrive,
        )
    return SnsTopicSubscription(
        scope,
        f"subscription-{channel.key()}",
        topic_arn=topic.arn,
        protocol="sqs",
        endpoint=channel.queue_arn,
        raw_message_delivery=True,
        redrive_policy=redrive,
    )


def _chat_configuration(
    scope: Construct,
    channel: SlackChannel | TeamsChannel,
    *,
    topic_arns: list[str],
    name: str,
    region: str | None,
    tags: dict[str, str] | None,
    provider: AwsProvider | None,
    chat_role: tuple[IamRole, IamPolicy] | None,
) -> ChatbotSlackChannelConfiguration | ChatbotTeamsChannelConfiguration:
    """The chat integration's configuration of a Slack or Teams channel, subscribed to the raw topic(s)."""
    assert chat_role is not None, "build_chat_role first when raw_groups_need_chat_role"
    role, guardrail = chat_role
    key = channel.key()
    common: dict[str, Any] = {
        "configuration_name": chat_configuration_name(name, region, key),
        "iam_role_arn": role.arn,
        "guardrail_policy_arns": [guardrail.arn],
        "sns_topic_arns": topic_arns,
        "logging_level": "ERROR",
        "user_authorization_required": False,
        "tags": tags,
        "provider": provider,
    }
    if isinstance(channel, SlackChannel):
        return ChatbotSlackChannelConfiguration(
            scope,
            f"chat-{key}",
            slack_team_id=channel.workspace_id,
            slack_channel_id=channel.channel_id,
            **common,
        )
    return ChatbotTeamsChannelConfiguration(
        scope,
        f"chat-{key}",
        tenant_id=channel.tenant_id,
        team_id=channel.team_id,
        channel_id=channel.channel_id,
        **common,
    )


def chat_topic_arns(topic: SnsTopic, topic_name: str, region: str | None, regions: Sequence[str] | None) -> list[str]:
    """The raw topics a chat configuration subscribes to: this stack's `topic` (by reference, so Terraform
    creates it first), and for each other region of `regions` the topic of the same name there, by its ARN.
    An ARN is partition, region, account and name; the account is this topic's owner (the same account: chat
    configurations are per account), so no other stack's state is read; the partition is the region's."""
    if not regions:
        return [topic.arn]
    return [
        topic.arn if other == region else f"arn:{partition_of_region(other)}:sns:{other}:{topic.owner}:{topic_name}"
        for other in sorted(regions)
    ]


@dataclass(frozen=True)
class ChatTarget:
    """One chat webhook channel riding on one band rule of its mail group (what `build_chat_webhooks` makes a
    target of)."""

    channel: ChatWebhookChannel
    mail_rule: MailRule
    rule: CloudwatchEventRule
    threshold: float


@dataclass(frozen=True)
class ChatWebhooks:
    """Slack and Teams incoming webhooks, called by EventBridge API destinations: one connection and one role
    for all of them, one API destination per channel, one target per channel on each band rule it rides on."""

    connection: CloudwatchEventConnection
    destinations: Mapping[str, CloudwatchEventApiDestination]
    targets: Mapping[str, CloudwatchEventTarget]
    role: IamRole
    role_policy: IamRolePolicy


def build_chat_webhooks(
    scope: Construct,
    chat_targets: Sequence[ChatTarget],
    *,
    name: str,
    region: str | None,
    tags: dict[str, str] | None,
    delivery_settings: Mapping[str, Any],
) -> ChatWebhooks | None:
    """Everything the chat webhooks need, in one call once every band rule exists (None without any): the
    role's policy can then list exactly the destinations, and no step can be left out or run early."""
    if not chat_targets:
        return None
    # Incoming webhooks carry their secret in the URL; the connection's API key header is required by
    # EventBridge and ignored by Slack and Teams.
    connection = CloudwatchEventConnection(
        scope,
        "webhook-connection",
        name=webhook_connection_name(name),
        description="Chat incoming webhooks of the GuardDuty alerts (the secret is the URL)",
        authorization_type="API_KEY",
        auth_parameters=CloudwatchEventConnectionAuthParameters(
            api_key=CloudwatchEventConnectionAuthParametersApiKey(key="X-GuardDuty-Alerts", value="webhook")
        ),
    )
    destinations: dict[str, CloudwatchEventApiDestination] = {}
    for chat_target in chat_targets:
        key = chat_target.channel.key()
        if key not in destinations:
            destinations[key] = _api_destination(scope, chat_target.channel, name=name, connection=connection)
    role = IamRole(
        scope,
        "webhooks-role",
        name=regional_role_name(f"{name}-webhooks", region),
        description="Assumed by EventBridge to call the GuardDuty alert chat webhooks",
        assume_role_policy=json.dumps(service_role_trust_policy(EVENTS_PRINCIPAL), sort_keys=True),
        tags=tags,
    )
    targets = {
        f"{chat.mail_rule.key}-{chat.channel.key()}": _chat_target(
            scope,
            chat,
            destinations[chat.channel.key()],
            role_arn=role.arn,
            delivery_settings=delivery_settings,
            partition=partition_of_region(region) if region else "aws",
        )
        for chat in chat_targets
    }
    role_policy = IamRolePolicy(
        scope,
        "webhooks-role-policy",
        role=role.id,
        name="invoke-chat-webhooks",
        policy=json.dumps(
            invoke_api_destinations_policy([d.arn for _, d in sorted(destinations.items())]), sort_keys=True
        ),
    )
    return ChatWebhooks(
        connection=connection,
        destinations=MappingProxyType(destinations),
        targets=MappingProxyType(targets),
        role=role,
        role_policy=role_policy,
    )


def _chat_target(
    scope: Construct,
    chat: ChatTarget,
    destination: CloudwatchEventApiDestination,
    *,
    role_arn: str,
    delivery_settings: Mapping[str, Any],
    partition: str,
) -> CloudwatchEventTarget:
    """The target calling one channel's webhook from one band rule, with the band's chat message (its console
    link in `partition`)."""
    channel, mail_rule = chat.channel, chat.mail_rule
    paths, template = chat_transformer(
        channel.kind, mail_rule.band, sample_bands=bands_at_or_above(chat.threshold), partition=partition
    )
    target_key = f"{mail_rule.key}-{channel.key()}"
    return CloudwatchEventTarget(
        scope,
        f"target-{target_key}",
        rule=chat.rule.name,
        arn=destination.arn,
        target_id=channel.key()[:64],
        role_arn=role_arn,
        input_transformer=CloudwatchEventTargetInputTransformer(input_paths=paths, input_template=template),
        **delivery_settings,
    )


def _api_destination(
    scope: Construct, channel: ChatWebhookChannel, *, name: str, connection: CloudwatchEventConnection
) -> CloudwatchEventApiDestination:
    """The channel's API destination; its URL from SSM or from a sensitive variable (never in the JSON)."""
    key = channel.key()
    if channel.url_ssm_parameter is not None:
        url = DataAwsSsmParameter(scope, f"{key}-url", name=channel.url_ssm_parameter, with_decryption=True).value
    else:
        variable = TerraformVariable(
            scope,
            f"{key}-url",
            type="string",
            sensitive=True,
            description=f"Incoming webhook URL of the {channel.kind.value} channel {key} (set {channel.url_env_var})",
        )
        assert channel.url_variable is not None
        variable.override_logical_id(channel.url_variable)
        url = variable.string_value
    return CloudwatchEventApiDestination(
        scope,
        f"api-destination-{key}",
        name=api_destination_name(name, key),
        description=f"GuardDuty findings as chat messages ({channel.describe()})",
        connection_arn=connection.arn,
        invocation_endpoint=url,
        http_method="POST",
        # Incoming webhooks accept about one message a second; EventBridge queues and retries beyond.
        invocation_rate_limit_per_second=1,
    )


@dataclass(frozen=True)
class UserNotificationsResources:
    configuration: NotificationsNotificationConfiguration
    event_rule: NotificationsEventRule
    contacts: Mapping[str, NotificationscontactsEmailContact]
    associations: Mapping[str, NotificationsChannelAssociation]
    # The account's notification hub, when the channel has create_hub.
    hub: NotificationsNotificationHub | None = None


def add_user_notifications(
    scope: Construct,
    channel: UserNotificationsChannel,
    *,
    name: str,
    threshold: float,
    filters: FindingFilters,
    regions: Sequence[str],
    provider: AwsProvider | None,
    tags: dict[str, str] | None,
    hub_region: str = USER_NOTIFICATIONS_API_REGION,
) -> UserNotificationsResources:
    """A notification configuration whose event rule selects GuardDuty findings at or above the threshold in
    `regions`, and one email contact (activated by its owner once) per address; with `create_hub`, the
    account's notification hub in `hub_region`, registered before the configuration."""
    hub = None
    if channel.create_hub:
        # AWS User Notifications user guide, "Storing, processing, and replicating notifications using
        # notification hubs": at least one hub must exist before any notification configuration.
        hub = NotificationsNotificationHub(
            scope, "user-notifications-hub", notification_hub_region=hub_region, provider=provider
        )
    configuration = NotificationsNotificationConfiguration(
        scope,
        "user-notifications",
        name=notification_configuration_name(name),
        description=f"GuardDuty findings of severity {threshold:g} and above",
        aggregation_duration=channel.aggregation_value,
        tags=tags,
        provider=provider,
        depends_on=[hub] if hub is not None else None,
    )
    # The source and detail type are fields of their own; the pattern narrows by severity and the filters.
    detail_pattern = {"detail": all_findings_pattern(threshold, filters)["detail"]}
    event_rule = NotificationsEventRule(
        scope,
        "user-notifications-rule",
        notification_configuration_arn=configuration.arn,
        source=GUARDDUTY_SOURCE,
        event_type=FINDING_DETAIL_TYPE,
        event_pattern=pattern_json(detail_pattern),
        regions=sorted(regions),
        provider=provider,
    )
    contacts: dict[str, NotificationscontactsEmailContact] = {}
    associations: dict[str, NotificationsChannelAssociation] = {}
    for address in sorted(channel.addresses, key=str.lower):
        key = address.lower()
        contacts[key] = NotificationscontactsEmailContact(
            scope,
            f"user-notifications-contact-{key}",
            name=_contact_name(address),
            email_address=address,
            tags=tags,
            provider=provider,
        )
        associations[key] = NotificationsChannelAssociation(
            scope,
            f"user-notifications-association-{key}",
            arn=contacts[key].arn,
            notification_configuration_arn=configuration.arn,
            provider=provider,
        )
    return UserNotificationsResources(
        configuration=configuration,
        event_rule=event_rule,
        contacts=MappingProxyType(contacts),
        associations=MappingProxyType(associations),
        hub=hub,
    )


def _contact_name(address: str) -> str:
    # Contact names allow letters, digits, spaces, hyphens and underscores, up to 64 characters.
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in address.lower())
    return cleaned[:64]

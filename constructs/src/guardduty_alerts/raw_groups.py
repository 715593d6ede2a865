"""Raw groups' resources: for each set of raw-event channels of one threshold and filters, one rule, one topic
(the whole event), and each channel's delivery from it, which the channel's kind builds itself (an HTTPS or
SQS subscription, a chat configuration); and the chat role those configurations share.

Delivery keeps the mail's guarantees: the target retries and then dead-letters into the construct's queue;
every subscription dead-letters what SNS could not deliver into the same queue (its redrive policy); the topics
are encrypted with the construct's key; the topic policy lets EventBridge publish for the group's rule only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from constructs import Construct

from ._aws import (
    AwsProvider,
    ChatbotSlackChannelConfiguration,
    ChatbotTeamsChannelConfiguration,
    CloudwatchEventRule,
    CloudwatchEventTarget,
    IamPolicy,
    IamRole,
    IamRolePolicy,
    SnsTopic,
    SnsTopicPolicy,
    SnsTopicSubscription,
)
from .channels import RawGroup
from .chat_channels import ChatConfigurationChannel
from .naming import (
    channel_topic_name,
    chat_configuration_name,
    chat_guardrail_policy_name,
    regional_role_name,
    rule_name,
)
from .patterns import all_findings_pattern, pattern_json
from .policies import chat_notifications_policy, service_role_trust_policy, topic_policy
from .validation import partition_of_region

__all__ = [
    "RawGroupResources",
    "add_raw_group",
    "build_chat_role",
    "chat_topic_arns",
    "raw_groups_need_chat_role",
]


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
    rule, policy, target = _rule_and_target(
        scope, group, topic, name=name, delivery_settings=delivery_settings, tags=tags
    )
    redrive = json.dumps({"deadLetterTargetArn": dead_letter_queue_arn}, sort_keys=True)
    subscriptions = {
        channel.key(): channel.subscribe(scope, topic, redrive)
        for channel in group.channels
        if channel.topic_subscription
    }
    statements = {
        channel.key(): statement
        for channel in group.channels
        if (statement := channel.queue_statement(topic.arn)) is not None
    }
    chats: dict[str, Any] = {}
    # An empty chat_topic_regions: another stack of this account holds the configurations and subscribes to
    # this topic by ARN.
    if chat_topic_regions is None or chat_topic_regions:
        topic_arns = chat_topic_arns(topic, channel_topic_name(name, group.key), region, chat_topic_regions)
        chats = {
            channel.key(): _chat_configuration(
                scope,
                channel,
                topic_arns=topic_arns,
                name=name,
                region=region,
                tags=tags,
                provider=chat_provider,
                chat_role=chat_role,
            )
            for channel in group.channels
            if channel.chat_configuration
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


def _rule_and_target(
    scope: Construct,
    group: RawGroup,
    topic: SnsTopic,
    *,
    name: str,
    delivery_settings: dict[str, Any],
    tags: dict[str, str] | None,
) -> tuple[CloudwatchEventRule, SnsTopicPolicy, CloudwatchEventTarget]:
    """The group's rule, the topic policy letting it publish, and its target (the topic)."""
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
    return rule, policy, target


def _chat_configuration(
    scope: Construct,
    channel: ChatConfigurationChannel,
    *,
    topic_arns: list[str],
    name: str,
    region: str | None,
    tags: dict[str, str] | None,
    provider: AwsProvider | None,
    chat_role: tuple[IamRole, IamPolicy] | None,
) -> ChatbotSlackChannelConfiguration | ChatbotTeamsChannelConfiguration:
    """The chat integration's configuration of a Slack or Teams channel, subscribed to the raw topic(s): the
    settings every configuration shares, given to the channel's kind to build."""
    assert chat_role is not None, "build_chat_role first when raw_groups_need_chat_role"
    role, guardrail = chat_role
    common: dict[str, Any] = {
        "configuration_name": chat_configuration_name(name, region, channel.key()),
        "iam_role_arn": role.arn,
        "guardrail_policy_arns": [guardrail.arn],
        "sns_topic_arns": topic_arns,
        "logging_level": "ERROR",
        "user_authorization_required": False,
        "tags": tags,
        "provider": provider,
    }
    return channel.configure_chat(scope, common)


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

"""The mail-group builder: one set of steps for the construct's own mail group and every channel's.

A mail group is the findings of one threshold and filter set, mailed: its band rules, and when it has
addresses its topic, subscriptions, topic policy and targets (through the subject formatter for the
construct's own group when that is on). Chat webhooks ride on the same rules; the builder returns them as
`ChatTarget`s for `build_chat_webhooks`, which builds them all at once.

Every function takes `scope` (the `GuardDutyAlerts` construct) and creates its resources there with the
construct IDs they always had: the own group's "topic", "topic-policy", "subscription-<address>",
"rule-<band>", "target-<band>" and "formatter"; a channel group's carry its key ("topic-<key>",
"<key>-subscription-<address>", "rule-<key>-<band>"). Renaming one replaces real infrastructure.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from constructs import Construct

from ._aws import (
    CloudwatchEventRule,
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
    IamRolePolicy,
    SnsTopic,
    SnsTopicPolicy,
    SnsTopicSubscription,
)
from .channel_delivery import ChatTarget
from .channels import MailGroup, Routing
from .delivery import allow_role_to_use_key
from .delivery_base import DeliveryBase
from .formatter import SubjectFormatter
from .naming import channel_failures_alarm_name, channel_topic_name, delivery_alarm_names, rule_name, topic_name
from .notifications import MailRule, mail_rules
from .policies import topic_policy
from .props import AlertsProps
from .validation import partition_of_region

__all__ = [
    "MailGroupResources",
    "build_mail_group",
    "build_mail_groups",
    "channel_mail_rules",
    "subscription_id",
]


@dataclass(frozen=True)
class MailGroupResources:
    """One mail group: its band rules, its topic (when it has addresses) with policy, subscriptions and
    targets, the formatter (the construct's own group only), and the chat webhooks riding on its rules."""

    rules: Mapping[str, CloudwatchEventRule]
    topic: SnsTopic | None = None
    topic_policy: SnsTopicPolicy | None = None
    subscriptions: Mapping[str, SnsTopicSubscription] = field(default_factory=lambda: MappingProxyType({}))
    targets: Mapping[str, CloudwatchEventTarget] = field(default_factory=lambda: MappingProxyType({}))
    chat_targets: tuple[ChatTarget, ...] = ()
    formatter: SubjectFormatter | None = None
    formatter_key_policy: IamRolePolicy | None = None


@dataclass(frozen=True)
class _Build:
    """What every step of one mail group reads: the construct's name, region and tags, and the delivery base."""

    name: str
    region: str | None
    tags: Mapping[str, str] | None
    delivery: DeliveryBase
    account_names: Mapping[str, str] | None = None


def subscription_id(address: str) -> str:
    """Construct ID of the subscription for `address`: keyed by the address, so reordering changes nothing."""
    return f"subscription-{address.lower()}"


def channel_mail_rules(group: MailGroup, partition: str) -> tuple[MailRule, ...]:
    """A channel mail group's band rules, keyed with the group's key in front ("high-up-critical"); their mails
    link to `partition`'s console."""
    return tuple(
        dataclasses.replace(rule, key=f"{group.key}-{rule.key}")
        for rule in mail_rules(group.threshold, group.filters, partition=partition)
    )


def build_mail_groups(
    scope: Construct,
    routing: Routing,
    own_rules: Sequence[MailRule],
    props: AlertsProps,
    delivery: DeliveryBase,
    *,
    region: str | None,
    tags: Mapping[str, str] | None,
) -> tuple[MailGroupResources, Mapping[str, MailGroupResources]]:
    """The construct's own mail group (key "", with `own_rules`; empty when there is none), then every
    channel mail group by key, each built by `build_mail_group`."""
    build = _Build(props.name, region, tags, delivery, props.account_names)
    subject_formatter = props.subject_formatter
    # Mails link to this partition's console (a region's partition is in its name).
    partition = partition_of_region(region) if region else "aws"
    own_group = next((group for group in routing.mail_groups if group.key == ""), None)
    own = (
        build_mail_group(scope, own_group, own_rules, build, subject_formatter=subject_formatter)
        if own_group is not None
        else MailGroupResources(MappingProxyType({}))
    )
    channel_groups = {
        group.key: build_mail_group(scope, group, channel_mail_rules(group, partition), build, subject_formatter=False)
        for group in routing.mail_groups
        if group.key
    }
    return own, MappingProxyType(channel_groups)


def build_mail_group(
    scope: Construct, group: MailGroup, group_rules: Sequence[MailRule], build: _Build, *, subject_formatter: bool
) -> MailGroupResources:
    """One mail group, the construct's own (key "") or a channel's: its topic and subscriptions when it has
    addresses, its band rules, the topic policy, the mail targets, and the chat webhooks to build on the
    rules. `subject_formatter` puts the formatter between the rules and the topic (the own group only)."""
    own = group.key == ""
    suffix = "" if own else f"-{group.key}"
    topic, subscriptions = None, MappingProxyType({})
    if group.addresses:
        topic = SnsTopic(
            scope,
            f"topic{suffix}",
            name=topic_name(build.name) if own else channel_topic_name(build.name, group.key),
            kms_master_key_id=build.delivery.key_arn,
            tags=build.tags,
        )
        subscriptions = _subscribe(scope, topic, group.addresses, prefix="" if own else f"{group.key}-")
    destination = f"mailed through SNS topic {build.name}{suffix}" if topic is not None else "to chat webhooks"
    rules = {mail_rule.key: _rule(scope, mail_rule, destination, build) for mail_rule in group_rules}
    chat_targets = tuple(
        ChatTarget(channel, mail_rule, rules[mail_rule.key], group.threshold)
        for mail_rule in group_rules
        for channel in group.chat
    )
    if topic is None:
        return MailGroupResources(MappingProxyType(rules), chat_targets=chat_targets)
    formatter, formatter_key_policy = (
        _build_formatter(scope, topic, build) if own and subject_formatter else (None, None)
    )
    policy = _topic_policy(scope, topic, list(rules.values()), suffix, build, formatter=formatter, own=own)
    targets = {
        mail_rule.key: _formatter_target(scope, mail_rule, rules[mail_rule.key], formatter, build)
        if formatter is not None
        else _mail_target(scope, mail_rule, rules[mail_rule.key], topic, policy, build)
        for mail_rule in group_rules
    }
    return MailGroupResources(
        MappingProxyType(rules),
        topic,
        policy,
        subscriptions,
        MappingProxyType(targets),
        chat_targets,
        formatter,
        formatter_key_policy,
    )


def _build_formatter(scope: Construct, topic: SnsTopic, build: _Build) -> tuple[SubjectFormatter, IamRolePolicy | None]:
    """The subject formatter publishing to the construct's own topic, and its use of the topic key."""
    formatter = SubjectFormatter(
        scope,
        "formatter",
        name=build.name,
        topic_arn=topic.arn,
        dead_letter_queue_arn=build.delivery.dead_letter_queue.arn,
        tags=dict(build.tags or {}),
        region=build.region,
        account_names=build.account_names,
    )
    key_policy = None
    if build.delivery.key_arn is not None:
        # Publishing to the encrypted topic, and dead-lettering into the queue encrypted with the same key,
        # need the key: without this every formatted mail is refused.
        key_policy = allow_role_to_use_key(scope, formatter.role, build.delivery.key_arn)
    return formatter, key_policy


def _topic_policy(
    scope: Construct,
    topic: SnsTopic,
    rules: Sequence[CloudwatchEventRule],
    suffix: str,
    build: _Build,
    *,
    formatter: SubjectFormatter | None,
    own: bool,
) -> SnsTopicPolicy:
    """Who may publish to a mail topic: the group's rules (or the formatter's role), and for the
    construct's own topic CloudWatch for every alarm the construct may create."""
    notified = own and build.delivery.alarms_notify_topic
    policy = topic_policy(
        topic_arn=topic.arn,
        rule_arns=[rule.arn for rule in rules],
        owner_account=topic.owner,
        # Every alarm the construct may create: a name without an alarm grants nothing.
        alarm_names=(*delivery_alarm_names(build.name), channel_failures_alarm_name(build.name)) if notified else (),
        # With the formatter EventBridge never publishes; only the function's role does.
        publisher_role_arn=formatter.role.arn if formatter is not None else None,
    )
    return SnsTopicPolicy(scope, f"topic-policy{suffix}", arn=topic.arn, policy=json.dumps(policy, sort_keys=True))


def _rule(scope: Construct, mail_rule: MailRule, destination: str, build: _Build) -> CloudwatchEventRule:
    # Construct IDs and rule names derive from the rule's key: a band name, "sample" or "findings", with
    # the group's key in front for a channel group ("high-up-critical").
    return CloudwatchEventRule(
        scope,
        f"rule-{mail_rule.key}",
        name=rule_name(build.name, mail_rule.key),
        description=f"{mail_rule.description}, {destination}",
        event_pattern=mail_rule.pattern_json(),
        tags=build.tags,
    )


def _subscribe(
    scope: Construct, topic: SnsTopic, addresses: Sequence[str], *, prefix: str
) -> Mapping[str, SnsTopicSubscription]:
    return MappingProxyType(
        {
            address: SnsTopicSubscription(
                scope, prefix + subscription_id(address), topic_arn=topic.arn, protocol="email", endpoint=address
            )
            for address in sorted(addresses, key=str.lower)
        }
    )


def _formatter_target(
    scope: Construct, mail_rule: MailRule, rule: CloudwatchEventRule, formatter: SubjectFormatter, build: _Build
) -> CloudwatchEventTarget:
    """The target of the construct's one rule with the formatter: the function, which gets the whole
    event (no input transformer) and writes the mail itself."""
    permission = formatter.allow(mail_rule.key, rule)
    return CloudwatchEventTarget(
        scope,
        f"target-{mail_rule.key}",
        rule=rule.name,
        arn=formatter.function.arn,
        target_id="subject-formatter",
        depends_on=[permission],
        **build.delivery.settings,
    )


def _mail_target(
    scope: Construct,
    mail_rule: MailRule,
    rule: CloudwatchEventRule,
    topic: SnsTopic,
    policy: SnsTopicPolicy,
    build: _Build,
) -> CloudwatchEventTarget:
    """The mail target of a band or sample rule: `topic`, with the rule's mail template. Every mail group's
    targets are made here."""
    assert mail_rule.input_paths is not None and mail_rule.input_template is not None
    return CloudwatchEventTarget(
        scope,
        f"target-{mail_rule.key}",
        rule=rule.name,
        arn=topic.arn,
        target_id="sns-topic",
        input_transformer=CloudwatchEventTargetInputTransformer(
            input_paths=mail_rule.input_paths,
            input_template=mail_rule.input_template,
        ),
        # Without the policy EventBridge's first deliveries are refused: create it before the target.
        depends_on=[policy],
        **build.delivery.settings,
    )

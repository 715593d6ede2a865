"""The GuardDutyAlerts construct: GuardDuty findings at or above a severity, mailed through SNS.

`GuardDutyAlerts.__init__` is the recipe, one step a line: check the props, the detector and its suppression
filters, the delivery base (key, dead-letter queue, retry settings), the mail groups, the other channels, the
guards (dead-letter queue policy, alarms), the public attributes. Each step is a builder that takes
`scope=self`, keeps the construct IDs it always had, and returns what it made for the next steps.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cdktf import TerraformStack

from constructs import Construct

from ._aws import (
    AwsProvider,
    CloudwatchEventRule,
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
    CloudwatchMetricAlarm,
    GuarddutyFilter,
    IamRolePolicy,
    KmsAlias,
    KmsKey,
    SnsTopic,
    SnsTopicPolicy,
    SnsTopicSubscription,
    SqsQueue,
    SqsQueuePolicy,
)
from .channel_delivery import (
    USER_NOTIFICATIONS_API_REGION,
    ChatTarget,
    ChatWebhooks,
    RawGroupResources,
    UserNotificationsResources,
    add_raw_group,
    add_user_notifications,
    build_chat_role,
    build_chat_webhooks,
    raw_groups_need_chat_role,
)
from .channels import Channel, MailGroup, Routing, route_channels
from .delivery import (
    allow_role_to_use_key,
    create_channel_alarm,
    create_dead_letter_queue,
    create_delivery_alarms,
    create_topic_key,
    restrict_dead_letter_queue,
    target_delivery_settings,
)
from .delivery_settings import (
    DEFAULT_DEAD_LETTER_RETENTION_SECONDS,
    DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
)
from .detector import add_detector, add_suppression_filters
from .formatter import SubjectFormatter
from .naming import channel_failures_alarm_name, channel_topic_name, delivery_alarm_names, rule_name, topic_name
from .notifications import MailRule, mail_rules
from .patterns import DEFAULT_EVENT_PATTERN_SIZE_LIMIT, FindingFilters, finding_event_pattern
from .policies import topic_policy
from .props import AlertsProps, chat_topic_regions_problems, check_props
from .severity import Severity, parse_threshold
from .suppression import SuppressionRule
from .validation import PublishingFrequency, is_loopback_url, partition_of_region

__all__ = [
    "DeliveryBase",
    "GuardDutyAlerts",
    "MailGroupResources",
    "chat_topic_regions_problems",
    "subscription_id",
]


def subscription_id(address: str) -> str:
    """Construct ID of the subscription for `address`: keyed by the address, so reordering changes nothing."""
    return f"subscription-{address.lower()}"


@dataclass(frozen=True)
class DeliveryBase:
    """What every target shares: the topic key (created, given or none), the dead-letter queue, the retry
    and dead-letter settings, and whether the delivery alarms notify the construct's own topic."""

    kms_key: KmsKey | None
    kms_alias: KmsAlias | None
    key_arn: str | None
    dead_letter_queue: SqsQueue
    settings: Mapping[str, Any]
    alarms_notify_topic: bool


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


class GuardDutyAlerts(Construct):
    """Mails GuardDuty findings at or above a severity threshold to a list of addresses.

    Creates, in the stack's account and region: a GuardDuty detector (unless an existing one is adopted), a
    standard SNS topic with one email subscription per recipient, a topic policy that lets EventBridge
    publish for this construct's rules only, and EventBridge rules on the default bus that forward
    `GuardDuty Finding` events with `detail.severity >= threshold` to the topic as a readable mail. Without
    recipients (channels only) there is no such topic: `topic` is None and the channels' own rules, topics
    and targets deliver (see channels.py and channel_delivery.py).

    There is one rule (and target) per severity band at or above the threshold, for real findings, plus one
    for sample findings: an input transformer cannot compute a band label, so each band's rule writes its
    own (4 rules at MEDIUM). With the subject formatter there is exactly one rule, whose function computes
    the label itself. `rules` and `targets` map each rule's key ("medium", "high", "critical", "sample"; with
    the formatter "findings") to it.

    Delivery is made trustworthy (see delivery.py): the topic is encrypted with a customer-managed KMS key
    EventBridge may use; every target retries for up to a day, then puts the event in an encrypted SQS
    dead-letter queue; CloudWatch alarms fire on failed invocations and on dead letters.

    Every created resource is a read-only attribute; they double as the escape hatch for settings this
    construct does not expose.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        recipients: Sequence[str] = (),
        channels: Sequence[Channel] = (),
        severity_threshold: Severity | str | float = Severity.MEDIUM,
        name: str = "guardduty-alerts",
        finding_publishing_frequency: PublishingFrequency | str = PublishingFrequency.FIFTEEN_MINUTES,
        existing_detector_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        filters: FindingFilters | None = None,
        suppression_rules: Sequence[SuppressionRule] = (),
        subject_formatter: bool = False,
        encrypt_topic: bool = True,
        existing_kms_key_arn: str | None = None,
        maximum_event_age_seconds: int = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
        maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
        dead_letter_retention_seconds: int = DEFAULT_DEAD_LETTER_RETENTION_SECONDS,
        alarm_actions: Sequence[str] | None = None,
        event_pattern_size_limit: int = DEFAULT_EVENT_PATTERN_SIZE_LIMIT,
        chat_provider: AwsProvider | None = None,
        notifications_provider: AwsProvider | None = None,
        chat_topic_regions: Sequence[str] | None = None,
    ) -> None:
        """
        :param recipients: email addresses that get the readable mail at the construct's threshold and filters;
            each must confirm the subscription mail. The short form of one `EmailChannel`. Default: none
            (then `channels` must deliver somewhere).
        :param channels: more destinations, each with its own threshold and filters (default: the construct's):
            `EmailChannel`, `SlackChannel`, `TeamsChannel`, `SlackWebhookChannel`, `TeamsWebhookChannel`,
            `WebhookChannel`, `SqsChannel`, `UserNotificationsChannel` (see channels.py). Channels with the same
            settings share rules. Default: none.
        :param severity_threshold: lowest severity mailed, a band or a number from 1.0 to 10.0.
            Default: MEDIUM (4.0), as GuardDuty's console groups findings.
        :param name: name of the topic, prefix of the rule's name. Default: "guardduty-alerts".
        :param finding_publishing_frequency: how often updates of active findings are published.
            Default: FIFTEEN_MINUTES (AWS's own default is SIX_HOURS, too slow to alert on).
        :param existing_detector_id: adopt this region's existing detector instead of creating one (AWS
            allows one detector per account and region). Default: a new detector is created.
        :param tags: tags for every taggable resource created. Default: no tags.
        :param filters: finding types to include or exclude, sample handling, new findings only.
            Default: every finding type, samples mailed and marked, every occurrence.
        :param suppression_rules: GuardDuty filters with action ARCHIVE (known-benign findings are archived
            at the source and never sent to EventBridge). Default: none.
        :param subject_formatter: route findings through a small Lambda function that publishes them with a
            readable subject and unquoted text. Default: off, EventBridge publishes to the topic directly.
        :param encrypt_topic: encrypt the topic at rest with KMS. Default: True. False leaves the topic
            unencrypted (the dead-letter queue keeps SQS-managed encryption); findings are sensitive.
        :param existing_kms_key_arn: encrypt with this customer-managed key (ARN of the key or its alias, in
            the stack's region) instead of creating one; its key policy must let events.amazonaws.com use
            kms:GenerateDataKey* and kms:Decrypt. AWS-managed keys (alias/aws/sns) are refused: EventBridge
            cannot use them and nothing would arrive. Default: a new customer-managed key with rotation on
            and alias alias/<name> is created.
        :param maximum_event_age_seconds: how long EventBridge retries a failed delivery before dead-lettering
            it, 60 to 86400. Default: 86400 (24 hours, AWS's maximum).
        :param maximum_retry_attempts: retries of a failed delivery, 0 to 185. Default: 185 (AWS's maximum).
        :param dead_letter_retention_seconds: how long undelivered findings stay in the dead-letter queue,
            60 to 1209600. Default: 1209600 (14 days, SQS's maximum).
        :param alarm_actions: ARNs notified when a delivery fails or a finding is dead-lettered (an SNS topic
            of the on-call system, in the stack's region); not the alerts topic itself (that is the default).
            An empty list notifies no one: the alarms only change state in CloudWatch. Default: the
            construct's own mail topic, so its recipients hear of failed deliveries (most failures, a chat
            webhook's 400s, the formatter's errors, a channel's topic, are not failures of that topic); the
            created key and the topic policy then let CloudWatch publish. With `existing_kms_key_arn` that
            key's policy must let cloudwatch.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt. Without
            recipients (channels only) there is no such topic and no one is notified.
        :param event_pattern_size_limit: EventBridge's "Event pattern size" quota of the account and region,
            2048 to 4096 characters; a finding type filter whose rules' patterns exceed it is refused at synth
            (AWS would refuse it at apply). Default: 2048, AWS's default quota; raise it only after raising
            the quota.
        :param chat_provider: AWS provider in a region where the chat integration has its API (us-east-2,
            us-west-2, eu-west-1, ap-southeast-1), for Slack and Teams channels. Default: the stack's provider,
            which must then be in one of those regions.
        :param notifications_provider: AWS provider in us-east-1, where AWS User Notifications has its API,
            for a `UserNotificationsChannel`. Default: the stack's provider, which must then be in us-east-1.
        :param chat_topic_regions: where the Slack and Teams configurations are, for an account deployed as one
            stack per region. AWS allows one configuration per Slack channel in an account, and provider 5.100
            one Teams configuration per team, so one stack holds them. In that stack: every region of the
            account whose findings go to chat (this stack's region among them); each configuration subscribes
            to the raw topic of the same name in each, addressed by ARN, so apply the other regions' stacks
            first. In the account's other stacks: an empty list; they keep their rule and topic, and create no
            configuration, chat role or guardrail (and need no `chat_provider`). Default: the configurations
            are in this stack and subscribe to this stack's topics only (one stack in the account).
        """
        values = dict(locals())  # the keyword props, gathered into one typed object
        super().__init__(scope, id_)
        props = AlertsProps(**{prop.name: values[prop.name] for prop in dataclasses.fields(AlertsProps)})
        self._region = _stack_region(self)
        # Mails and chat messages link to this partition's console (a region's partition is in its name).
        self._partition = partition_of_region(self._region) if self._region else "aws"
        check_props(
            props, region=self._region, emulated=_stack_emulated(self)
        )  # every problem at once, before anything is built
        self._props, self._name = props, props.name
        self._tags: dict[str, str] | None = dict(sorted((props.tags or {}).items())) or None
        own_group = self._route_channels()

        self.detector, self.existing_detector, self.detector_id = add_detector(
            self,
            existing_detector_id=props.existing_detector_id,
            finding_publishing_frequency=props.finding_publishing_frequency,
            tags=self._tags,
        )
        self.suppression_filters: Mapping[str, GuarddutyFilter] = add_suppression_filters(
            self, detector_id=self.detector_id, rules=props.suppression_rules
        )
        self._delivery = self._build_delivery_base(own_mail=bool(own_group and own_group.addresses))

        own = self._build_mail_group(own_group, self.mail_rules) if own_group else MailGroupResources({})
        channel_groups = {
            group.key: self._build_mail_group(group, _channel_mail_rules(group, self._partition))
            for group in self.routing.mail_groups
            if group.key
        }

        raw_groups = self._build_raw_groups()
        self.chat_webhooks: ChatWebhooks | None = build_chat_webhooks(
            self,
            [chat for group in (own, *channel_groups.values()) for chat in group.chat_targets],
            name=self._name,
            region=self._region,
            tags=self._tags,
            delivery_settings=self._delivery.settings,
        )
        self.user_notifications: UserNotificationsResources | None = self._build_user_notifications()

        channel_rules = _channel_rules(channel_groups, raw_groups)
        self.rules: Mapping[str, CloudwatchEventRule] = MappingProxyType({**own.rules, **channel_rules})
        self.dead_letter_queue_policy, self.alarm_actions, self.alarms = self._build_guards(
            own, channel_rules, raw_groups
        )
        self._set_public_attributes(own, channel_groups, raw_groups)

    def _route_channels(self) -> MailGroup | None:
        """The threshold, filters and routing of the channels into groups (what every later step builds);
        returns the mail group with the construct's own settings, if any."""
        props = self._props
        self.threshold: float = parse_threshold(props.severity_threshold)
        self.filters: FindingFilters = props.filters or FindingFilters()
        self.event_pattern = finding_event_pattern(self.threshold)
        # None: the configurations subscribe to this stack's topics; empty: another stack holds them.
        self.chat_topic_regions: tuple[str, ...] | None = (
            None if props.chat_topic_regions is None else tuple(sorted(props.chat_topic_regions))
        )
        self.routing: Routing = route_channels(
            props.channels,
            recipients=props.recipients,
            threshold=self.threshold,
            filters=self.filters,
            formatter=props.subject_formatter,
        )
        own_group = next((group for group in self.routing.mail_groups if group.key == ""), None)
        # The rules as data (see notifications.py): what `preview` evaluates, and what is built below.
        self.mail_rules: tuple[MailRule, ...] = (
            tuple(
                mail_rules(self.threshold, self.filters, formatter=props.subject_formatter, partition=self._partition)
            )
            if own_group
            else ()
        )
        return own_group

    def _set_public_attributes(
        self,
        own: MailGroupResources,
        channel_groups: Mapping[str, MailGroupResources],
        raw_groups: Mapping[str, RawGroupResources],
    ) -> None:
        """The resources of the construct's own mail group, and every channel topic, as read-only attributes."""
        self.kms_key: KmsKey | None = self._delivery.kms_key
        self.kms_alias: KmsAlias | None = self._delivery.kms_alias
        self.topic_key_arn: str | None = self._delivery.key_arn
        self.dead_letter_queue: SqsQueue = self._delivery.dead_letter_queue
        # Who hears of failed deliveries: the given actions, else the construct's own mail (its recipients).
        self.alarms_notify_topic: bool = self._delivery.alarms_notify_topic
        self.topic: SnsTopic | None = own.topic
        self.topic_policy: SnsTopicPolicy | None = own.topic_policy
        self.subscriptions: Mapping[str, SnsTopicSubscription] = own.subscriptions
        self.formatter: SubjectFormatter | None = own.formatter
        self.formatter_key_policy: IamRolePolicy | None = own.formatter_key_policy
        self.targets: Mapping[str, CloudwatchEventTarget] = MappingProxyType(
            {
                **own.targets,
                **{key: target for group in channel_groups.values() for key, target in group.targets.items()},
                **{key: resources.target for key, resources in raw_groups.items()},
            }
        )
        self.raw_groups: Mapping[str, RawGroupResources] = MappingProxyType(dict(raw_groups))
        self.channel_topics: Mapping[str, SnsTopic] = MappingProxyType(
            {
                **{key: group.topic for key, group in channel_groups.items() if group.topic is not None},
                **{key: resources.topic for key, resources in raw_groups.items()},
            }
        )

    @property
    def sqs_policy_statements(self) -> Mapping[str, dict[str, Any]]:
        """For each sqs channel (by key), the statement its queue policy needs so SNS can deliver to it."""
        return MappingProxyType(
            {
                key: statement
                for group in self.raw_groups.values()
                for key, statement in group.sqs_policy_statements.items()
            }
        )

    def _build_delivery_base(self, *, own_mail: bool) -> DeliveryBase:
        """The topic key, the dead-letter queue and the retry settings every target shares."""
        props = self._props
        raw_topics_dead_letter = any(
            channel.topic_subscription for group in self.routing.raw_groups for channel in group.channels
        )
        alarms_notify_topic = props.alarm_actions is None and own_mail
        kms_key, kms_alias, key_arn = None, None, props.existing_kms_key_arn
        if props.encrypt_topic and props.existing_kms_key_arn is None:
            kms_key, kms_alias = create_topic_key(
                self,
                name=self._name,
                tags=self._tags or {},
                sns_dead_letters=raw_topics_dead_letter,
                cloudwatch_alarms=alarms_notify_topic,
            )
            key_arn = kms_key.arn
        dead_letter_queue = create_dead_letter_queue(
            self,
            name=self._name,
            kms_key_id=key_arn,
            retention_seconds=props.dead_letter_retention_seconds,
            tags=self._tags or {},
        )
        # Every target, whatever it points at, retries and then dead-letters the same way.
        settings = target_delivery_settings(
            dead_letter_queue=dead_letter_queue,
            maximum_event_age_seconds=props.maximum_event_age_seconds,
            maximum_retry_attempts=props.maximum_retry_attempts,
        )
        return DeliveryBase(
            kms_key, kms_alias, key_arn, dead_letter_queue, MappingProxyType(settings), alarms_notify_topic
        )

    def _build_mail_group(self, group: MailGroup, group_rules: Sequence[MailRule]) -> MailGroupResources:
        """One mail group, the construct's own (key "") or a channel's: its topic and subscriptions when it has
        addresses, its band rules, the topic policy, the mail targets, and the chat webhooks to build on the
        rules. The own group keeps its historical IDs ("topic", "topic-policy", "subscription-<address>");
        a channel group's carry its key ("topic-<key>", "<key>-subscription-<address>")."""
        own = group.key == ""
        suffix = "" if own else f"-{group.key}"
        topic, subscriptions = None, MappingProxyType({})
        if group.addresses:
            topic = SnsTopic(
                self,
                f"topic{suffix}",
                name=topic_name(self._name) if own else channel_topic_name(self._name, group.key),
                kms_master_key_id=self._delivery.key_arn,
                tags=self._tags,
            )
            subscriptions = self._subscribe(topic, group.addresses, prefix="" if own else f"{group.key}-")
        destination = f"mailed through SNS topic {self._name}{suffix}" if topic is not None else "to chat webhooks"
        rules = {mail_rule.key: self._rule(mail_rule, destination) for mail_rule in group_rules}
        chat_targets = tuple(
            ChatTarget(channel, mail_rule, rules[mail_rule.key], group.threshold)
            for mail_rule in group_rules
            for channel in group.chat
        )
        if topic is None:
            return MailGroupResources(MappingProxyType(rules), chat_targets=chat_targets)
        formatter, formatter_key_policy = (
            self._build_formatter(topic) if own and self._props.subject_formatter else (None, None)
        )
        policy = self._topic_policy(topic, list(rules.values()), suffix, formatter=formatter, own=own)
        targets = {
            mail_rule.key: self._formatter_target(mail_rule, rules[mail_rule.key], formatter)
            if formatter is not None
            else self._mail_target(mail_rule, rules[mail_rule.key], topic, policy)
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

    def _build_formatter(self, topic: SnsTopic) -> tuple[SubjectFormatter, IamRolePolicy | None]:
        """The subject formatter publishing to the construct's own topic, and its use of the topic key."""
        formatter = SubjectFormatter(
            self,
            "formatter",
            name=self._name,
            topic_arn=topic.arn,
            dead_letter_queue_arn=self._delivery.dead_letter_queue.arn,
            tags=dict(self._tags or {}),
            region=self._region,
        )
        key_policy = None
        if self._delivery.key_arn is not None:
            # Publishing to the encrypted topic, and dead-lettering into the queue encrypted with the same key,
            # need the key: without this every formatted mail is refused.
            key_policy = allow_role_to_use_key(self, formatter.role, self._delivery.key_arn)
        return formatter, key_policy

    def _topic_policy(
        self,
        topic: SnsTopic,
        rules: Sequence[CloudwatchEventRule],
        suffix: str,
        *,
        formatter: SubjectFormatter | None,
        own: bool,
    ) -> SnsTopicPolicy:
        """Who may publish to a mail topic: the group's rules (or the formatter's role), and for the
        construct's own topic CloudWatch for every alarm the construct may create."""
        notified = own and self._delivery.alarms_notify_topic
        policy = topic_policy(
            topic_arn=topic.arn,
            rule_arns=[rule.arn for rule in rules],
            owner_account=topic.owner,
            # Every alarm the construct may create: a name without an alarm grants nothing.
            alarm_names=(*delivery_alarm_names(self._name), channel_failures_alarm_name(self._name))
            if notified
            else (),
            # With the formatter EventBridge never publishes; only the function's role does.
            publisher_role_arn=formatter.role.arn if formatter is not None else None,
        )
        return SnsTopicPolicy(self, f"topic-policy{suffix}", arn=topic.arn, policy=json.dumps(policy, sort_keys=True))

    def _build_raw_groups(self) -> Mapping[str, RawGroupResources]:
        """Each raw group's rule, topic, target and channel deliveries; the chat role first when needed."""
        props = self._props
        chat_role = (
            build_chat_role(self, name=self._name, region=self._region, tags=self._tags)
            if raw_groups_need_chat_role(self.routing.raw_groups, props.chat_topic_regions)
            else None
        )
        return MappingProxyType(
            {
                group.key: add_raw_group(
                    self,
                    group,
                    name=self._name,
                    region=self._region,
                    key_arn=self._delivery.key_arn,
                    dead_letter_queue_arn=self._delivery.dead_letter_queue.arn,
                    delivery_settings=dict(self._delivery.settings),
                    tags=self._tags,
                    chat_provider=props.chat_provider,
                    chat_role=chat_role,
                    chat_topic_regions=props.chat_topic_regions,
                )
                for group in self.routing.raw_groups
            }
        )

    def _build_user_notifications(self) -> UserNotificationsResources | None:
        """The User Notifications channel's configuration, rule and contacts (in us-east-1), if any."""
        channel = self.routing.user_notifications
        if channel is None:
            return None
        own = channel.severity_threshold
        return add_user_notifications(
            self,
            channel,
            name=self._name,
            threshold=parse_threshold(own) if own is not None else self.threshold,
            filters=channel.filters or self.filters,
            regions=channel.regions or ((self._region,) if self._region else ()),
            provider=self._props.notifications_provider,
            tags=self._tags,
            # The hub in the stack's own region; us-east-1 (where User Notifications keeps every configuration
            # anyway) when the provider's region is not a plain string.
            hub_region=self._region or USER_NOTIFICATIONS_API_REGION,
        )

    def _build_guards(
        self,
        own: MailGroupResources,
        channel_rules: Mapping[str, CloudwatchEventRule],
        raw_groups: Mapping[str, RawGroupResources],
    ) -> tuple[SqsQueuePolicy, tuple[str, ...], Mapping[str, CloudwatchMetricAlarm]]:
        """The dead-letter queue's policy (only our rules and raw topics may send) and the delivery alarms;
        returns them with what the alarms notify (the own topic by default, the given ARNs, or nothing)."""
        queue = self._delivery.dead_letter_queue
        queue_policy = restrict_dead_letter_queue(
            self,
            queue,
            list(self.rules.values()),
            topics=[raw_groups[key].topic for key in sorted(raw_groups) if raw_groups[key].subscriptions],
        )
        notify: tuple[str, ...] = (
            (own.topic.arn,)
            if self._delivery.alarms_notify_topic and own.topic is not None
            else tuple(self._props.alarm_actions or ())
        )
        tags = dict(self._tags or {})
        alarms = dict(
            create_delivery_alarms(
                self,
                name=self._name,
                rules=dict(own.rules),
                dead_letter_queue=queue,
                actions=notify,
                tags=tags,
                formatter_function_name=own.formatter.function.function_name if own.formatter else None,
            )
        )
        if channel_rules:
            alarms["channel-failures"] = create_channel_alarm(
                self,
                name=self._name,
                rules=dict(channel_rules),
                # Every raw topic: SNS delivers to the chat integration's endpoint too, and fails there as well.
                topics={key: res.topic for key, res in raw_groups.items()},
                actions=notify,
                tags=tags,
            )
        return queue_policy, notify, MappingProxyType(alarms)

    def _rule(self, mail_rule: MailRule, destination: str) -> CloudwatchEventRule:
        # Construct IDs and rule names derive from the rule's key: a band name, "sample" or "findings", with
        # the group's key in front for a channel group ("high-up-critical").
        return CloudwatchEventRule(
            self,
            f"rule-{mail_rule.key}",
            name=rule_name(self._name, mail_rule.key),
            description=f"{mail_rule.description}, {destination}",
            event_pattern=mail_rule.pattern_json(),
            tags=self._tags,
        )

    def _subscribe(
        self, topic: SnsTopic, addresses: Sequence[str], *, prefix: str
    ) -> Mapping[str, SnsTopicSubscription]:
        return MappingProxyType(
            {
                address: SnsTopicSubscription(
                    self, prefix + subscription_id(address), topic_arn=topic.arn, protocol="email", endpoint=address
                )
                for address in sorted(addresses, key=str.lower)
            }
        )

    def _formatter_target(
        self, mail_rule: MailRule, rule: CloudwatchEventRule, formatter: SubjectFormatter
    ) -> CloudwatchEventTarget:
        """The target of the construct's one rule with the formatter: the function, which gets the whole
        event (no input transformer) and writes the mail itself."""
        permission = formatter.allow(mail_rule.key, rule)
        return CloudwatchEventTarget(
            self,
            f"target-{mail_rule.key}",
            rule=rule.name,
            arn=formatter.function.arn,
            target_id="subject-formatter",
            depends_on=[permission],
            **self._delivery.settings,
        )

    def _mail_target(
        self, mail_rule: MailRule, rule: CloudwatchEventRule, topic: SnsTopic, policy: SnsTopicPolicy
    ) -> CloudwatchEventTarget:
        """The mail target of a band or sample rule: `topic`, with the rule's mail template. Every mail group's
        targets are made here."""
        assert mail_rule.input_paths is not None and mail_rule.input_template is not None
        return CloudwatchEventTarget(
            self,
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
            **self._delivery.settings,
        )


def _channel_rules(
    channel_groups: Mapping[str, MailGroupResources], raw_groups: Mapping[str, RawGroupResources]
) -> Mapping[str, CloudwatchEventRule]:
    """The rules of the channels with settings of their own: mail groups' band rules, then raw groups' rules."""
    return MappingProxyType(
        {
            **{key: rule for group in channel_groups.values() for key, rule in group.rules.items()},
            **{key: resources.rule for key, resources in raw_groups.items()},
        }
    )


def _channel_mail_rules(group: MailGroup, partition: str) -> tuple[MailRule, ...]:
    """A channel mail group's band rules, keyed with the group's key in front ("high-up-critical")."""
    return tuple(
        dataclasses.replace(rule, key=f"{group.key}-{rule.key}")
        for rule in mail_rules(group.threshold, group.filters, partition=partition)
    )


def _stack_emulated(scope: Construct) -> bool:
    """Whether the stack's default AWS provider sends SNS calls to an endpoint on this machine (a local emulator
    such as moto, which delivers from here too)."""
    for child in TerraformStack.of(scope).node.children:
        if isinstance(child, AwsProvider) and child.alias is None and isinstance(child.endpoints, list):
            return any(is_loopback_url(getattr(endpoint, "sns", None)) for endpoint in child.endpoints)
    return False


def _stack_region(scope: Construct) -> str | None:
    """Region of the stack's default AWS provider (no alias), or None when it is not a plain string."""
    for child in TerraformStack.of(scope).node.children:
        if isinstance(child, AwsProvider) and child.alias is None:
            region = child.region
            return region if isinstance(region, str) and not region.startswith("${") else None
    return None

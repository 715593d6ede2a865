"""The GuardDutyAlerts construct: GuardDuty findings at or above a severity, mailed through SNS.

`GuardDutyAlerts.__init__` is the recipe, one step a line: check the props, the detector and its suppression
filters, the delivery base (key, dead-letter queue, retry settings), the mail groups, the other channels, the
guards (dead-letter queue policy, alarms), the public attributes. Each step is a builder that takes
`scope=self`, keeps the construct IDs it always had, and returns what it made for the next steps: detector.py,
delivery_base.py, mail_group.py, channel_delivery.py, guards.py.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from cdktf import TerraformStack

from constructs import Construct

from ._aws import (
    AwsProvider,
    CloudwatchEventRule,
    CloudwatchEventTarget,
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
from .delivery_base import build_delivery_base
from .delivery_settings import (
    DEFAULT_DEAD_LETTER_RETENTION_SECONDS,
    DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
)
from .detector import add_detector, add_suppression_filters
from .formatter import SubjectFormatter
from .guards import Guards, build_guards
from .mail_group import MailGroupResources, build_mail_groups
from .notifications import MailRule, mail_rules
from .patterns import DEFAULT_EVENT_PATTERN_SIZE_LIMIT, FindingFilters, finding_event_pattern
from .props import AlertsProps, check_props
from .severity import Severity, parse_threshold
from .suppression import SuppressionRule
from .validation import PublishingFrequency, is_loopback_url, partition_of_region

__all__ = ["GuardDutyAlerts"]


class GuardDutyAlerts(Construct):
    """Mails GuardDuty findings at or above a severity threshold to a list of addresses, and sends them to
    channels (chat, webhooks, queues, AWS User Notifications), each with its own threshold and filters.

    Creates, in the stack's account and region: a GuardDuty detector (unless an existing one is adopted), a
    standard SNS topic with one email subscription per recipient, a topic policy that lets EventBridge
    publish for this construct's rules only, and EventBridge rules on the default bus that forward
    `GuardDuty Finding` events with `detail.severity >= threshold` to the topic as a readable mail. Without
    recipients (channels only) there is no such topic: `topic`, `topic_policy` and `formatter` are None,
    `subscriptions` is empty, the alarms notify no one unless `alarm_actions` says whom, and the channels' own
    rules, topics and targets deliver (see channels.py and channel_delivery.py).

    There is one rule (and target) per severity band at or above the threshold, for real findings, plus one
    for sample findings: an input transformer cannot compute a band label, so each band's rule writes its
    own (4 rules at MEDIUM). With the subject formatter there is exactly one rule, whose function computes
    the label itself. `rules` and `targets` map each rule's key ("medium", "high", "critical", "sample"; with
    the formatter "findings"; a channel group's with its key in front, "high-up-critical") to it.

    Delivery is made trustworthy (see delivery.py): the topic is encrypted with a customer-managed KMS key
    EventBridge may use; every target retries for up to a day, then puts the event in an encrypted SQS
    dead-letter queue; CloudWatch alarms fire on failed invocations and on dead letters.

    Every created resource is a read-only attribute (mappings are `MappingProxyType`, sequences tuples); they
    double as the escape hatch for settings this construct does not expose.
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
        account_names: Mapping[str, str] | None = None,
    ) -> None:
        """Mail GuardDuty findings at or above `severity_threshold` to `recipients` and `channels`.

        Every prop is documented once, on `AlertsProps` (props.py): what it means, what is allowed, its default.
        Invalid props raise one `InvalidPropsError` listing every problem, before any resource is created.
        """
        values = dict(locals())  # the keyword props, gathered into one typed object
        super().__init__(scope, id_)
        props = AlertsProps(**{prop.name: values[prop.name] for prop in dataclasses.fields(AlertsProps)})
        self._region = _stack_region(self)
        check_props(props, region=self._region, emulated=_stack_emulated(self))  # every problem, before building
        self._props, self._name = props, props.name
        self._tags: dict[str, str] | None = dict(sorted((props.tags or {}).items())) or None
        self._route_channels()  # threshold, filters, routing into groups: what every step below builds

        self.detector, self.existing_detector, self.detector_id = add_detector(
            self,
            existing_detector_id=props.existing_detector_id,
            finding_publishing_frequency=props.finding_publishing_frequency,
            tags=self._tags,
        )
        self.suppression_filters: Mapping[str, GuarddutyFilter] = add_suppression_filters(
            self, detector_id=self.detector_id, rules=props.suppression_rules
        )

        self._delivery = build_delivery_base(self, props, self.routing, tags=self._tags)
        own, channel_groups = build_mail_groups(
            self, self.routing, self.mail_rules, props, self._delivery, region=self._region, tags=self._tags
        )

        raw_groups = self._build_raw_groups()
        self.chat_webhooks = self._build_chat_webhooks((own, *channel_groups.values()))
        self.user_notifications = self._build_user_notifications()

        channel_rules = _channel_rules(channel_groups, raw_groups)
        guards = build_guards(
            self, props, self._delivery, own=own, channel_rules=channel_rules, raw_groups=raw_groups, tags=self._tags
        )
        self._set_public_attributes(own, channel_groups, raw_groups, channel_rules, guards)

    def _route_channels(self) -> MailGroup | None:
        """The threshold, filters and routing of the channels into groups (what every later step builds);
        returns the mail group with the construct's own settings, if any."""
        props = self._props
        # Mails and chat messages link to this partition's console (a region's partition is in its name).
        self._partition = partition_of_region(self._region) if self._region else "aws"
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
        channel_rules: Mapping[str, CloudwatchEventRule],
        guards: Guards,
    ) -> None:
        """The resources of the construct's own mail group, every channel topic, rule and target, and the
        guards, as read-only attributes."""
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
        self.rules: Mapping[str, CloudwatchEventRule] = MappingProxyType({**own.rules, **channel_rules})
        self.targets: Mapping[str, CloudwatchEventTarget] = MappingProxyType(
            {
                **own.targets,
                **{key: target for group in channel_groups.values() for key, target in group.targets.items()},
                **{key: resources.target for key, resources in raw_groups.items()},
            }
        )
        self.dead_letter_queue_policy: SqsQueuePolicy = guards.dead_letter_queue_policy
        self.alarm_actions: tuple[str, ...] = guards.alarm_actions
        self.alarms: Mapping[str, CloudwatchMetricAlarm] = guards.alarms
        self.raw_groups: Mapping[str, RawGroupResources] = MappingProxyType(dict(raw_groups))
        self.channel_topics: Mapping[str, SnsTopic] = MappingProxyType(
            {
                **{key: group.topic for key, group in channel_groups.items() if group.topic is not None},
                **{key: resources.topic for key, resources in raw_groups.items()},
            }
        )

    @property
    def sqs_policy_statements(self) -> Mapping[str, dict[str, Any]]:
        """For each sqs channel (by key), the statement its queue policy needs so SNS can deliver to it: a copy
        on every read, to put in the queue's policy, so no caller changes what another reads."""
        return MappingProxyType(
            {
                key: copy.deepcopy(statement)
                for group in self.raw_groups.values()
                for key, statement in group.sqs_policy_statements.items()
            }
        )

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

    def _build_chat_webhooks(self, mail_groups: Sequence[MailGroupResources]) -> ChatWebhooks | None:
        """Every chat webhook riding on the mail groups' rules, built at once (connection, destinations, role)."""
        return build_chat_webhooks(
            self,
            [chat for group in mail_groups for chat in group.chat_targets],
            name=self._name,
            region=self._region,
            tags=self._tags,
            delivery_settings=self._delivery.settings,
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

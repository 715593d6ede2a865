"""The GuardDutyAlerts construct: GuardDuty findings at or above a severity, mailed through SNS."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
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
    DataAwsGuarddutyDetector,
    GuarddutyDetector,
    GuarddutyFilter,
    GuarddutyFilterFindingCriteria,
    GuarddutyFilterFindingCriteriaCriterion,
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
    CHAT_API_REGIONS,
    USER_NOTIFICATIONS_API_REGION,
    ChatWebhooks,
    RawGroupResources,
    UserNotificationsResources,
    add_raw_group,
    add_user_notifications,
)
from .channels import (
    Channel,
    EmailChannel,
    MailGroup,
    Routing,
    SlackChannel,
    SqsChannel,
    TeamsChannel,
    UserNotificationsChannel,
    WebhookChannel,
    channel_problems,
    route_channels,
    user_notifications_filter_problem,
)
from .checkov_skips import skip_check
from .delivery import (
    MAX_METRICS_PER_ALARM,
    allow_role_to_use_key,
    create_channel_alarm,
    create_dead_letter_queue,
    create_delivery_alarms,
    create_topic_key,
    restrict_dead_letter_queue,
    target_delivery_settings,
)
from .delivery_settings import (
    DEAD_LETTER_RETENTION,
    DEFAULT_DEAD_LETTER_RETENTION_SECONDS,
    DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    MAXIMUM_EVENT_AGE,
    MAXIMUM_RETRY_ATTEMPTS,
    alarm_action_problem,
    bounds_problem,
    kms_key_arn_problem,
)
from .errors import InvalidPropsError
from .formatter import PUBLISH_SID, SubjectFormatter, publish_statement
from .naming import channel_failures_alarm_name, channel_topic_name, delivery_alarm_names, rule_name, topic_name
from .notifications import MailRule, mail_rules, pattern_size_limit_problem, pattern_size_problem
from .patterns import DEFAULT_EVENT_PATTERN_SIZE_LIMIT, FindingFilters, finding_event_pattern
from .policies import topic_policy
from .regions import ALL_REGIONS
from .severity import Severity, parse_threshold, threshold_problem
from .suppression import SuppressionRule, suppression_rule_problems
from .validation import (
    PublishingFrequency,
    address_list_problems,
    detector_id_problem,
    frequency_problem,
    name_problem,
    tag_problems,
)

__all__ = ["GuardDutyAlerts", "subscription_id"]


def subscription_id(address: str) -> str:
    """Construct ID of the subscription for `address`: keyed by the address, so reordering changes nothing."""
    return f"subscription-{address.lower()}"


class GuardDutyAlerts(Construct):
    """Mails GuardDuty findings at or above a severity threshold to a list of addresses.

    Creates, in the stack's account and region: a GuardDuty detector (unless an existing one is adopted), a
    standard SNS topic with one email subscription per recipient, a topic policy that lets EventBridge
    publish for this construct's rules only, and EventBridge rules on the default bus that forward
    `GuardDuty Finding` events with `detail.severity >= threshold` to the topic as a readable mail.

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
        super().__init__(scope, id_)
        region = _stack_region(self)
        _validate(
            recipients=recipients,
            channels=channels,
            region=region,
            subject_formatter=subject_formatter,
            severity_threshold_for_channels=severity_threshold,
            filters=filters,
            chat_provider=chat_provider,
            notifications_provider=notifications_provider,
            chat_topic_regions=chat_topic_regions,
            severity_threshold=severity_threshold,
            name=name,
            finding_publishing_frequency=finding_publishing_frequency,
            existing_detector_id=existing_detector_id,
            tags=tags,
            delivery_problems=suppression_rule_problems(suppression_rules)
            + _delivery_problems(
                region=_stack_region(self),
                name=name,
                encrypt_topic=encrypt_topic,
                existing_kms_key_arn=existing_kms_key_arn,
                maximum_event_age_seconds=maximum_event_age_seconds,
                maximum_retry_attempts=maximum_retry_attempts,
                dead_letter_retention_seconds=dead_letter_retention_seconds,
                alarm_actions=alarm_actions,
            ),
        )
        # None: the configurations subscribe to this stack's topics; empty: another stack holds them.
        self.chat_topic_regions: tuple[str, ...] | None = (
            None if chat_topic_regions is None else tuple(sorted(chat_topic_regions))
        )
        self.threshold: float = parse_threshold(severity_threshold)
        self.filters: FindingFilters = filters or FindingFilters()
        # The rules as data (see notifications.py): what `preview` evaluates, and what is built below.
        self.mail_rules: tuple[MailRule, ...] = tuple(
            mail_rules(self.threshold, self.filters, formatter=subject_formatter)
        )
        self.routing: Routing = route_channels(
            channels,
            recipients=recipients,
            threshold=self.threshold,
            filters=self.filters,
            formatter=subject_formatter,
        )
        _check_pattern_sizes(self.mail_rules, event_pattern_size_limit)
        tag_map = dict(sorted((tags or {}).items()))
        frequency = PublishingFrequency(
            finding_publishing_frequency.value
            if isinstance(finding_publishing_frequency, PublishingFrequency)
            else finding_publishing_frequency
        )

        self.event_pattern = finding_event_pattern(self.threshold)

        self.detector: GuarddutyDetector | None = None
        self.existing_detector: DataAwsGuarddutyDetector | None = None
        if existing_detector_id is None:
            self.detector = GuarddutyDetector(
                self,
                "detector",
                enable=True,
                finding_publishing_frequency=frequency.value,
                tags=tag_map or None,
            )
            self.detector_id: str = self.detector.id
            skip_check(
                self.detector,
                "CKV2_AWS_3",
                "organization-wide auto-enable (aws_guardduty_organization_configuration) is set by the "
                "delegated administrator account; this construct enables the detector of its own account in "
                "every configured region",
            )
        else:
            # A data source, not an import: plan fails with a clear error if the id is wrong, and the
            # detector's own settings stay with whoever manages it.
            self.existing_detector = DataAwsGuarddutyDetector(self, "existing-detector", id=existing_detector_id)
            self.detector_id = self.existing_detector.id

        self.suppression_filters: Mapping[str, GuarddutyFilter] = add_suppression_filters(
            self, detector_id=self.detector_id, rules=suppression_rules
        )

        raw_topics_dead_letter = any(
            isinstance(channel, (WebhookChannel, SqsChannel))
            for group in self.routing.raw_groups
            for channel in group.channels
        )
        self.kms_key: KmsKey | None = None
        self.kms_alias: KmsAlias | None = None
        self.topic_key_arn: str | None = existing_kms_key_arn
        # Who hears of failed deliveries: the given actions, else the construct's own mail (its recipients).
        own_mail = any(group.key == "" and group.addresses for group in self.routing.mail_groups)
        self.alarms_notify_topic: bool = alarm_actions is None and own_mail
        if encrypt_topic and existing_kms_key_arn is None:
            self.kms_key, self.kms_alias = create_topic_key(
                self,
                name=name,
                tags=tag_map,
                sns_dead_letters=raw_topics_dead_letter,
                cloudwatch_alarms=self.alarms_notify_topic,
            )
            self.topic_key_arn = self.kms_key.arn

        self.dead_letter_queue: SqsQueue = create_dead_letter_queue(
            self,
            name=name,
            kms_key_id=self.topic_key_arn,
            retention_seconds=dead_letter_retention_seconds,
            tags=tag_map,
        )
        # Every target, whatever it points at, retries and then dead-letters the same way.
        self._delivery_settings: dict[str, Any] = target_delivery_settings(
            dead_letter_queue=self.dead_letter_queue,
            maximum_event_age_seconds=maximum_event_age_seconds,
            maximum_retry_attempts=maximum_retry_attempts,
        )
        self._tags = tag_map or None
        self._name = name
        self._webhooks: ChatWebhooks | None = (
            ChatWebhooks(self, name=name, region=region, tags=self._tags)
            if any(group.chat for group in self.routing.mail_groups)
            else None
        )

        # The construct's own mail (the group with its own settings): the IDs it has always had.
        default_group = next((g for g in self.routing.mail_groups if g.key == ""), None)
        self.topic: SnsTopic | None = None
        self.subscriptions: Mapping[str, SnsTopicSubscription] = MappingProxyType({})
        rules: dict[str, CloudwatchEventRule] = {}
        if default_group is None:
            self.mail_rules = ()
        if default_group is not None and default_group.addresses:
            self.topic = SnsTopic(
                self, "topic", name=topic_name(name), kms_master_key_id=self.topic_key_arn, tags=self._tags
            )
            self.subscriptions = self._subscribe(self.topic, default_group.addresses, prefix="")
        if default_group is not None:
            for mail_rule in self.mail_rules:
                rules[mail_rule.key] = self._rule(
                    mail_rule,
                    f"mailed through SNS topic {name}" if self.topic is not None else "to chat webhooks",
                )

        self.formatter: SubjectFormatter | None = None
        self.formatter_key_policy: IamRolePolicy | None = None
        if subject_formatter and self.topic is not None:
            self.formatter = SubjectFormatter(
                self,
                "formatter",
                name=name,
                topic_arn=self.topic.arn,
                dead_letter_queue_arn=self.dead_letter_queue.arn,
                tags=tag_map,
                region=region,
            )
            if self.topic_key_arn is not None:
                # Publishing to the encrypted topic, and dead-lettering into the queue encrypted with the same
                # key, need the key: without this every formatted mail is refused.
                self.formatter_key_policy = allow_role_to_use_key(self, self.formatter.role, self.topic_key_arn)

        self.topic_policy: SnsTopicPolicy | None = None
        if self.topic is not None:
            policy = topic_policy(
                topic_arn=self.topic.arn,
                rule_arns=[rule.arn for rule in rules.values()],
                owner_account=self.topic.owner,
                # Every alarm the construct may create: a name without an alarm grants nothing.
                alarm_names=(*delivery_alarm_names(name), channel_failures_alarm_name(name))
                if self.alarms_notify_topic
                else (),
            )
            if self.formatter is not None:
                # With the formatter EventBridge never publishes; only the function's role does.
                formatter_publishes = publish_statement(self.topic.arn, self.formatter.role.arn)
                policy["Statement"] = [
                    formatter_publishes if statement["Sid"] == PUBLISH_SID else statement
                    for statement in policy["Statement"]
                ]
            self.topic_policy = SnsTopicPolicy(
                self, "topic-policy", arn=self.topic.arn, policy=json.dumps(policy, sort_keys=True)
            )

        targets: dict[str, CloudwatchEventTarget] = {}
        if default_group is not None:
            for mail_rule in self.mail_rules:
                if self.topic is not None:
                    targets[mail_rule.key] = self._add_target(mail_rule, rules[mail_rule.key])
                self._add_chat_targets(default_group, mail_rule, rules[mail_rule.key])

        # Channels with settings of their own: their mail groups and raw groups.
        self.channel_topics: dict[str, SnsTopic] = {}
        channel_rules: dict[str, CloudwatchEventRule] = {}
        for group in self.routing.mail_groups:
            if group.key:
                channel_rules.update(self._add_mail_group(group, targets))
        chat_role: list[Any] = []
        raw_groups: dict[str, RawGroupResources] = {}
        for raw_group in self.routing.raw_groups:
            resources = add_raw_group(
                self,
                raw_group,
                name=name,
                region=region,
                key_arn=self.topic_key_arn,
                dead_letter_queue_arn=self.dead_letter_queue.arn,
                delivery_settings=self._delivery_settings,
                tags=self._tags,
                chat_provider=chat_provider,
                chat_role=chat_role,
                chat_topic_regions=chat_topic_regions,
            )
            raw_groups[raw_group.key] = resources
            channel_rules[raw_group.key] = resources.rule
            targets[raw_group.key] = resources.target
            self.channel_topics[raw_group.key] = resources.topic
        self.raw_groups: Mapping[str, RawGroupResources] = MappingProxyType(raw_groups)
        if self._webhooks is not None:
            self._webhooks.finish()
        self.chat_webhooks: ChatWebhooks | None = self._webhooks

        self.user_notifications: UserNotificationsResources | None = None
        if self.routing.user_notifications is not None:
            channel = self.routing.user_notifications
            own = channel.severity_threshold
            self.user_notifications = add_user_notifications(
                self,
                channel,
                name=name,
                threshold=parse_threshold(own) if own is not None else self.threshold,
                filters=channel.filters or self.filters,
                regions=channel.regions or ((region,) if region else ()),
                provider=notifications_provider,
                tags=self._tags,
                # The hub in the stack's own region; us-east-1 (where User Notifications keeps every
                # configuration anyway) when the provider's region is not a plain string.
                hub_region=region or USER_NOTIFICATIONS_API_REGION,
            )

        self.rules: Mapping[str, CloudwatchEventRule] = MappingProxyType({**rules, **channel_rules})
        self.targets: Mapping[str, CloudwatchEventTarget] = MappingProxyType(targets)
        self.dead_letter_queue_policy: SqsQueuePolicy = restrict_dead_letter_queue(
            self,
            self.dead_letter_queue,
            list(self.rules.values()),
            topics=[raw_groups[key].topic for key in sorted(raw_groups) if raw_groups[key].subscriptions],
        )
        notify: tuple[str, ...] = (
            (self.topic.arn,) if self.alarms_notify_topic and self.topic is not None else tuple(alarm_actions or ())
        )
        # What the alarms notify (the topic's ARN by default, the given ARNs, or nothing).
        self.alarm_actions: tuple[str, ...] = notify
        alarms = dict(
            create_delivery_alarms(
                self,
                name=name,
                rules=rules,
                dead_letter_queue=self.dead_letter_queue,
                actions=notify,
                tags=tag_map,
                formatter_function_name=self.formatter.function.function_name if self.formatter else None,
            )
        )
        if channel_rules:
            alarms["channel-failures"] = create_channel_alarm(
                self,
                name=name,
                rules=channel_rules,
                # Every raw topic: SNS delivers to the chat integration's endpoint too, and fails there as well.
                topics={key: res.topic for key, res in raw_groups.items()},
                actions=notify,
                tags=tag_map,
            )
        self.alarms: Mapping[str, CloudwatchMetricAlarm] = MappingProxyType(alarms)

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

    def _add_chat_targets(self, group: MailGroup, mail_rule: MailRule, rule: CloudwatchEventRule) -> None:
        for channel in group.chat:
            assert self._webhooks is not None
            self._webhooks.add_target(
                channel, mail_rule, rule, threshold=group.threshold, delivery_settings=self._delivery_settings
            )

    def _add_mail_group(
        self, group: MailGroup, targets: dict[str, CloudwatchEventTarget]
    ) -> dict[str, CloudwatchEventRule]:
        """A channel group with its own threshold or filters: its band rules, and its topic when it has
        addresses (the mail), or only the chat webhooks' targets."""
        group_rules = [
            dataclasses.replace(rule, key=f"{group.key}-{rule.key}")
            for rule in mail_rules(group.threshold, group.filters)
        ]
        topic = None
        if group.addresses:
            topic = SnsTopic(
                self,
                f"topic-{group.key}",
                name=channel_topic_name(self._name, group.key),
                kms_master_key_id=self.topic_key_arn,
                tags=self._tags,
            )
            self.channel_topics[group.key] = topic
            self._subscribe(topic, group.addresses, prefix=f"{group.key}-")
        destination = f"mailed through SNS topic {self._name}-{group.key}" if topic is not None else "to chat webhooks"
        rules = {rule.key: self._rule(rule, destination) for rule in group_rules}
        if topic is not None:
            policy = SnsTopicPolicy(
                self,
                f"topic-policy-{group.key}",
                arn=topic.arn,
                policy=json.dumps(
                    topic_policy(
                        topic_arn=topic.arn, rule_arns=[r.arn for r in rules.values()], owner_account=topic.owner
                    ),
                    sort_keys=True,
                ),
            )
            for mail_rule in group_rules:
                targets[mail_rule.key] = self._mail_target(mail_rule, rules[mail_rule.key], topic, policy)
        for mail_rule in group_rules:
            self._add_chat_targets(group, mail_rule, rules[mail_rule.key])
        return rules

    def _add_target(self, mail_rule: MailRule, rule: CloudwatchEventRule) -> CloudwatchEventTarget:
        """The target of one rule of the construct's own mail: the topic with the rule's mail template, or the
        formatter function."""
        assert self.topic is not None and self.topic_policy is not None
        if self.formatter is not None:
            permission = self.formatter.allow(mail_rule.key, rule)
            # No input transformer: the function gets the whole event and writes the mail itself.
            return CloudwatchEventTarget(
                self,
                f"target-{mail_rule.key}",
                rule=rule.name,
                arn=self.formatter.function.arn,
                target_id="subject-formatter",
                depends_on=[permission],
                **self._delivery_settings,
            )
        return self._mail_target(mail_rule, rule, self.topic, self.topic_policy)

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
            **self._delivery_settings,
        )


def add_suppression_filters(
    scope: Construct, *, detector_id: str, rules: Sequence[SuppressionRule]
) -> Mapping[str, GuarddutyFilter]:
    """GuardDuty ARCHIVE filters under `scope`, keyed (and given construct IDs) by rule name.

    The rank GuardDuty needs follows the list order. Shared by GuardDutyAlerts and the central inbox's
    forwarding stacks, which keep the filters at the same construct path.
    """
    return MappingProxyType(
        {
            rule.name: GuarddutyFilter(
                scope,
                f"suppression-{rule.name}",
                detector_id=detector_id,
                name=rule.name,
                description=rule.description or None,
                action="ARCHIVE",
                rank=rank,
                finding_criteria=GuarddutyFilterFindingCriteria(
                    criterion=[_criterion(block) for block in rule.criterion_list()]
                ),
                # Untagged: a filter costs nothing and is found through its detector; the local emulator
                # also drops filter tags, which would make every plan after apply show a change.
            )
            for rank, rule in enumerate(rules, start=1)
        }
    )


def _criterion(block: dict[str, object]) -> GuarddutyFilterFindingCriteriaCriterion:
    # The bindings call Terraform's `equals` argument `equal_to` (`equals` is taken in jsii's object model).
    arguments = {("equal_to" if key == "equals" else key): value for key, value in block.items()}
    return GuarddutyFilterFindingCriteriaCriterion(**arguments)  # type: ignore[arg-type]


def _check_pattern_sizes(rules: Sequence[MailRule], limit: object) -> None:
    """EventBridge refuses a pattern over its size quota at apply; say so at synth."""
    problem = pattern_size_limit_problem(limit)
    if problem is not None:
        raise InvalidPropsError([f"event_pattern_size_limit: {problem}"])
    assert isinstance(limit, int)
    problem = pattern_size_problem(rules, limit)
    if problem is not None:
        raise InvalidPropsError([f"filters: {problem}"])


def _validate(
    *,
    recipients: Sequence[str],
    channels: Sequence[Channel] = (),
    region: str | None = None,
    subject_formatter: bool = False,
    severity_threshold_for_channels: object = None,
    filters: FindingFilters | None = None,
    chat_provider: AwsProvider | None = None,
    notifications_provider: AwsProvider | None = None,
    chat_topic_regions: object = None,
    severity_threshold: object,
    name: object,
    finding_publishing_frequency: object,
    existing_detector_id: object,
    tags: Mapping[str, str] | None,
    delivery_problems: Sequence[str] = (),
) -> None:
    problems: list[str] = []

    def check(prop: str, problem: str | None) -> None:
        if problem:
            problems.append(f"{prop}: {problem}")

    if isinstance(recipients, str) or not isinstance(recipients, Sequence):
        problems.append(f"recipients: {recipients!r} is not a list; allowed: a list of email addresses")
    elif not recipients and not channels:
        problems.append(
            "recipients: the list is empty and no channels are given, so nothing would be delivered; "
            "allowed: at least one email address, or channels"
        )
    else:
        problems += [f"{where}: {problem}" for where, problem in address_list_problems("recipients", recipients)]
    check("severity_threshold", threshold_problem(severity_threshold))
    check("name", name_problem(name))
    check("finding_publishing_frequency", frequency_problem(finding_publishing_frequency))
    if existing_detector_id is not None:
        check("existing_detector_id", detector_id_problem(existing_detector_id))
    if tags is not None:
        if not isinstance(tags, Mapping):
            problems.append(f"tags: {tags!r} is not a mapping; allowed: a mapping of strings to strings")
        else:
            problems += [f"tags{problem}" for problem in tag_problems(tags)]
    problems += chat_topic_regions_problems(chat_topic_regions, region=region)
    channel_list = list(channels) if isinstance(channels, Sequence) and not isinstance(channels, str) else channels
    problems += channel_problems(
        channel_list,  # type: ignore[arg-type]
        region=region,
        recipients=recipients if isinstance(recipients, Sequence) and not isinstance(recipients, str) else (),
    )
    if not problems and channel_list:
        problems += _channel_setup_problems(
            channel_list,  # type: ignore[arg-type]
            region=region,
            subject_formatter=subject_formatter,
            threshold=severity_threshold_for_channels,
            filters=filters,
            chat_provider=chat_provider,
            notifications_provider=notifications_provider,
            holds_chat_configurations=chat_topic_regions is None or bool(chat_topic_regions),
        )
    problems += delivery_problems
    if problems:
        raise InvalidPropsError(problems)


def _channel_setup_problems(
    channels: Sequence[Channel],
    *,
    region: str | None,
    subject_formatter: bool,
    threshold: object,
    filters: FindingFilters | None,
    chat_provider: AwsProvider | None,
    notifications_provider: AwsProvider | None,
    holds_chat_configurations: bool = True,
) -> list[str]:
    """What the channels need of the rest of the construct: providers in the right regions, the formatter's
    one topic, and CloudWatch's limit on the channel alarm."""
    problems = []
    for index, channel in enumerate(channels):
        at = f"channels[{index}]"
        if (
            isinstance(channel, (SlackChannel, TeamsChannel))
            and holds_chat_configurations
            and chat_provider is None
            and (region not in CHAT_API_REGIONS)
        ):
            problems.append(
                f"{at}: the chat integration's API is in {', '.join(CHAT_API_REGIONS)}, this stack's provider in "
                f"{region or 'an unknown region'}; allowed: pass chat_provider, an AwsProvider (with an alias) in "
                "one of those regions"
            )
        if (
            isinstance(channel, UserNotificationsChannel)
            and notifications_provider is None
            and (region != USER_NOTIFICATIONS_API_REGION)
        ):
            problems.append(
                f"{at}: AWS User Notifications has its API in {USER_NOTIFICATIONS_API_REGION} only, this stack's "
                f"provider is in {region or 'an unknown region'}; allowed: pass notifications_provider, an "
                f"AwsProvider (with an alias) in {USER_NOTIFICATIONS_API_REGION}"
            )
        if isinstance(channel, UserNotificationsChannel):
            own = channel.filters is not None
            problem = user_notifications_filter_problem(channel.filters or filters or FindingFilters())
            if problem:
                where = f"{at}.filters.exclude_types" if own else f"filters.exclude_types (used by {at})"
                problems.append(f"{where}: {problem}")
        if (
            subject_formatter
            and isinstance(channel, EmailChannel)
            and (channel.severity_threshold is not None or channel.filters is not None)
        ):
            problems.append(
                f"{at}: an email channel with its own severity_threshold or filters while subject_formatter is on; "
                "allowed: email channels with the top-level settings (the formatter writes to one topic), or "
                "subject_formatter off"
            )
    routing = route_channels(
        channels,
        recipients=(),
        threshold=parse_threshold(threshold) if threshold is not None else Severity.MEDIUM.floor,  # type: ignore[arg-type]
        filters=filters or FindingFilters(),
        formatter=subject_formatter,
    )
    own = [group for group in routing.mail_groups if group.key] + list(routing.raw_groups)
    metrics = sum(
        len(mail_rules(group.threshold, group.filters)) for group in routing.mail_groups if group.key
    ) + 2 * len(routing.raw_groups)
    if metrics > MAX_METRICS_PER_ALARM:
        problems.append(
            f"channels: {len(own)} distinct threshold and filter sets need {metrics} metrics in the channel "
            f"alarm; allowed: at most {MAX_METRICS_PER_ALARM} (CloudWatch's limit per alarm): give more channels "
            "the same severity_threshold and filters"
        )
    return problems


def chat_topic_regions_problems(value: object, *, region: str | None) -> list[str]:
    """Problems of the `chat_topic_regions` prop: None, or a list of distinct commercial regions that holds
    this stack's own (its topic is the one created here), or empty."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [f"chat_topic_regions: {value!r} is not a list; allowed: a list of AWS region names, or None"]
    problems = []
    seen: set[object] = set()
    for index, item in enumerate(value):
        if not isinstance(item, str) or item not in ALL_REGIONS:
            problems.append(
                f"chat_topic_regions[{index}]: {item!r} is not an AWS commercial region; allowed: a region name "
                "such as eu-west-1"
            )
        elif item in seen:
            problems.append(f"chat_topic_regions[{index}]: {item!r} is listed twice; allowed: each region once")
        seen.add(item)
    if value and region is not None and region not in value and not problems:
        problems.append(
            f"chat_topic_regions: {list(value)!r} leaves out this stack's region {region}; allowed: the account's "
            "regions whose topics the chat configurations subscribe to, this stack's among them, or an empty "
            "list when another stack of the account holds the configurations"
        )
    return problems


def _stack_region(scope: Construct) -> str | None:
    """Region of the stack's default AWS provider (no alias), or None when it is not a plain string."""
    for child in TerraformStack.of(scope).node.children:
        if isinstance(child, AwsProvider) and child.alias is None:
            region = child.region
            return region if isinstance(region, str) and not region.startswith("${") else None
    return None


def _delivery_problems(
    *,
    region: str | None,
    name: object,
    encrypt_topic: object,
    existing_kms_key_arn: object,
    maximum_event_age_seconds: object,
    maximum_retry_attempts: object,
    dead_letter_retention_seconds: object,
    alarm_actions: object,
) -> list[str]:
    problems: list[str] = []

    def check(prop: str, problem: str | None) -> None:
        if problem:
            problems.append(f"{prop}: {problem}")

    if not isinstance(encrypt_topic, bool):
        problems.append(f"encrypt_topic: {encrypt_topic!r} is not allowed; allowed: True or False")
    if existing_kms_key_arn is not None:
        if encrypt_topic is False:
            problems.append(
                f"existing_kms_key_arn: {existing_kms_key_arn!r} is given but encrypt_topic is False; "
                "allowed: leave it out, or set encrypt_topic to True"
            )
        else:
            check("existing_kms_key_arn", kms_key_arn_problem(existing_kms_key_arn, region=region))
    check("maximum_event_age_seconds", bounds_problem(maximum_event_age_seconds, MAXIMUM_EVENT_AGE))
    check("maximum_retry_attempts", bounds_problem(maximum_retry_attempts, MAXIMUM_RETRY_ATTEMPTS))
    check("dead_letter_retention_seconds", bounds_problem(dead_letter_retention_seconds, DEAD_LETTER_RETENTION))
    if alarm_actions is None:
        pass
    elif isinstance(alarm_actions, str) or not isinstance(alarm_actions, Sequence):
        problems.append(
            f"alarm_actions: {alarm_actions!r} is not a list; allowed: a list of ARNs, an empty list (no one is "
            "notified) or None (the alerts topic)"
        )
    else:
        for index, action in enumerate(alarm_actions):
            check(f"alarm_actions[{index}]", alarm_action_problem(action, region=region, topic_name=str(name)))
    return problems

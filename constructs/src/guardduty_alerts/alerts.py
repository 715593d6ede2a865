"""The GuardDutyAlerts construct: GuardDuty findings at or above a severity, mailed through SNS."""

from __future__ import annotations

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
from .checkov_skips import skip_check
from .delivery import (
    allow_role_to_use_key,
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
from .naming import rule_name, topic_name
from .notifications import MailRule, mail_rules, pattern_size_limit_problem, pattern_size_problem
from .patterns import DEFAULT_EVENT_PATTERN_SIZE_LIMIT, FindingFilters, finding_event_pattern
from .policies import topic_policy
from .severity import Severity, parse_threshold, threshold_problem
from .suppression import SuppressionRule
from .validation import (
    PublishingFrequency,
    detector_id_problem,
    email_problem,
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
        recipients: Sequence[str],
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
        alarm_actions: Sequence[str] = (),
        event_pattern_size_limit: int = DEFAULT_EVENT_PATTERN_SIZE_LIMIT,
    ) -> None:
        """
        :param recipients: email addresses that get the alerts; each must confirm the subscription mail.
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
            of the on-call system, in the stack's region). Not the alerts topic itself: when that topic is
            what is broken, the alarm would be lost with the findings. Default: no action; the alarms still
            change state in CloudWatch.
        :param event_pattern_size_limit: EventBridge's "Event pattern size" quota of the account and region,
            2048 to 4096 characters; a finding type filter whose rules' patterns exceed it is refused at synth
            (AWS would refuse it at apply). Default: 2048, AWS's default quota; raise it only after raising
            the quota.
        """
        super().__init__(scope, id_)
        _validate(
            recipients=recipients,
            severity_threshold=severity_threshold,
            name=name,
            finding_publishing_frequency=finding_publishing_frequency,
            existing_detector_id=existing_detector_id,
            tags=tags,
            delivery_problems=_delivery_problems(
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
        self.threshold: float = parse_threshold(severity_threshold)
        self.filters: FindingFilters = filters or FindingFilters()
        # The rules as data (see notifications.py): what `preview` evaluates, and what is built below.
        self.mail_rules: tuple[MailRule, ...] = tuple(
            mail_rules(self.threshold, self.filters, formatter=subject_formatter)
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

        self.kms_key: KmsKey | None = None
        self.kms_alias: KmsAlias | None = None
        self.topic_key_arn: str | None = existing_kms_key_arn
        if encrypt_topic and existing_kms_key_arn is None:
            self.kms_key, self.kms_alias = create_topic_key(self, name=name, tags=tag_map)
            self.topic_key_arn = self.kms_key.arn

        self.topic = SnsTopic(
            self, "topic", name=topic_name(name), kms_master_key_id=self.topic_key_arn, tags=tag_map or None
        )
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

        self.subscriptions: Mapping[str, SnsTopicSubscription] = MappingProxyType(
            {
                address: SnsTopicSubscription(
                    self,
                    subscription_id(address),
                    topic_arn=self.topic.arn,
                    protocol="email",
                    endpoint=address,
                )
                for address in sorted(recipients, key=str.lower)
            }
        )

        # Construct IDs and rule names derive from the rule's key: a band name, "sample" or "findings".
        rules: dict[str, CloudwatchEventRule] = {}
        for mail_rule in self.mail_rules:
            rules[mail_rule.key] = CloudwatchEventRule(
                self,
                f"rule-{mail_rule.key}",
                name=rule_name(name, mail_rule.key),
                description=f"{mail_rule.description}, mailed through SNS topic {name}",
                event_pattern=mail_rule.pattern_json(),
                tags=tag_map or None,
            )
        self.rules: Mapping[str, CloudwatchEventRule] = MappingProxyType(rules)

        self.formatter: SubjectFormatter | None = None
        if subject_formatter:
            self.formatter = SubjectFormatter(
                self,
                "formatter",
                name=name,
                topic_arn=self.topic.arn,
                dead_letter_queue_arn=self.dead_letter_queue.arn,
                tags=tag_map,
            )
        self.formatter_key_policy: IamRolePolicy | None = None
        if self.formatter is not None and self.topic_key_arn is not None:
            # Publishing to the encrypted topic, and dead-lettering into the queue encrypted with the same key,
            # need the key: without this every formatted mail is refused.
            self.formatter_key_policy = allow_role_to_use_key(self, self.formatter.role, self.topic_key_arn)

        policy = topic_policy(
            topic_arn=self.topic.arn,
            rule_arns=[rule.arn for rule in rules.values()],
            owner_account=self.topic.owner,
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

        self.targets: Mapping[str, CloudwatchEventTarget] = MappingProxyType(
            {mail_rule.key: self._add_target(mail_rule, rules[mail_rule.key]) for mail_rule in self.mail_rules}
        )
        self.dead_letter_queue_policy: SqsQueuePolicy = restrict_dead_letter_queue(
            self, self.dead_letter_queue, list(rules.values())
        )
        self.alarms: Mapping[str, CloudwatchMetricAlarm] = create_delivery_alarms(
            self,
            name=name,
            rules=rules,
            dead_letter_queue=self.dead_letter_queue,
            actions=alarm_actions,
            tags=tag_map,
            formatter_function_name=self.formatter.function.function_name if self.formatter else None,
        )

    def _add_target(self, mail_rule: MailRule, rule: CloudwatchEventRule) -> CloudwatchEventTarget:
        """The target of one rule: the topic with the rule's mail template, or the formatter function. Every
        target is made here, in one place."""
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
        assert mail_rule.input_paths is not None and mail_rule.input_template is not None
        return CloudwatchEventTarget(
            self,
            f"target-{mail_rule.key}",
            rule=rule.name,
            arn=self.topic.arn,
            target_id="sns-topic",
            input_transformer=CloudwatchEventTargetInputTransformer(
                input_paths=mail_rule.input_paths,
                input_template=mail_rule.input_template,
            ),
            # Without the policy EventBridge's first deliveries are refused: create it before the target.
            depends_on=[self.topic_policy],
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
    elif not recipients:
        problems.append("recipients: the list is empty; allowed: at least one email address")
    else:
        seen: dict[str, int] = {}
        for index, address in enumerate(recipients):
            check(f"recipients[{index}]", email_problem(address))
            if isinstance(address, str):
                key = address.lower()
                if key in seen:
                    problems.append(
                        f"recipients[{index}]: {address!r} repeats recipients[{seen[key]}]; "
                        "allowed: each address once (case does not matter)"
                    )
                seen.setdefault(key, index)
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
    problems += delivery_problems
    if problems:
        raise InvalidPropsError(problems)


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
    if isinstance(alarm_actions, str) or not isinstance(alarm_actions, Sequence):
        problems.append(f"alarm_actions: {alarm_actions!r} is not a list; allowed: a list of ARNs")
    else:
        for index, action in enumerate(alarm_actions):
            check(f"alarm_actions[{index}]", alarm_action_problem(action, region=region, topic_name=str(name)))
    return problems

"""The GuardDutyAlerts construct: GuardDuty findings at or above a severity, mailed through SNS."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from constructs import Construct

from ._aws import (
    CloudwatchEventRule,
    CloudwatchEventTarget,
    DataAwsGuarddutyDetector,
    GuarddutyDetector,
    SnsTopic,
    SnsTopicPolicy,
    SnsTopicSubscription,
)
from .errors import InvalidPropsError
from .patterns import finding_event_pattern
from .policies import topic_policy
from .severity import Severity, parse_threshold, threshold_problem
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
    publish for this construct's rule only, and an EventBridge rule on the default bus that forwards
    `GuardDuty Finding` events with `detail.severity >= threshold` to the topic.

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
        """
        super().__init__(scope, id_)
        _validate(
            recipients=recipients,
            severity_threshold=severity_threshold,
            name=name,
            finding_publishing_frequency=finding_publishing_frequency,
            existing_detector_id=existing_detector_id,
            tags=tags,
        )
        tag_map = dict(sorted((tags or {}).items()))
        frequency = PublishingFrequency(
            finding_publishing_frequency.value
            if isinstance(finding_publishing_frequency, PublishingFrequency)
            else finding_publishing_frequency
        )

        self.threshold: float = parse_threshold(severity_threshold)
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
        else:
            # A data source, not an import: plan fails with a clear error if the id is wrong, and the
            # detector's own settings stay with whoever manages it.
            self.existing_detector = DataAwsGuarddutyDetector(self, "existing-detector", id=existing_detector_id)
            self.detector_id = self.existing_detector.id

        self.topic = SnsTopic(self, "topic", name=name, tags=tag_map or None)

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

        self.rule = CloudwatchEventRule(
            self,
            "rule",
            name=f"{name}-findings",
            description=f"GuardDuty findings with severity >= {self.threshold:g} to SNS topic {name}",
            event_pattern=json.dumps(self.event_pattern, sort_keys=True),
            tags=tag_map or None,
        )

        self.topic_policy = SnsTopicPolicy(
            self,
            "topic-policy",
            arn=self.topic.arn,
            policy=json.dumps(
                topic_policy(topic_arn=self.topic.arn, rule_arns=[self.rule.arn], owner_account=self.topic.owner),
                sort_keys=True,
            ),
        )

        self.target = CloudwatchEventTarget(
            self,
            "target",
            rule=self.rule.name,
            arn=self.topic.arn,
            target_id="sns-topic",
            # Without the policy EventBridge's first deliveries are refused: create it before the target.
            depends_on=[self.topic_policy],
        )


def _validate(
    *,
    recipients: Sequence[str],
    severity_threshold: object,
    name: object,
    finding_publishing_frequency: object,
    existing_detector_id: object,
    tags: Mapping[str, str] | None,
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
    if problems:
        raise InvalidPropsError(problems)

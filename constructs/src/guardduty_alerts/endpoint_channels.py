"""The endpoint kinds: an HTTPS webhook and an SQS queue, each subscribed by SNS to its raw group's topic (the
whole event). Each says how it is routed, checked, named, described and built (see channel_base.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from .accounts import AccountNames, account_in_words
from .channel_base import (
    SQS_QUEUE_NAME_PATTERN,
    ChannelBase,
    ChannelKind,
    ChannelList,
    Placement,
    matches_pattern,
    slug,
)
from .policies import sqs_channel_statement
from .validation import arn_problem, https_url_problem, parse_arn

if TYPE_CHECKING:
    from constructs import Construct

    from ._aws import SnsTopic, SnsTopicSubscription

__all__ = ["SqsChannel", "WebhookChannel"]

_SQS_ALLOWED = "arn:aws:sqs:<region>:<account>:<queue name>"
# A secret for an SNS https endpoint cannot come from SSM here (SNS keeps the endpoint as given).
_WEBHOOK_CREDENTIALS_ADVICE = (
    "an https:// URL without user:password@; have the receiver check SNS's message signature (SNS signs "
    "every message) or a key in the path, as PagerDuty's and Opsgenie's integration URLs do; for Slack or "
    "Teams use kind slack_webhook or teams_webhook, whose URL is read from url_ssm_parameter"
)


@dataclass(frozen=True, kw_only=True)
class WebhookChannel(ChannelBase):
    """An HTTPS endpoint subscribed to the raw-event topic (PagerDuty, Opsgenie, any HTTPS receiver).

    :param url: the https:// URL; plain http:// is refused (findings would cross the internet unencrypted).
    :param raw_delivery: send the event itself (True) or SNS's JSON envelope around it (False, what PagerDuty's
        and Opsgenie's AWS integrations parse). Default: False.
    :param auto_confirms: the endpoint confirms the subscription itself (PagerDuty, Opsgenie do); otherwise its
        owner must visit the SubscribeURL SNS posts once. Default: False.
    """

    kind: ClassVar[ChannelKind] = ChannelKind.WEBHOOK
    topic_subscription: ClassVar[bool] = True
    url: str
    raw_delivery: bool = False
    auto_confirms: bool = False

    def _problems(self, *, emulated: bool = False) -> list[tuple[str, str]]:
        # Only a webhook's URL depends on where the stack's calls go.
        problem = https_url_problem(self.url, credentials_advice=_WEBHOOK_CREDENTIALS_ADVICE, loopback_allowed=emulated)
        return [("url", problem)] if problem else []

    def _default_key(self) -> str:
        host = urlsplit(self.url).hostname or "endpoint"
        return f"webhook-{slug(host)}"[:40].rstrip("-")

    def destination(self) -> str:
        return f"webhook:{self.url}"

    def describe(self) -> str:
        parts = urlsplit(self.url)
        # The path may hold an integration key: only the host is printed.
        return f"HTTPS webhook at {parts.hostname}" + (" (auto-confirms)" if self.auto_confirms else "")

    def delivery_words(self) -> str | None:
        return "the whole event" + (" (raw)" if self.raw_delivery else " in SNS's JSON envelope")

    def once(self, *, region: str | None, raw_topic_arn: Callable[[], str]) -> str:
        if self.auto_confirms:
            return "nothing: the endpoint confirms the SNS subscription itself"
        return "the endpoint's owner visits the SubscribeURL that SNS posts to it once; nothing arrives before that"

    def sns_subscription(self) -> tuple[str, str]:
        return "https", self.url

    def subscription_label(self, redact: Callable[[str], str]) -> str:
        return f"HTTPS webhook at {redact(self.url)}"

    def confirm_advice(self, apply: str) -> str:
        return (
            "its owner must open the SubscribeURL SNS posted to it (receivers that confirm by themselves: "
            f"auto_confirms: true); {apply} sends a new one"
        )

    def subscribe(self, scope: Construct, topic: SnsTopic, redrive: str) -> SnsTopicSubscription:
        from ._aws import SnsTopicSubscription

        return SnsTopicSubscription(
            scope,
            f"subscription-{self.key()}",
            topic_arn=topic.arn,
            protocol="https",
            endpoint=self.url,
            raw_message_delivery=self.raw_delivery,
            endpoint_auto_confirms=self.auto_confirms,
            redrive_policy=redrive,
        )


@dataclass(frozen=True, kw_only=True)
class SqsChannel(ChannelBase):
    """An existing SQS queue, in the stack's region, subscribed to the raw-event topic (raw delivery: each
    message is the event). Its queue policy must let sns.amazonaws.com send from the topic (the statement is
    `GuardDutyAlerts.sqs_policy_statements`); a queue encrypted with a customer-managed key must also let
    sns.amazonaws.com use that key."""

    kind: ClassVar[ChannelKind] = ChannelKind.SQS
    placement: ClassVar[Placement] = Placement.OWN_REGION
    topic_subscription: ClassVar[bool] = True
    queue_arn: str

    def _problems(self, *, emulated: bool = False) -> list[tuple[str, str]]:
        # The stack's region is checked by `_placement_problems`, with advice of its own.
        problem = arn_problem(self.queue_arn, service="sqs", what="an SQS queue ARN", region=None, allowed=_SQS_ALLOWED)
        if problem:
            return [("queue_arn", problem)]
        arn = parse_arn(self.queue_arn)
        assert arn is not None
        if not matches_pattern(SQS_QUEUE_NAME_PATTERN, arn.resource):
            return [
                (
                    "queue_arn",
                    f"{self.queue_arn!r} names queue {arn.resource!r}; allowed: a queue name of 1 to 80 letters, "
                    "digits, hyphens and underscores (a FIFO queue's ending in .fifo)",
                )
            ]
        return []

    def _placement_problems(self, at: str, seen: ChannelList) -> list[str]:
        if not seen.region or self._problems() or self.queue_region == seen.region:
            return []
        return [
            f"{at}.queue_arn: the queue is in {self.queue_region}, this stack in {seen.region}; "
            "allowed: a queue in the stack's region (SNS subscribes queues of its own region "
            "only here; add an sqs channel to that region's stack instead)"
        ]

    @property
    def queue_region(self) -> str:
        return self.queue_arn.split(":")[3]

    @property
    def own_region(self) -> str | None:
        return self.queue_region

    def delivers_in(self, region: str, *, home_region: str | None) -> bool:
        return region == self.queue_region

    def _default_key(self) -> str:
        return f"sqs-{slug(self.queue_arn.rsplit(':', 1)[-1])}"[:40].rstrip("-")

    def destination(self) -> str:
        return f"sqs:{self.queue_arn}"

    def describe(self) -> str:
        return f"SQS queue {self.queue_arn.rsplit(':', 1)[-1]} (account {self.queue_arn.split(':')[4]})"

    def describe_named(self, names: AccountNames) -> str:
        # As the plan summary says it: "SQS queue q of account payments-prod (111111111111)" for an account the
        # config names ("(account payments-prod (111111111111))" reads badly), the bare id for any other.
        account_id = self.queue_arn.split(":")[4]
        if account_id not in names:
            return self.describe()
        return f"SQS queue {self.queue_arn.rsplit(':', 1)[-1]} of {account_in_words(account_id, names)}"

    def delivery_words(self) -> str | None:
        return "the whole event (raw)"

    def once(self, *, region: str | None, raw_topic_arn: Callable[[], str]) -> str:
        statement = sqs_channel_statement(queue_arn=self.queue_arn, topic_arn=raw_topic_arn())
        return (
            "add this statement to the queue policy (and let sns.amazonaws.com use the queue's KMS key, if any): "
            + (json.dumps(statement, sort_keys=True))
        )

    def queue_statement(self, topic_arn: str) -> dict[str, Any] | None:
        return sqs_channel_statement(queue_arn=self.queue_arn, topic_arn=topic_arn)

    def sns_subscription(self) -> tuple[str, str]:
        return "sqs", self.queue_arn

    def subscription_label(self, redact: Callable[[str], str]) -> str:
        return f"SQS queue {self.queue_arn}"

    def confirm_advice(self, apply: str) -> str:
        return (
            "a queue in another account must confirm the subscription: its owner calls sns:ConfirmSubscription "
            "with the token SNS put in the queue"
        )

    def subscribe(self, scope: Construct, topic: SnsTopic, redrive: str) -> SnsTopicSubscription:
        from ._aws import SnsTopicSubscription

        return SnsTopicSubscription(
            scope,
            f"subscription-{self.key()}",
            topic_arn=topic.arn,
            protocol="sqs",
            endpoint=self.queue_arn,
            raw_message_delivery=True,
            redrive_policy=redrive,
        )

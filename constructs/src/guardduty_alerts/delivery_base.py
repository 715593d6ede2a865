"""The delivery base builder: what every target of the construct shares, built before any rule.

The topic key (created, given or none), the dead-letter queue encrypted with it, and the retry and
dead-letter settings each target repeats. `build_delivery_base` takes `scope` (the `GuardDutyAlerts`
construct) and keeps the construct IDs of delivery.py's functions ("topic-key", "topic-key-alias",
"dead-letter-queue").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from constructs import Construct

from ._aws import KmsAlias, KmsKey, SqsQueue
from .channels import Routing
from .delivery import create_dead_letter_queue, create_topic_key, target_delivery_settings
from .props import AlertsProps

__all__ = ["DeliveryBase", "build_delivery_base"]


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


def build_delivery_base(
    scope: Construct, props: AlertsProps, routing: Routing, *, tags: Mapping[str, str] | None
) -> DeliveryBase:
    """The topic key, the dead-letter queue and the retry settings every target shares. `routing` says
    whether the construct has a mail topic of its own (the default receiver of its alarms, which the key's
    policy must then let CloudWatch use) and whether a raw topic dead-letters into the queue (SNS then needs
    the key too)."""
    raw_topics_dead_letter = any(
        channel.topic_subscription for group in routing.raw_groups for channel in group.channels
    )
    own_mail = any(group.key == "" and group.addresses for group in routing.mail_groups)
    alarms_notify_topic = props.alarm_actions is None and own_mail
    kms_key, kms_alias, key_arn = None, None, props.existing_kms_key_arn
    if props.encrypt_topic and props.existing_kms_key_arn is None:
        kms_key, kms_alias = create_topic_key(
            scope,
            name=props.name,
            tags=tags or {},
            sns_dead_letters=raw_topics_dead_letter,
            cloudwatch_alarms=alarms_notify_topic,
        )
        key_arn = kms_key.arn
    dead_letter_queue = create_dead_letter_queue(
        scope,
        name=props.name,
        kms_key_id=key_arn,
        retention_seconds=props.dead_letter_retention_seconds,
        tags=tags or {},
    )
    # Every target, whatever it points at, retries and then dead-letters the same way.
    settings = target_delivery_settings(
        dead_letter_queue=dead_letter_queue,
        maximum_event_age_seconds=props.maximum_event_age_seconds,
        maximum_retry_attempts=props.maximum_retry_attempts,
    )
    return DeliveryBase(kms_key, kms_alias, key_arn, dead_letter_queue, MappingProxyType(settings), alarms_notify_topic)

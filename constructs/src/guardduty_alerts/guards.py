"""The guards builder: the construct's last step, once every rule and topic exists.

The dead-letter queue's policy (only the construct's rules and raw topics may send to it) and the delivery
alarms (failed invocations and dead letters; one alarm over every channel rule). `build_guards` takes
`scope` (the `GuardDutyAlerts` construct) and keeps the construct IDs of delivery.py's functions
("dead-letter-queue-policy", "alarm-failed-invocations", "alarm-dead-letters", "alarm-channel-failures").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from constructs import Construct

from ._aws import CloudwatchEventRule, CloudwatchMetricAlarm, SqsQueuePolicy
from .channel_delivery import RawGroupResources
from .delivery import create_channel_alarm, create_delivery_alarms, restrict_dead_letter_queue
from .delivery_base import DeliveryBase
from .mail_group import MailGroupResources
from .props import AlertsProps

__all__ = ["Guards", "build_guards"]


@dataclass(frozen=True)
class Guards:
    """The dead-letter queue's policy, what the alarms notify, and the alarms by name."""

    dead_letter_queue_policy: SqsQueuePolicy
    alarm_actions: tuple[str, ...]
    alarms: Mapping[str, CloudwatchMetricAlarm]


def build_guards(
    scope: Construct,
    props: AlertsProps,
    delivery: DeliveryBase,
    *,
    own: MailGroupResources,
    channel_rules: Mapping[str, CloudwatchEventRule],
    raw_groups: Mapping[str, RawGroupResources],
    tags: Mapping[str, str] | None,
) -> Guards:
    """The dead-letter queue's policy over every rule (the own group's, then `channel_rules`) and every raw
    topic that dead-letters, and the delivery alarms; they notify the own topic by default, else the
    `alarm_actions` prop (empty: no one)."""
    name = props.name
    queue = delivery.dead_letter_queue
    queue_policy = restrict_dead_letter_queue(
        scope,
        queue,
        list({**own.rules, **channel_rules}.values()),
        topics=[raw_groups[key].topic for key in sorted(raw_groups) if raw_groups[key].subscriptions],
    )
    notify: tuple[str, ...] = (
        (own.topic.arn,) if delivery.alarms_notify_topic and own.topic is not None else tuple(props.alarm_actions or ())
    )
    alarm_tags = dict(tags or {})
    alarms = dict(
        create_delivery_alarms(
            scope,
            name=name,
            rules=dict(own.rules),
            dead_letter_queue=queue,
            actions=notify,
            tags=alarm_tags,
            formatter_function_name=own.formatter.function.function_name if own.formatter else None,
        )
    )
    if channel_rules:
        alarms["channel-failures"] = create_channel_alarm(
            scope,
            name=name,
            rules=dict(channel_rules),
            # Every raw topic: SNS delivers to the chat integration's endpoint too, and fails there as well.
            topics={key: res.topic for key, res in raw_groups.items()},
            actions=notify,
            tags=alarm_tags,
        )
    return Guards(queue_policy, notify, MappingProxyType(alarms))

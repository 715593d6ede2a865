"""Resources that make delivery trustworthy: the topic's KMS key, the targets' retries and dead-letter queue,
and the alarms that say when findings are not getting through.

Each function adds resources to the GuardDutyAlerts construct given as `scope`, and takes the rules/targets
as collections keyed by a stable name, so the construct can have one rule or several.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from constructs import Construct

from ._aws import (
    CloudwatchEventRule,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
    DataAwsCallerIdentity,
    DataAwsPartition,
    IamRole,
    IamRolePolicy,
    KmsAlias,
    KmsKey,
    SnsTopic,
    SqsQueue,
    SqsQueuePolicy,
)
from .naming import (
    channel_failures_alarm_name,
    dead_letter_alarm_name,
    dead_letter_queue_name,
    failed_invocations_alarm_name,
    key_alias_name,
    rule_name,
)
from .policies import dead_letter_queue_policy, key_policy, key_use_policy

__all__ = [
    "ALARM_PERIOD_SECONDS",
    "MAX_METRICS_PER_ALARM",
    "allow_role_to_use_key",
    "create_channel_alarm",
    "create_dead_letter_queue",
    "create_delivery_alarms",
    "create_topic_key",
    "restrict_dead_letter_queue",
    "target_delivery_settings",
]

# Five minutes: the shortest period at which EventBridge and SQS publish these metrics without gaps.
ALARM_PERIOD_SECONDS = 300


def create_topic_key(
    scope: Construct,
    *,
    name: str,
    tags: Mapping[str, str] | None,
    sns_dead_letters: bool = False,
    cloudwatch_alarms: bool = False,
) -> tuple[KmsKey, KmsAlias]:
    """A customer-managed key for the topic (and the dead-letter queue), rotated yearly, with alias/<name>."""
    partition = DataAwsPartition(scope, "partition")
    identity = DataAwsCallerIdentity(scope, "caller-identity")
    account_root = f"arn:{partition.partition}:iam::{identity.account_id}:root"
    key = KmsKey(
        scope,
        "topic-key",
        description=f"Encrypts the GuardDuty alert topic {name} and its dead-letter queue",
        enable_key_rotation=True,
        # The longest waiting period: a key deleted by mistake can be recovered for 30 days.
        deletion_window_in_days=30,
        policy=json.dumps(
            key_policy(
                account_root_arn=account_root, sns_dead_letters=sns_dead_letters, cloudwatch_alarms=cloudwatch_alarms
            ),
            sort_keys=True,
        ),
        tags=dict(tags) if tags else None,
    )
    alias = KmsAlias(scope, "topic-key-alias", name=key_alias_name(name), target_key_id=key.key_id)
    return key, alias


def create_dead_letter_queue(
    scope: Construct,
    *,
    name: str,
    kms_key_id: str | None,
    retention_seconds: int,
    tags: Mapping[str, str] | None,
) -> SqsQueue:
    """Where EventBridge puts an event it could not deliver after all retries, instead of dropping it.

    Encrypted with the topic's key when there is one (its policy already lets EventBridge use it), else with
    SQS-managed keys, which EventBridge can always write to.
    """
    encryption: dict[str, Any] = (
        {"kms_master_key_id": kms_key_id} if kms_key_id is not None else {"sqs_managed_sse_enabled": True}
    )
    return SqsQueue(
        scope,
        "dead-letter-queue",
        name=dead_letter_queue_name(name),
        message_retention_seconds=retention_seconds,
        tags=dict(tags) if tags else None,
        **encryption,
    )


def restrict_dead_letter_queue(
    scope: Construct, queue: SqsQueue, rules: Sequence[CloudwatchEventRule], topics: Sequence[SnsTopic] = ()
) -> SqsQueuePolicy:
    """Queue policy: only this construct's rules, and its channel topics' subscriptions, may dead-letter into
    the queue."""
    return SqsQueuePolicy(
        scope,
        "dead-letter-queue-policy",
        queue_url=queue.url,
        policy=json.dumps(
            dead_letter_queue_policy(
                queue_arn=queue.arn,
                rule_arns=[rule.arn for rule in rules],
                topic_arns=[topic.arn for topic in topics],
            ),
            sort_keys=True,
        ),
    )


def target_delivery_settings(
    *, dead_letter_queue: SqsQueue, maximum_event_age_seconds: int, maximum_retry_attempts: int
) -> dict[str, Any]:
    """Keyword arguments for every CloudwatchEventTarget of the construct: retries, then the dead-letter queue."""
    return {
        "retry_policy": CloudwatchEventTargetRetryPolicy(
            maximum_event_age_in_seconds=maximum_event_age_seconds,
            maximum_retry_attempts=maximum_retry_attempts,
        ),
        "dead_letter_config": CloudwatchEventTargetDeadLetterConfig(arn=dead_letter_queue.arn),
    }


# CloudWatch: an alarm on a metric math expression may read at most 10 metrics (a hard limit). The construct
# has at most 5 rules (LOW: four bands and samples) and the formatter one metric more.
MAX_METRICS_PER_ALARM = 10


def _summed_metrics(metrics: Sequence[tuple[str, str, dict[str, str]]]) -> list[CloudwatchMetricAlarmMetricQuery]:
    """Metric math queries that sum `metrics` (namespace, name, dimensions) over the alarm period."""
    if len(metrics) > MAX_METRICS_PER_ALARM:
        raise ValueError(f"{len(metrics)} metrics for one alarm; CloudWatch allows {MAX_METRICS_PER_ALARM}")
    queries = [
        CloudwatchMetricAlarmMetricQuery(
            id=f"m{index}",
            metric=CloudwatchMetricAlarmMetricQueryMetric(
                namespace=namespace,
                metric_name=metric_name,
                dimensions=dimensions,
                stat="Sum",
                period=ALARM_PERIOD_SECONDS,
            ),
        )
        for index, (namespace, metric_name, dimensions) in enumerate(metrics)
    ]
    queries.append(
        CloudwatchMetricAlarmMetricQuery(id="failed", expression="SUM(METRICS())", label="Failed", return_data=True)
    )
    return queries


def _watched(name: str, rules: Mapping[str, CloudwatchEventRule], *, formatter: bool) -> str:
    """What the failed-invocations alarm watches, in words: the rules' names as the EventBridge console lists
    them (where to look for FailedInvocations), and the formatter's dead-letter writes."""
    names = [rule_name(name, key) for key in sorted(rules)]
    watched = f"rules {', '.join(names)}" if len(names) > 1 else f"rule {next(iter(names), '')}"
    return watched + (" and the subject formatter's dead-letter writes" if formatter else "")


def create_delivery_alarms(
    scope: Construct,
    *,
    name: str,
    rules: Mapping[str, CloudwatchEventRule],
    dead_letter_queue: SqsQueue,
    actions: Sequence[str],
    tags: Mapping[str, str] | None,
    formatter_function_name: str | None = None,
) -> Mapping[str, CloudwatchMetricAlarm]:
    """Two alarms: failed deliveries (every rule's FailedInvocations, plus the formatter's DeadLetterErrors)
    and dead letters waiting in the queue.

    One alarm sums the metrics with metric math: whichever rule failed, the fix is the same (the key policy,
    the topic policy or the function), and the alarm description names every rule it watches. Missing data
    means nothing happened, which is not a failure. With no actions the alarms still change state, and no
    one is told.
    """
    common: dict[str, Any] = {
        "comparison_operator": "GreaterThanThreshold",
        "threshold": 0,
        "evaluation_periods": 1,
        "treat_missing_data": "notBreaching",
        "actions_enabled": True,
        "alarm_actions": list(actions) or None,
        "tags": dict(tags) if tags else None,
    }
    metrics = [("AWS/Events", "FailedInvocations", {"RuleName": rule.name}) for _, rule in sorted(rules.items())]
    if formatter_function_name is not None:
        # The function could not write a failed event to the dead-letter queue: that event is lost.
        metrics.append(("AWS/Lambda", "DeadLetterErrors", {"FunctionName": formatter_function_name}))
    queries = _summed_metrics(metrics)
    watched = _watched(name, rules, formatter=formatter_function_name is not None)
    alarms: dict[str, CloudwatchMetricAlarm] = {}
    if rules:
        # None when only channels with settings of their own exist: their alarm is create_channel_alarm's.
        alarms["failed-invocations"] = CloudwatchMetricAlarm(
            scope,
            "alarm-failed-invocations",
            alarm_name=failed_invocations_alarm_name(name),
            alarm_description=(
                f"GuardDuty findings could not be delivered by EventBridge ({watched}): check the KMS key "
                "policy, the topic policy or the function. EventBridge retries for up to the maximum event age, "
                f"then sends them to the SQS dead-letter queue {dead_letter_queue_name(name)}."
            ),
            metric_query=queries,
            **common,
        )
    alarms["dead-letters"] = CloudwatchMetricAlarm(
        scope,
        "alarm-dead-letters",
        alarm_name=dead_letter_alarm_name(name),
        alarm_description=(
            f"GuardDuty findings that were never delivered wait in the SQS dead-letter queue "
            f"{dead_letter_queue_name(name)}: read them (each says which rule and target failed, and why), fix "
            "the cause, then redrive or delete them."
        ),
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": dead_letter_queue.name},
        statistic="Maximum",
        period=ALARM_PERIOD_SECONDS,
        **common,
    )
    return MappingProxyType(alarms)


def allow_role_to_use_key(scope: Construct, role: IamRole, key_arn: str) -> IamRolePolicy:
    """Let `role` (the formatter function's) encrypt with the topic's key, which publishing to the topic needs.

    The key policy delegates to IAM (the account root has kms:*), so an identity policy is enough.
    """
    return IamRolePolicy(
        scope,
        "formatter-key-use",
        role=role.id,
        name="use-topic-key",
        policy=json.dumps(key_use_policy(key_arn), sort_keys=True),
    )


def create_channel_alarm(
    scope: Construct,
    *,
    name: str,
    rules: Mapping[str, CloudwatchEventRule],
    topics: Mapping[str, SnsTopic],
    actions: Sequence[str],
    tags: Mapping[str, str] | None,
) -> CloudwatchMetricAlarm:
    """One alarm for the channels' deliveries: their rules' FailedInvocations (EventBridge could not reach a
    topic or a chat webhook) plus their topics' NumberOfNotificationsFailed (SNS could not reach a webhook, a
    queue or the chat integration; it dead-letters what our webhook and queue subscriptions could not take).
    Apart from the mail alarm, so adding a channel leaves that alarm as it is."""
    metrics = [("AWS/Events", "FailedInvocations", {"RuleName": rule.name}) for _, rule in sorted(rules.items())]
    metrics += [
        ("AWS/SNS", "NumberOfNotificationsFailed", {"TopicName": topic.name}) for _, topic in sorted(topics.items())
    ]
    queries = _summed_metrics(metrics)
    watched = ", ".join(
        [*(f"rule {rule_name(name, key)}" for key in sorted(rules)), *(f"topic {name}-{key}" for key in sorted(topics))]
    )
    return CloudwatchMetricAlarm(
        scope,
        "alarm-channel-failures",
        alarm_name=channel_failures_alarm_name(name),
        alarm_description=(
            f"GuardDuty findings could not be delivered to a channel ({watched}): check the webhook URL, the "
            "queue policy or the chat configuration. Undelivered findings wait in the SQS dead-letter queue "
            f"{dead_letter_queue_name(name)}."
        ),
        metric_query=queries,
        comparison_operator="GreaterThanThreshold",
        threshold=0,
        evaluation_periods=1,
        treat_missing_data="notBreaching",
        actions_enabled=True,
        alarm_actions=list(actions) or None,
        tags=dict(tags) if tags else None,
    )

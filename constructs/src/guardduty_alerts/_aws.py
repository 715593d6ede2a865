"""The hashicorp/aws provider bindings this package uses, imported in one place."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_guardduty_detector import DataAwsGuarddutyDetector
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.guardduty_detector import GuarddutyDetector
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy

__all__ = [
    "AwsProvider",
    "AwsProviderEndpoints",
    "CloudwatchEventRule",
    "CloudwatchEventTarget",
    "CloudwatchEventTargetDeadLetterConfig",
    "CloudwatchEventTargetRetryPolicy",
    "CloudwatchMetricAlarm",
    "DataAwsCallerIdentity",
    "DataAwsGuarddutyDetector",
    "DataAwsPartition",
    "GuarddutyDetector",
    "KmsAlias",
    "KmsKey",
    "SnsTopic",
    "SnsTopicPolicy",
    "SnsTopicSubscription",
    "SqsQueue",
    "SqsQueuePolicy",
]

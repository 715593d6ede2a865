"""The hashicorp/aws provider bindings this package uses, imported in one place.

Add a class with one import line. Only the submodules named here are loaded when the caller has switched on
`fast_provider.install()` first (the app does, where it builds stacks); the call at the end lets the jsii
runtime find any other provider type on demand.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.chatbot_slack_channel_configuration import ChatbotSlackChannelConfiguration
from cdktf_cdktf_provider_aws.chatbot_teams_channel_configuration import ChatbotTeamsChannelConfiguration
from cdktf_cdktf_provider_aws.cloudwatch_event_api_destination import CloudwatchEventApiDestination
from cdktf_cdktf_provider_aws.cloudwatch_event_connection import (
    CloudwatchEventConnection,
    CloudwatchEventConnectionAuthParameters,
    CloudwatchEventConnectionAuthParametersApiKey,
)
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetInputTransformer,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_guardduty_detector import DataAwsGuarddutyDetector
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.guardduty_detector import GuarddutyDetector
from cdktf_cdktf_provider_aws.guardduty_detector_feature import (
    GuarddutyDetectorFeature,
    GuarddutyDetectorFeatureAdditionalConfiguration,
)
from cdktf_cdktf_provider_aws.guardduty_filter import (
    GuarddutyFilter,
    GuarddutyFilterFindingCriteria,
    GuarddutyFilterFindingCriteriaCriterion,
)
from cdktf_cdktf_provider_aws.guardduty_organization_admin_account import GuarddutyOrganizationAdminAccount
from cdktf_cdktf_provider_aws.guardduty_organization_configuration import GuarddutyOrganizationConfiguration
from cdktf_cdktf_provider_aws.guardduty_organization_configuration_feature import (
    GuarddutyOrganizationConfigurationFeature,
    GuarddutyOrganizationConfigurationFeatureAdditionalConfiguration,
)
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction, LambdaFunctionDeadLetterConfig
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.notifications_channel_association import NotificationsChannelAssociation
from cdktf_cdktf_provider_aws.notifications_event_rule import NotificationsEventRule
from cdktf_cdktf_provider_aws.notifications_notification_configuration import NotificationsNotificationConfiguration
from cdktf_cdktf_provider_aws.notifications_notification_hub import NotificationsNotificationHub
from cdktf_cdktf_provider_aws.notificationscontacts_email_contact import NotificationscontactsEmailContact
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderEndpoints
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy

from .fast_provider import link_type_modules

__all__ = [
    "AwsProvider",
    "AwsProviderAssumeRole",
    "AwsProviderEndpoints",
    "ChatbotSlackChannelConfiguration",
    "ChatbotTeamsChannelConfiguration",
    "CloudwatchEventApiDestination",
    "CloudwatchEventConnection",
    "CloudwatchEventConnectionAuthParameters",
    "CloudwatchEventConnectionAuthParametersApiKey",
    "CloudwatchEventRule",
    "CloudwatchEventTarget",
    "CloudwatchEventTargetDeadLetterConfig",
    "CloudwatchEventTargetInputTransformer",
    "CloudwatchEventTargetRetryPolicy",
    "CloudwatchLogGroup",
    "CloudwatchMetricAlarm",
    "CloudwatchMetricAlarmMetricQuery",
    "CloudwatchMetricAlarmMetricQueryMetric",
    "DataAwsCallerIdentity",
    "DataAwsGuarddutyDetector",
    "DataAwsPartition",
    "DataAwsSsmParameter",
    "GuarddutyDetector",
    "GuarddutyDetectorFeature",
    "GuarddutyDetectorFeatureAdditionalConfiguration",
    "GuarddutyFilter",
    "GuarddutyFilterFindingCriteria",
    "GuarddutyFilterFindingCriteriaCriterion",
    "GuarddutyOrganizationAdminAccount",
    "GuarddutyOrganizationConfiguration",
    "GuarddutyOrganizationConfigurationFeature",
    "GuarddutyOrganizationConfigurationFeatureAdditionalConfiguration",
    "IamPolicy",
    "IamRole",
    "IamRolePolicy",
    "KmsAlias",
    "KmsKey",
    "LambdaFunction",
    "LambdaFunctionDeadLetterConfig",
    "LambdaPermission",
    "NotificationsChannelAssociation",
    "NotificationsEventRule",
    "NotificationsNotificationConfiguration",
    "NotificationsNotificationHub",
    "NotificationscontactsEmailContact",
    "SnsTopic",
    "SnsTopicPolicy",
    "SnsTopicSubscription",
    "SqsQueue",
    "SqsQueuePolicy",
]

link_type_modules()

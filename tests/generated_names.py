"""Names of the resources a synthesized configuration creates: each type's name attribute, AWS's length limit
for it and the scope in which AWS requires it to be unique. Used by the "Generated names" tests of
test_aws_rules.py and by the property test (test_config_properties.py).

Each limit is AWS's own, from the API reference of the call that creates the resource:
- EventBridge rule, 64: PutRule, Name ("Maximum length of 64"),
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
- EventBridge API destination, 64: CreateApiDestination, Name,
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateApiDestination.html
- EventBridge connection, 64: CreateConnection, Name,
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateConnection.html
- IAM role, 64, and IAM managed policy, 128, unique in the account (IAM is global): CreateRole, RoleName;
  CreatePolicy, PolicyName; "IAM and AWS STS quotas" (IAM User Guide),
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
- SNS topic, 256: CreateTopic, Name ("up to 256 characters"),
  https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
- SQS queue, 80: CreateQueue, QueueName ("up to 80 characters"),
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
- Lambda function, 64 (the name alone): CreateFunction, FunctionName,
  https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
- CloudWatch Logs log group, 512: CreateLogGroup, logGroupName,
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
- CloudWatch alarm, 255: PutMetricAlarm, AlarmName,
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
- KMS alias, 256: CreateAlias, AliasName, https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
- GuardDuty filter, 64 (per detector, so per region): CreateFilter, Name,
  https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateFilter.html
- Chat channel configuration, 128, unique in the account (the chat service is global):
  AWS::Chatbot::SlackChannelConfiguration and ::MicrosoftTeamsChannelConfiguration, ConfigurationName
  (CloudFormation template reference), and CreateSlackChannelConfiguration in the AWS Chatbot API reference.
- User Notifications configuration, 64, unique in the account (a global service in us-east-1):
  CreateNotificationConfiguration, name,
  https://docs.aws.amazon.com/notifications/latest/APIReference/API_CreateNotificationConfiguration.html
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["NAMED_TYPES", "GeneratedName", "generated_names", "name_problems"]

REGION = "region"
ACCOUNT = "account"


@dataclass(frozen=True)
class NamedType:
    attribute: str
    limit: int
    scope: str  # REGION: unique in (account, region); ACCOUNT: unique in the account


NAMED_TYPES: Mapping[str, NamedType] = {
    "aws_cloudwatch_event_rule": NamedType("name", 64, REGION),
    "aws_cloudwatch_event_api_destination": NamedType("name", 64, REGION),
    "aws_cloudwatch_event_connection": NamedType("name", 64, REGION),
    "aws_iam_role": NamedType("name", 64, ACCOUNT),
    "aws_iam_policy": NamedType("name", 128, ACCOUNT),
    "aws_sns_topic": NamedType("name", 256, REGION),
    "aws_sqs_queue": NamedType("name", 80, REGION),
    "aws_lambda_function": NamedType("function_name", 64, REGION),
    "aws_cloudwatch_log_group": NamedType("name", 512, REGION),
    "aws_cloudwatch_metric_alarm": NamedType("alarm_name", 255, REGION),
    "aws_kms_alias": NamedType("name", 256, REGION),
    "aws_guardduty_filter": NamedType("name", 64, REGION),
    "aws_chatbot_slack_channel_configuration": NamedType("configuration_name", 128, ACCOUNT),
    "aws_chatbot_teams_channel_configuration": NamedType("configuration_name", 128, ACCOUNT),
    "aws_notifications_notification_configuration": NamedType("name", 64, ACCOUNT),
}


@dataclass(frozen=True)
class GeneratedName:
    stack: str
    kind: str
    address: str
    name: str
    account: str
    region: str


def _providers(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Provider reference ("aws", "aws.chat") -> its block."""
    return {
        f"aws.{block['alias']}" if block.get("alias") else "aws": block
        for block in document.get("provider", {}).get("aws", [])
    }


def generated_names(stacks: Mapping[str, Mapping[str, Any]]) -> Iterator[GeneratedName]:
    """Every generated name of the stacks (stack name -> synthesized JSON), with the account and region it
    lives in: the account the stack's provider is allowed ("" when the stack names none: the one account
    of a single-account configuration), the region of the provider the resource uses."""
    for stack, document in stacks.items():
        providers = _providers(document)
        for kind, named in NAMED_TYPES.items():
            for address, block in document.get("resource", {}).get(kind, {}).items():
                provider = providers.get(str(block.get("provider", "aws")).removeprefix("${").removesuffix("}"))
                provider = provider or providers.get("aws", {})
                accounts = provider.get("allowed_account_ids") or [""]
                yield GeneratedName(
                    stack=stack,
                    kind=kind,
                    address=address,
                    name=block[named.attribute],
                    account=accounts[0],
                    region=str(provider.get("region", "")),
                )


def name_problems(stacks: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Each name longer than its type's limit, and each name given twice in its scope, across all stacks."""
    problems = []
    seen: dict[tuple[str, str, str, str], GeneratedName] = {}
    for item in generated_names(stacks):
        named = NAMED_TYPES[item.kind]
        if not isinstance(item.name, str) or not 1 <= len(item.name) <= named.limit:
            problems.append(f"{item.stack} {item.kind}.{item.address}: {item.name!r} exceeds {named.limit}")
            continue
        scope = (item.kind, item.account, item.region if named.scope == REGION else "", item.name)
        first = seen.setdefault(scope, item)
        if first is not item:
            problems.append(
                f"{item.stack} {item.kind}.{item.address}: {item.name!r} is also {first.stack} {first.address}"
            )
    return problems

"""Resource policies, built as data and serialised once by the construct."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CHAT_NOTIFICATION_ACTIONS",
    "CLOUDWATCH_PRINCIPAL",
    "EVENTS_PRINCIPAL",
    "KEY_USE_ACTIONS",
    "PUBLISH_SID",
    "SNS_PRINCIPAL",
    "TOPIC_ADMIN_ACTIONS",
    "chat_notifications_policy",
    "dead_letter_queue_policy",
    "deny_insecure_transport_statement",
    "formatter_role_policy",
    "forwarding_role_policy",
    "forwarding_trust_policy",
    "invoke_api_destinations_policy",
    "key_policy",
    "key_use_policy",
    "publish_statement",
    "service_role_trust_policy",
    "sqs_channel_statement",
    "topic_policy",
]

EVENTS_PRINCIPAL = "events.amazonaws.com"
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
SNS_PRINCIPAL = "sns.amazonaws.com"
CHATBOT_PRINCIPAL = "chatbot.amazonaws.com"

# What SNS's default topic policy grants the owning account; kept because a topic policy replaces it.
TOPIC_ADMIN_ACTIONS = (
    "SNS:AddPermission",
    "SNS:DeleteTopic",
    "SNS:GetTopicAttributes",
    "SNS:ListSubscriptionsByTopic",
    "SNS:RemovePermission",
    "SNS:SetTopicAttributes",
    "SNS:Subscribe",
)


# The topic policy statement that lets EventBridge publish; `publish_statement` takes its place when the
# subject formatter publishes instead.
PUBLISH_SID = "AllowGuardDutyFindingRulesToPublish"


def publish_statement(topic_arn: str, role_arn: str) -> dict[str, Any]:
    """Topic policy statement: the formatter's role, and no other principal, may publish."""
    return {
        "Sid": "AllowSubjectFormatterToPublish",
        "Effect": "Allow",
        "Principal": {"AWS": role_arn},
        "Action": "sns:Publish",
        "Resource": topic_arn,
    }


def key_use_policy(key_arn: str) -> dict[str, Any]:
    """Identity policy letting a role (the formatter's) encrypt with the topic's key, which publishing to the
    encrypted topic and dead-lettering into the queue encrypted with it need. The key policy delegates to IAM
    (the account root has kms:*), so an identity policy is enough."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "EncryptForTheAlertTopic", "Effect": "Allow", "Action": list(KEY_USE_ACTIONS), "Resource": key_arn}
        ],
    }


def formatter_role_policy(*, topic_arn: str, dead_letter_queue_arn: str, log_group_arn: str) -> dict[str, Any]:
    """What the subject formatter's function may do: publish to the topic, dead-letter, write its own logs."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PublishToTheAlertTopic", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
            {
                "Sid": "DeadLetterFailedEvents",
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": dead_letter_queue_arn,
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            },
        ],
    }


def topic_policy(
    *,
    topic_arn: str,
    rule_arns: list[str],
    owner_account: str,
    alarm_names: Sequence[str] = (),
    publisher_role_arn: str | None = None,
) -> dict[str, Any]:
    """Topic policy: EventBridge may publish for our rule(s) only; the owning account administers; no plain HTTP.

    Without the `aws:SourceArn` condition any rule in any account could publish through the service
    principal; without the publish statement at all EventBridge is refused and no mail is ever sent.

    `alarm_names`: the construct's delivery alarms that notify this topic. CloudWatch publishes alarm
    notifications as the service principal cloudwatch.amazonaws.com, which this policy would otherwise not
    allow (the owner statement has no sns:Publish); the statement follows the SNS developer guide's
    "Amazon SNS access control case examples" (CloudWatch alarms publishing to a topic): aws:SourceArn of the
    alarms and aws:SourceAccount of the owner.

    `publisher_role_arn`: the subject formatter's role, which then publishes instead of EventBridge (and is
    the only publisher besides the alarms).
    """
    alarms: list[dict[str, Any]] = []
    if alarm_names:
        alarms.append(
            {
                "Sid": "AllowDeliveryAlarmsToPublish",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDWATCH_PRINCIPAL},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "ArnLike": {
                        "aws:SourceArn": [f"arn:*:cloudwatch:*:{owner_account}:alarm:{name}" for name in alarm_names]
                    },
                    "StringEquals": {"aws:SourceAccount": owner_account},
                },
            }
        )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": PUBLISH_SID,
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_PRINCIPAL},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
            }
            if publisher_role_arn is None
            else publish_statement(topic_arn, publisher_role_arn),
            {
                "Sid": "OwningAccountAdministersTopic",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": list(TOPIC_ADMIN_ACTIONS),
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": owner_account}},
            },
            *alarms,
            deny_insecure_transport_statement(resource=topic_arn, actions=["sns:Publish", *TOPIC_ADMIN_ACTIONS]),
        ],
    }


# What EventBridge needs of the key to publish to an encrypted topic or send to an encrypted queue: a data key
# to encrypt the message with, and Decrypt because SNS/SQS check the key on its behalf.
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")


def deny_insecure_transport_statement(*, resource: str, actions: list[str]) -> dict[str, Any]:
    """Deny `actions` on `resource` to any request made without TLS.

    `Bool` on `aws:SecureTransport` = "false" matches only requests that carry the key with value false, i.e.
    plain-HTTP calls. A request without the key (a service calling on its own behalf) does not match, so
    EventBridge's publishes and the owner's HTTPS calls (console, CLI, SDKs, Terraform) are never denied.
    """
    return {
        "Sid": "DenyRequestsWithoutTLS",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": list(actions),
        "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def key_policy(
    *, account_root_arn: str, sns_dead_letters: bool = False, cloudwatch_alarms: bool = False
) -> dict[str, Any]:
    """Key policy of the topic's customer-managed key.

    The account's root principal keeps `kms:*`: this is what lets IAM policies in the account grant use and
    administration of the key, so the account's administrators stay in control and the key can never become
    unmanageable. EventBridge may only encrypt with it. No `aws:SourceArn`/`aws:SourceAccount` condition here:
    AWS does not support them on the key policy for EventBridge delivery to an encrypted topic (deliveries fail
    with KMS access denied); the topic and queue policies restrict EventBridge to this construct's rules.

    `sns_dead_letters`: SNS moves what a webhook or queue subscription could not take into the dead-letter
    queue, which this key encrypts; the queue policy restricts SNS to this construct's topics.

    `cloudwatch_alarms`: the delivery alarms notify the topic this key encrypts. The SNS developer guide
    ("Encryption at rest", "Enable compatibility between event sources from AWS services and encrypted topics")
    lists CloudWatch among the services that need kms:Decrypt and kms:GenerateDataKey* on the key of an
    encrypted topic; without them the alarm's notification is dropped.
    """
    statements: list[dict[str, Any]] = []
    if cloudwatch_alarms:
        statements.append(
            {
                "Sid": "CloudWatchAlarmsNotifyEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDWATCH_PRINCIPAL},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
            }
        )
    if sns_dead_letters:
        statements.append(
            {
                "Sid": "SnsDeadLettersUndeliverableFindings",
                "Effect": "Allow",
                "Principal": {"Service": SNS_PRINCIPAL},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
            }
        )
    return {
        "Version": "2012-10-17",
        "Statement": [
            *statements,
            {
                "Sid": "AccountAdministratorsControlKey",
                "Effect": "Allow",
                "Principal": {"AWS": account_root_arn},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "EventBridgeEncryptsDeliveries",
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_PRINCIPAL},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
            },
        ],
    }


def dead_letter_queue_policy(*, queue_arn: str, rule_arns: list[str], topic_arns: Sequence[str] = ()) -> dict[str, Any]:
    """Queue policy of the dead-letter queue: EventBridge may send messages for our rule(s) only, and SNS for
    our channel topics' subscriptions (their redrive policy) only."""
    sns: list[dict[str, Any]] = []
    if topic_arns:
        sns.append(
            {
                "Sid": "AllowChannelTopicsToDeadLetter",
                "Effect": "Allow",
                "Principal": {"Service": SNS_PRINCIPAL},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(topic_arns)}},
            }
        )
    return {
        "Version": "2012-10-17",
        "Statement": [
            *sns,
            {
                "Sid": "AllowGuardDutyFindingRulesToDeadLetter",
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_PRINCIPAL},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
            },
            deny_insecure_transport_statement(resource=queue_arn, actions=["sqs:*"]),
        ],
    }


def service_role_trust_policy(service: str, *, source_arns: list[str] | None = None) -> dict[str, Any]:
    """Trust policy of a role that `service` assumes, limited to our resources when `source_arns` is given."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_arns:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": list(source_arns)}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def invoke_api_destinations_policy(destination_arns: list[str]) -> dict[str, Any]:
    """What EventBridge's role needs to call the chat webhooks: invoking these API destinations, nothing else.

    An API destination's ARN already ends with its generated id (api-destination/<name>/<uuid>); AWS's
    examples write `api-destination/<name>/*` for that id. Appending `/*` to the full ARN would match nothing
    and every call would be refused.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CallChatWebhooks",
                "Effect": "Allow",
                "Action": "events:InvokeApiDestination",
                "Resource": list(destination_arns),
            }
        ],
    }


# AWS's "notifications only" template for chat channels: enough to render notifications (and CloudWatch
# graphs in them), nothing that changes or reads data.
CHAT_NOTIFICATION_ACTIONS = ("cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*")


def chat_notifications_policy() -> dict[str, Any]:
    """Permissions of the chat channels' role, and their guardrail: without a guardrail the chat integration
    applies AdministratorAccess as the ceiling of what channel members may do."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NotificationsOnly",
                "Effect": "Allow",
                "Action": list(CHAT_NOTIFICATION_ACTIONS),
                "Resource": "*",
            }
        ],
    }


def sqs_channel_statement(*, queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """The statement an sqs channel's queue policy needs: SNS may send from our topic, and only from it."""
    return {
        "Sid": "GuardDutyAlertsTopicSends",
        "Effect": "Allow",
        "Principal": {"Service": SNS_PRINCIPAL},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }


def forwarding_trust_policy(*, rule_arn: str, account_id: str) -> dict[str, Any]:
    """EventBridge may assume the role only on behalf of our forwarding rule in our account (confused deputy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ForwardingRuleAssumesRole",
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnEquals": {"aws:SourceArn": rule_arn},
                },
            }
        ],
    }


def forwarding_role_policy(*, bus_arn: str) -> dict[str, Any]:
    """Put events on the home region's default bus, and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PutEventsOnHomeBus", "Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn}
        ],
    }

"""Resource policies, built as data and serialised once by the construct."""

from __future__ import annotations

from typing import Any

__all__ = [
    "EVENTS_PRINCIPAL",
    "KEY_USE_ACTIONS",
    "TOPIC_ADMIN_ACTIONS",
    "dead_letter_queue_policy",
    "deny_insecure_transport_statement",
    "key_policy",
    "topic_policy",
]

EVENTS_PRINCIPAL = "events.amazonaws.com"

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


def topic_policy(*, topic_arn: str, rule_arns: list[str], owner_account: str) -> dict[str, Any]:
    """Topic policy: EventBridge may publish for our rule(s) only; the owning account administers; no plain HTTP.

    Without the `aws:SourceArn` condition any rule in any account could publish through the service
    principal; without the publish statement at all EventBridge is refused and no mail is ever sent.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowGuardDutyFindingRulesToPublish",
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_PRINCIPAL},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
            },
            {
                "Sid": "OwningAccountAdministersTopic",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": list(TOPIC_ADMIN_ACTIONS),
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": owner_account}},
            },
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


def key_policy(*, account_root_arn: str) -> dict[str, Any]:
    """Key policy of the topic's customer-managed key.

    The account's root principal keeps `kms:*`: this is what lets IAM policies in the account grant use and
    administration of the key, so the account's administrators stay in control and the key can never become
    unmanageable. EventBridge may only encrypt with it. No `aws:SourceArn`/`aws:SourceAccount` condition here:
    AWS does not support them on the key policy for EventBridge delivery to an encrypted topic (deliveries fail
    with KMS access denied); the topic and queue policies restrict EventBridge to this construct's rules.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
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


def dead_letter_queue_policy(*, queue_arn: str, rule_arns: list[str]) -> dict[str, Any]:
    """Queue policy of the dead-letter queue: EventBridge may send messages for our rule(s) only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
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

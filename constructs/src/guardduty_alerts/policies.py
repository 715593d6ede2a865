"""Resource policies, built as data and serialised once by the construct."""

from __future__ import annotations

from typing import Any

__all__ = ["EVENTS_PRINCIPAL", "TOPIC_ADMIN_ACTIONS", "topic_policy"]

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
    """Topic policy: EventBridge may publish for our rule(s) only; the owning account administers.

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
        ],
    }

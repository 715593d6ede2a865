"""The Terraform resource types a finding travels through to reach a destination, as the plan names them."""

from __future__ import annotations

__all__ = [
    "API_DESTINATION",
    "CHANNEL_TYPES",
    "NOTIFICATION_ASSOCIATION",
    "NOTIFICATION_CONFIGURATION",
    "NOTIFICATION_CONTACT",
    "NOTIFICATION_RULE",
    "RULE",
    "SLACK",
    "SUBSCRIPTION",
    "TARGET",
    "TEAMS",
    "TOPIC",
]

TOPIC = "aws_sns_topic"
SUBSCRIPTION = "aws_sns_topic_subscription"
TARGET = "aws_cloudwatch_event_target"
RULE = "aws_cloudwatch_event_rule"
API_DESTINATION = "aws_cloudwatch_event_api_destination"
SLACK = "aws_chatbot_slack_channel_configuration"
TEAMS = "aws_chatbot_teams_channel_configuration"
NOTIFICATION_RULE = "aws_notifications_event_rule"
NOTIFICATION_CONFIGURATION = "aws_notifications_notification_configuration"
NOTIFICATION_ASSOCIATION = "aws_notifications_channel_association"
NOTIFICATION_CONTACT = "aws_notificationscontacts_email_contact"
# Resource types of the channels besides mail, for the list of alerting resources.
CHANNEL_TYPES = frozenset(
    {
        API_DESTINATION,
        "aws_cloudwatch_event_connection",
        SLACK,
        TEAMS,
        NOTIFICATION_RULE,
        NOTIFICATION_CONFIGURATION,
        NOTIFICATION_ASSOCIATION,
        NOTIFICATION_CONTACT,
    }
)

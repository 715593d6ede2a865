"""explain says, for each Slack and Teams channel (and only for them), that the chat integration drops events
above about 10 a second without any failure metric, and what to use for bursts (issue 18, point 6)."""

from __future__ import annotations

from guardduty_alerts.channels import SlackChannel, SlackWebhookChannel, TeamsChannel, WebhookChannel
from guardduty_alerts_review.alerting import StackAlerting
from guardduty_alerts_review.explain import explain
from helpers import destination_block

LIMIT = (
    "      limit    the chat integration accepts about 10 events a second and drops the rest, with no SNS failure "
    "metric and no alarm; for bursts add a user_notifications channel with aggregation SHORT or LONG (digests), "
    "or give this channel a higher severity_threshold"
)


def test_slack_and_teams_channels_say_the_chat_integration_drops_bursts() -> None:
    slack = SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE")
    teams = TeamsChannel(
        tenant_id="00000000-0000-0000-0000-000000000000",
        team_id="00000000-0000-0000-0000-000000000001",
        channel_id="19:abc@thread.tacv2",
    )
    webhook = WebhookChannel(url="https://events.pagerduty.com/integration/key/enqueue")
    slack_webhook = SlackWebhookChannel(url_ssm_parameter="/security/slack-webhook")
    stack = StackAlerting(
        name="prod",
        region="us-east-1",
        alerts_name="guardduty-alerts",
        severity_threshold="MEDIUM",
        recipients=("soc@example.com",),
        channels=(slack, teams, webhook, slack_webhook),
    )
    text = explain([stack])
    assert LIMIT in destination_block(text, slack.describe())
    assert LIMIT in destination_block(text, teams.describe())
    # Not the chat integration: webhooks are SNS or EventBridge deliveries, with their own retries and metrics.
    assert LIMIT not in destination_block(text, webhook.describe())
    assert LIMIT not in destination_block(text, slack_webhook.describe())
    assert text.count("      limit ") == 2

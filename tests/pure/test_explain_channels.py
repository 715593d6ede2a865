"""explain with channels: each destination, the severities it gets, its own filters and what to do once."""

from __future__ import annotations

import json

import pytest
from guardduty_alerts.channels import (
    EmailChannel,
    SlackChannel,
    SlackWebhookChannel,
    SqsChannel,
    TeamsWebhookChannel,
    UserNotificationsChannel,
    WebhookChannel,
)
from guardduty_alerts.patterns import FindingFilters, SampleHandling
from guardduty_alerts_review.alerting import StackAlerting
from guardduty_alerts_review.explain import explain, severities_text
from helpers import destination_block


def _stack(**props: object) -> StackAlerting:
    defaults: dict[str, object] = {
        "name": "prod",
        "region": "us-east-1",
        "alerts_name": "guardduty-alerts",
        "severity_threshold": "MEDIUM",
        "recipients": ("soc@example.com",),
    }
    return StackAlerting(**{**defaults, **props})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (4.0, "MEDIUM, HIGH and CRITICAL (4.0 and above)"),
        (7.0, "HIGH and CRITICAL (7.0 and above)"),
        (9.0, "CRITICAL (9.0 and above)"),
        (7.5, "part of HIGH and CRITICAL (7.5 and above)"),
        (1.0, "LOW, MEDIUM, HIGH and CRITICAL (1.0 and above)"),
    ],
)
def test_severities_are_said_as_bands_and_the_lowest_score(threshold: float, expected: str) -> None:
    assert severities_text(threshold) == expected


def test_a_stack_without_channels_prints_no_destinations() -> None:
    text = explain([_stack()])
    assert "destinations" not in text
    assert text.splitlines()[-2:] == [
        "  EventBridge rules      4 (medium, high, critical, sample)",
        "  alarms notify          the alert topic guardduty-alerts, mailed to soc@example.com",
    ]


def test_explain_says_who_the_delivery_alarms_notify() -> None:
    oncall = "arn:aws:sns:eu-west-1:123456789012:oncall"

    def said(**changes: object) -> str:
        (line,) = [row for row in explain([_stack(**changes)]).splitlines() if row.startswith("  alarms notify")]
        return line.split("alarms notify", 1)[1].strip()

    assert said(alarm_actions=(oncall,)) == oncall
    assert said(alarm_actions=()) == (
        "no one (delivery.alarm_actions is empty): the alarms only change state in CloudWatch"
    )
    assert said(recipients=(), channels=(SlackWebhookChannel(url_ssm_parameter="/chat/hook"),)) == (
        "NO ONE: this stack has no mail topic (no recipients) and no delivery.alarm_actions; set "
        "delivery.alarm_actions to an on-call SNS topic of the region"
    )


def test_a_slack_channel_with_its_own_threshold_gets_high_and_critical_after_authorizing_the_workspace() -> None:
    text = explain(
        [
            _stack(
                channels=(SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE", severity_threshold="HIGH"),)
            )
        ]
    )
    assert destination_block(text, "Slack channel C0123ABCDE (workspace T0123ABCDE)") == [
        "  - Slack channel C0123ABCDE (workspace T0123ABCDE)",
        "      gets     HIGH and CRITICAL (7.0 and above); Amazon Q renders the finding",
        "      samples  delivered too (the event says sample: true)",
        "      limit    the chat integration accepts about 10 events a second and drops the rest, with no SNS "
        "failure metric and no alarm; for bursts add a user_notifications channel with aggregation SHORT or LONG "
        "(digests), or give this channel a higher severity_threshold",
        "      once     authorize Slack workspace T0123ABCDE in the Amazon Q Developer in chat applications console "
        "(before the apply), then invite @Amazon Q into channel C0123ABCDE",
    ]
    assert (
        destination_block(text, "mail to soc@example.com")[1]
        == "      gets     MEDIUM, HIGH and CRITICAL (4.0 and above)"
    )
    assert "+ 1 for channels (raw-high)" in text


def test_a_channel_shows_filters_only_when_they_are_its_own() -> None:
    own = FindingFilters(exclude_types=("Recon:",), new_only=True, samples=SampleHandling.DROP)
    text = explain(
        [
            _stack(
                channels=(
                    WebhookChannel(url="https://events.pagerduty.com/integration/key/enqueue", filters=own),
                    SlackWebhookChannel(url_ssm_parameter="/security/slack-webhook", filters=FindingFilters()),
                )
            )
        ]
    )
    webhook = destination_block(text, "HTTPS webhook at events.pagerduty.com")
    assert "      filters  finding types all except Recon:*, first occurrence only" in webhook
    assert "      samples  dropped" in webhook
    assert "integration/key" not in text  # the path may hold the integration key
    chat = destination_block(text, "Slack incoming webhook (URL in SSM parameter /security/slack-webhook)")
    assert not any(line.startswith("      filters") for line in chat)
    assert (
        "      once     store the webhook URL in SSM SecureString parameter /security/slack-webhook before the plan"
        in chat
    )


def test_an_sqs_channel_gets_the_queue_policy_statement_naming_its_topic() -> None:
    queue = "arn:aws:sqs:us-east-1:123456789012:siem-intake"
    text = explain([_stack(account_id="123456789012", channels=(SqsChannel(queue_arn=queue, severity_threshold=7.5),))])
    once = destination_block(text, "SQS queue siem-intake (account 123456789012)")[-1]
    statement = json.loads(once.split(": ", 1)[1])
    assert statement["Resource"] == queue
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:guardduty-alerts-raw-7-5"}
    }


def test_email_teams_webhook_and_user_notifications_say_what_to_do_once() -> None:
    text = explain(
        [
            _stack(
                recipients=(),
                channels=(
                    EmailChannel(addresses=("ciso@example.com",), severity_threshold="CRITICAL"),
                    TeamsWebhookChannel(url_env_var="TF_VAR_teams_url"),
                    UserNotificationsChannel(addresses=("lead@example.com",), aggregation="SHORT"),
                ),
            )
        ]
    )
    assert "  - mail to soc@example.com" not in text
    assert destination_block(text, "mail to ciso@example.com")[1:] == [
        "      gets     CRITICAL (9.0 and above)",
        "      samples  mailed, marked SAMPLE",
        "      once     each address confirms the subscription mail AWS sends; nothing arrives before that",
    ]
    assert destination_block(text, "Teams incoming webhook (URL in environment variable TF_VAR_teams_url)")[-1] == (
        "      once     set TF_VAR_teams_url to the webhook URL wherever Terraform plans and applies"
    )
    assert destination_block(text, "AWS User Notifications mail to lead@example.com")[1] == (
        "      gets     MEDIUM, HIGH and CRITICAL (4.0 and above); AWS formats the mail; aggregation SHORT"
    )


# --- preview: which channels get an event ---------------------------------------------------------------------


def _finding(severity: float, finding_type: str = "Recon:EC2/Portscan", region: str = "us-east-1") -> dict:
    return {
        "version": "0",
        "source": "aws.guardduty",
        "detail-type": "GuardDuty Finding",
        "region": region,
        "account": "123456789012",
        "detail": {"severity": severity, "type": finding_type, "service": {"count": 1}},
    }


def test_preview_says_which_channels_get_a_finding_by_their_own_threshold_and_filters() -> None:
    from guardduty_alerts.channels import SlackChannel, WebhookChannel
    from guardduty_alerts.patterns import FindingFilters
    from guardduty_alerts_review.alerting import StackAlerting
    from guardduty_alerts_review.preview import channel_deliveries

    slack = SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE", severity_threshold="HIGH")
    hook = WebhookChannel(url="https://hooks.example.com/x", filters=FindingFilters(exclude_types=("Recon:",)))
    alerting = StackAlerting(
        name="s", region="us-east-1", alerts_name="a", severity_threshold="MEDIUM", channels=(slack, hook)
    )
    assert channel_deliveries(alerting, _finding(5.0)) == [
        ("Slack channel C0123ABCDE (workspace T0123ABCDE)", False),
        ("HTTPS webhook at hooks.example.com", False),
    ]
    assert channel_deliveries(alerting, _finding(7.0)) == [
        ("Slack channel C0123ABCDE (workspace T0123ABCDE)", True),
        ("HTTPS webhook at hooks.example.com", False),
    ]
    assert channel_deliveries(alerting, _finding(5.0, "Backdoor:EC2/C&CActivity.B")) == [
        ("Slack channel C0123ABCDE (workspace T0123ABCDE)", False),
        ("HTTPS webhook at hooks.example.com", True),
    ]


def test_preview_lists_channels_only_for_findings_on_the_stacks_bus(tmp_path) -> None:
    import json

    from guardduty_alerts.channels import WebhookChannel
    from guardduty_alerts_review.alerting import StackAlerting
    from guardduty_alerts_review.preview import run_preview

    alerting = StackAlerting(
        name="s",
        region="us-east-1",
        alerts_name="a",
        severity_threshold="MEDIUM",
        recipients=("soc@example.com",),
        channels=(WebhookChannel(url="https://hooks.example.com/x"),),
    )
    (tmp_path / "here.json").write_text(json.dumps(_finding(2.0)))
    (tmp_path / "there.json").write_text(json.dumps(_finding(8.0, region="eu-west-1")))
    lines = list(run_preview([alerting], tmp_path))
    assert lines == [
        "== stack s (threshold MEDIUM) ==",
        "-- here.json: not mailed: severity 2 (LOW) is below the threshold 4",
        "   not sent: HTTPS webhook at hooks.example.com",
        "-- there.json: not mailed: the event is from region eu-west-1, not us-east-1",
        "",
    ]


@pytest.mark.parametrize(
    ("create_hub", "hub_words"),
    [
        (True, "this stack registers the account's notification hub in us-east-1"),
        (False, "the account needs a notification hub (create_hub: true, or once in the console) before the apply"),
    ],
)
def test_explain_says_who_registers_the_notification_hub(create_hub: bool, hub_words: str) -> None:
    channel = UserNotificationsChannel(addresses=("soc-lead@example.com",), create_hub=create_hub)
    block = destination_block(
        explain([_stack(channels=(channel,))]), "AWS User Notifications mail to soc-lead@example.com"
    )
    assert block[-1] == (
        f"      once     {hub_words}; each address accepts the activation mail AWS User Notifications sends; "
        "nothing arrives before that"
    )

"""The GuardDutyAlerts channels as Terraform receives them: the synthesized JSON of each channel kind, the
lean routing (channels with equal settings share rules), IDs that do not depend on list positions, the
channel alarm, and the rejection of every bad channel setting with its exact message."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # aliased: pytest would try to collect a class named Test*
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from guardduty_alerts import (
    EmailChannel,
    GuardDutyAlerts,
    InvalidPropsError,
    SlackChannel,
    SlackWebhookChannel,
    SqsChannel,
    TeamsChannel,
    TeamsWebhookChannel,
    UserNotificationsChannel,
    WebhookChannel,
)
from guardduty_alerts.patterns import FindingFilters
from guardduty_alerts.policies import chat_notifications_policy
from helpers import RECIPIENTS

SLACK = SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE", severity_threshold="HIGH")
TEAMS = TeamsChannel(
    tenant_id="00000000-0000-0000-0000-000000000000",
    team_id="00000000-0000-0000-0000-000000000001",
    channel_id="19:abc@thread.tacv2",
)
SLACK_WEBHOOK = SlackWebhookChannel(url_ssm_parameter="/security/slack-webhook")
TEAMS_WEBHOOK = TeamsWebhookChannel(url_env_var="TF_VAR_teams_webhook_url", severity_threshold="HIGH")
WEBHOOK = WebhookChannel(url="https://events.pagerduty.com/integration/abc/enqueue", auto_confirms=True)
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:siem-intake"
SQS = SqsChannel(queue_arn=QUEUE_ARN)
CISO = EmailChannel(addresses=("ciso@example.com",), severity_threshold="CRITICAL")
USER_NOTIFICATIONS = UserNotificationsChannel(addresses=("soc-lead@example.com",), aggregation="SHORT")
EVERY_KIND = [CISO, SLACK, TEAMS, SLACK_WEBHOOK, TEAMS_WEBHOOK, WEBHOOK, SQS, USER_NOTIFICATIONS]
CONSTRUCT_RULES = {"rule-medium", "rule-high", "rule-critical", "rule-sample"}


def synth(
    channels: Sequence[object] = (),
    *,
    region: str = "us-east-1",
    chat: bool = True,
    notifications: bool = False,
    then: Callable[[TerraformStack, GuardDutyAlerts], object] | None = None,
    **props: Any,
) -> tuple[str, dict, GuardDutyAlerts]:
    """A stack with the AWS provider in `region`, a chat provider (alias chat, us-east-2) and optionally a User
    Notifications provider (alias notifications, us-east-1), and GuardDutyAlerts(channels, recipients, props);
    `then` adds what a user's stack would add around the construct."""
    app = CdktfTesting.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region=region)
    extra: dict[str, Any] = {}
    if chat:
        extra["chat_provider"] = AwsProvider(stack, "chat", region="us-east-2", alias="chat")
    if notifications:
        extra["notifications_provider"] = AwsProvider(stack, "notifications", region="us-east-1", alias="notifications")
    alerts = GuardDutyAlerts(
        stack, "alerts", **{"recipients": RECIPIENTS, "channels": list(channels), **extra, **props}
    )
    if then is not None:
        then(stack, alerts)
    text = CdktfTesting.synth(stack)
    return text, json.loads(text), alerts


def by_id(document: dict, kind: str, section: str = "resource") -> dict[str, dict]:
    """Resources (or data sources) of `kind` keyed by their construct ID inside the construct ("rule-medium")."""
    return {logical_id(key): value for key, value in document.get(section, {}).get(kind, {}).items()}


def logical_id(key: str) -> str:
    # Logical IDs are <construct path>_<hash>: alerts_rule-medium_73D3CAA8.
    return key.removeprefix("alerts_").rsplit("_", 1)[0]


def ref(document: dict, kind: str, construct_id: str, attribute: str, section: str = "resource") -> str:
    """The interpolation Terraform receives for `attribute` of the resource with that construct ID."""
    (key,) = [k for k in document[section][kind] if logical_id(k) == construct_id]
    prefix = "data." if section == "data" else ""
    return "${" + f"{prefix}{kind}.{key}.{attribute}" + "}"


def policy(resource: dict) -> dict:
    return json.loads(resource["policy"])


# --- every kind ---------------------------------------------------------------------------------------------


def test_email_channel_with_its_own_threshold_gets_its_own_topic_and_band_rules() -> None:
    _, doc, alerts = synth([CISO])
    rules = by_id(doc, "aws_cloudwatch_event_rule")
    assert set(rules) == CONSTRUCT_RULES | {"rule-critical-up-critical", "rule-critical-up-sample"}
    critical = json.loads(rules["rule-critical-up-critical"]["event_pattern"])
    assert critical["detail"]["severity"] == [{"numeric": [">=", 9]}]
    assert critical["detail"]["service"] == {"additionalInfo": {"sample": [False, {"exists": False}]}}
    sample = json.loads(rules["rule-critical-up-sample"]["event_pattern"])
    assert sample["detail"]["service"] == {"additionalInfo": {"sample": [True]}}

    topics = by_id(doc, "aws_sns_topic")
    assert topics["topic-critical-up"]["name"] == "guardduty-alerts-critical-up"
    assert topics["topic-critical-up"]["kms_master_key_id"] == ref(doc, "aws_kms_key", "topic-key", "arn")
    own_topic = ref(doc, "aws_sns_topic", "topic-critical-up", "arn")
    subscriptions = {
        s["endpoint"]: s for s in by_id(doc, "aws_sns_topic_subscription").values() if s["topic_arn"] == own_topic
    }
    assert {e: s["protocol"] for e, s in subscriptions.items()} == {"ciso@example.com": "email"}
    # The construct's own mail is untouched: its recipients on its topic.
    construct_topic = ref(doc, "aws_sns_topic", "topic", "arn")
    assert sorted(
        s["endpoint"] for s in by_id(doc, "aws_sns_topic_subscription").values() if s["topic_arn"] == construct_topic
    ) == sorted(RECIPIENTS)

    targets = by_id(doc, "aws_cloudwatch_event_target")
    for band in ("critical", "sample"):
        target = targets[f"target-critical-up-{band}"]
        assert target["arn"] == own_topic
        assert target["rule"] == ref(doc, "aws_cloudwatch_event_rule", f"rule-critical-up-{band}", "name")
        assert "<title>" in target["input_transformer"]["input_template"]
        assert target["dead_letter_config"]["arn"] == ref(doc, "aws_sqs_queue", "dead-letter-queue", "arn")
    (publish,) = [
        s
        for s in policy(by_id(doc, "aws_sns_topic_policy")["topic-policy-critical-up"])["Statement"]
        if s["Action"] == "sns:Publish" and s["Effect"] == "Allow"
    ]
    assert publish["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        ref(doc, "aws_cloudwatch_event_rule", f"rule-critical-up-{band}", "arn") for band in ("critical", "sample")
    ]
    # The attribute hands out the very topic synthesized above (a lookup alone would pass on any stored value).
    assert alerts.channel_topics["critical-up"].node.id == "topic-critical-up"


def test_slack_and_teams_channels_are_chat_configurations_on_the_raw_topic_with_a_notifications_only_guardrail() -> (
    None
):
    _, doc, _ = synth([SLACK, TEAMS])
    guardrail = by_id(doc, "aws_iam_policy")["chat-guardrail"]
    assert policy(guardrail) == chat_notifications_policy()
    assert {action for s in policy(guardrail)["Statement"] for action in s["Action"]} == {
        "cloudwatch:Describe*",
        "cloudwatch:Get*",
        "cloudwatch:List*",
    }
    role = by_id(doc, "aws_iam_role")["chat-role"]
    assert json.loads(role["assume_role_policy"])["Statement"][0]["Principal"] == {"Service": "chatbot.amazonaws.com"}

    slack = by_id(doc, "aws_chatbot_slack_channel_configuration")["chat-slack-c0123abcde"]
    teams = by_id(doc, "aws_chatbot_teams_channel_configuration")["chat-teams-abc"]
    assert (slack["slack_team_id"], slack["slack_channel_id"]) == ("T0123ABCDE", "C0123ABCDE")
    assert (teams["tenant_id"], teams["team_id"], teams["channel_id"]) == (
        TEAMS.tenant_id,
        TEAMS.team_id,
        TEAMS.channel_id,
    )
    # Slack asks for HIGH, Teams has the construct's MEDIUM: one raw topic each.
    for configuration, group in ((slack, "raw-high"), (teams, "raw-medium")):
        assert configuration["provider"] == "aws.chat"
        assert configuration["guardrail_policy_arns"] == [ref(doc, "aws_iam_policy", "chat-guardrail", "arn")]
        assert configuration["iam_role_arn"] == ref(doc, "aws_iam_role", "chat-role", "arn")
        assert configuration["sns_topic_arns"] == [ref(doc, "aws_sns_topic", f"topic-{group}", "arn")]
        target = by_id(doc, "aws_cloudwatch_event_target")[f"target-{group}"]
        assert target["arn"] == ref(doc, "aws_sns_topic", f"topic-{group}", "arn")
        assert "input_transformer" not in target, "the chat integration renders the whole event"
    raw_high = json.loads(by_id(doc, "aws_cloudwatch_event_rule")["rule-raw-high"]["event_pattern"])
    assert raw_high["detail"] == {"severity": [{"numeric": [">=", 7]}]}


SAMPLE_VALUES = {
    "severity": "7.5",
    "title": "Unusual API call from a Tor exit node",
    "type": "Recon:EC2/Portscan",
    "account": "123456789012",
    "region": "eu-west-1",
    "findingId": "a1b2c3d4e5f6",
}


def filled(template: str, paths: dict[str, str]) -> Any:
    """The message EventBridge sends, placeholders filled with sample values (text inside JSON strings)."""
    assert set(paths) <= set(SAMPLE_VALUES), paths
    for name in paths:
        template = template.replace(f"<{name}>", SAMPLE_VALUES[name])
    assert not re.search(r"<[A-Za-z]+>", template), template
    return json.loads(template)


def message_text(kind: str, message: dict) -> str:
    if kind == "slack":
        return message["text"]
    (attachment,) = message["attachments"]
    content = attachment["content"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return "\n".join([block["text"] for block in content["body"]] + [content["actions"][0]["url"]])


def test_slack_webhook_from_ssm_is_an_api_destination_targeted_from_each_band_rule() -> None:
    _, doc, alerts = synth([SLACK_WEBHOOK], chat=False)
    key = "slack-webhook-security-slack-webhook"
    (parameter,) = by_id(doc, "aws_ssm_parameter", "data").values()
    assert parameter == {"name": "/security/slack-webhook", "with_decryption": True}
    destination = by_id(doc, "aws_cloudwatch_event_api_destination")[f"api-destination-{key}"]
    assert destination["invocation_endpoint"] == ref(doc, "aws_ssm_parameter", f"{key}-url", "value", "data")
    assert destination["http_method"] == "POST"
    assert destination["connection_arn"] == ref(doc, "aws_cloudwatch_event_connection", "webhook-connection", "arn")
    connection = by_id(doc, "aws_cloudwatch_event_connection")["webhook-connection"]
    assert connection["authorization_type"] == "API_KEY"

    role = by_id(doc, "aws_iam_role")["webhooks-role"]
    assert json.loads(role["assume_role_policy"])["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}}
    ]
    role_policy = by_id(doc, "aws_iam_role_policy")["webhooks-role-policy"]
    assert role_policy["role"] == ref(doc, "aws_iam_role", "webhooks-role", "id")
    assert policy(role_policy)["Statement"] == [
        {
            "Sid": "CallChatWebhooks",
            "Effect": "Allow",
            "Action": "events:InvokeApiDestination",
            "Resource": [ref(doc, "aws_cloudwatch_event_api_destination", f"api-destination-{key}", "arn")],
        }
    ]

    # No rule of its own: it rides on the construct's band rules, which write the band label.
    assert set(by_id(doc, "aws_cloudwatch_event_rule")) == CONSTRUCT_RULES
    targets = by_id(doc, "aws_cloudwatch_event_target")
    for band, label in (("medium", "MEDIUM"), ("high", "HIGH"), ("critical", "CRITICAL"), ("sample", "SAMPLE")):
        target = targets[f"target-{band}-{key}"]
        assert target["rule"] == ref(doc, "aws_cloudwatch_event_rule", f"rule-{band}", "name")
        assert target["arn"] == ref(doc, "aws_cloudwatch_event_api_destination", f"api-destination-{key}", "arn")
        assert target["role_arn"] == ref(doc, "aws_iam_role", "webhooks-role", "arn")
        assert target["dead_letter_config"]["arn"] == ref(doc, "aws_sqs_queue", "dead-letter-queue", "arn")
        transformer = target["input_transformer"]
        text = message_text("slack", filled(transformer["input_template"], transformer["input_paths"]))
        assert f"GuardDuty {label} 7.5: Recon:EC2/Portscan" in text
        assert "In account 123456789012, region eu-west-1" in text
        assert "https://eu-west-1.console.aws.amazon.com/guardduty/home?region=eu-west-1#/findings" in text
        assert "fId=a1b2c3d4e5f6" in text
    assert alerts.chat_webhooks is not None and set(alerts.chat_webhooks.destinations) == {key}


def test_teams_webhook_from_the_environment_is_a_sensitive_variable_and_its_url_is_never_synthesized(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "https://prod-00.westeurope.logic.azure.com/workflows/secret-signature"
    monkeypatch.setenv("TF_VAR_teams_webhook_url", secret)
    text, doc, _ = synth([TEAMS_WEBHOOK], chat=False)
    assert doc["variable"]["teams_webhook_url"]["sensitive"] is True
    assert doc["variable"]["teams_webhook_url"]["type"] == "string"
    assert "default" not in doc["variable"]["teams_webhook_url"]
    (destination,) = by_id(doc, "aws_cloudwatch_event_api_destination").values()
    assert destination["invocation_endpoint"] == "${var.teams_webhook_url}"
    assert secret not in text and "logic.azure.com" not in text
    assert "aws_ssm_parameter" not in doc.get("data", {})
    # HIGH: its own band rules (high-up-*), each with an Adaptive Card that says the band.
    targets = by_id(doc, "aws_cloudwatch_event_target")
    key = "teams-webhook-teams-webhook-url"
    for band, label in (("high", "HIGH"), ("critical", "CRITICAL"), ("sample", "SAMPLE")):
        transformer = targets[f"target-high-up-{band}-{key}"]["input_transformer"]
        card_text = message_text("teams", filled(transformer["input_template"], transformer["input_paths"]))
        assert f"GuardDuty {label} 7.5: Recon:EC2/Portscan" in card_text
        assert "In account 123456789012, region eu-west-1" in card_text
    assert f"target-high-up-medium-{key}" not in targets


def test_webhook_channel_subscribes_https_and_dead_letters_into_the_queue_only_from_its_topic() -> None:
    _, doc, _ = synth([WebhookChannel(url=WEBHOOK.url, raw_delivery=True, auto_confirms=True)])
    (subscription,) = [s for s in by_id(doc, "aws_sns_topic_subscription").values() if s["protocol"] != "email"]
    topic_arn = ref(doc, "aws_sns_topic", "topic-raw-medium", "arn")
    queue_arn = ref(doc, "aws_sqs_queue", "dead-letter-queue", "arn")
    assert subscription == {
        "topic_arn": topic_arn,
        "protocol": "https",
        "endpoint": WEBHOOK.url,
        "raw_message_delivery": True,
        "endpoint_auto_confirms": True,
        "redrive_policy": json.dumps({"deadLetterTargetArn": queue_arn}),
    }
    statements = {
        s["Sid"]: s for s in policy(by_id(doc, "aws_sqs_queue_policy")["dead-letter-queue-policy"])["Statement"]
    }
    assert statements["AllowChannelTopicsToDeadLetter"] == {
        "Sid": "AllowChannelTopicsToDeadLetter",
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": [topic_arn]}},
    }
    key_statements = {s["Sid"]: s for s in policy(by_id(doc, "aws_kms_key")["topic-key"])["Statement"]}
    assert key_statements["SnsDeadLettersUndeliverableFindings"]["Principal"] == {"Service": "sns.amazonaws.com"}
    assert key_statements["SnsDeadLettersUndeliverableFindings"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_without_webhook_or_queue_channels_sns_gets_neither_the_key_nor_the_dead_letter_queue() -> None:
    _, doc, _ = synth([TEAMS])
    sids = {s["Sid"] for s in policy(by_id(doc, "aws_kms_key")["topic-key"])["Statement"]}
    assert "SnsDeadLettersUndeliverableFindings" not in sids
    queue_sids = {s["Sid"] for s in policy(by_id(doc, "aws_sqs_queue_policy")["dead-letter-queue-policy"])["Statement"]}
    assert "AllowChannelTopicsToDeadLetter" not in queue_sids


def queue_policy(stack: TerraformStack, alerts: GuardDutyAlerts) -> SqsQueuePolicy:
    """The intake queue's policy as its owner writes it: the construct's statement for it."""
    statements = [alerts.sqs_policy_statements["sqs-siem-intake"]]
    document = {"Version": "2012-10-17", "Statement": statements}
    return SqsQueuePolicy(
        stack,
        "intake-policy",
        queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/siem-intake",
        policy=json.dumps(document),
    )


def test_sqs_channel_subscribes_the_queue_raw_and_gives_the_statement_its_queue_policy_needs() -> None:
    _, doc, _ = synth([SQS], then=queue_policy)
    (subscription,) = [s for s in by_id(doc, "aws_sns_topic_subscription").values() if s["protocol"] != "email"]
    topic_arn = ref(doc, "aws_sns_topic", "topic-raw-medium", "arn")
    assert subscription == {
        "topic_arn": topic_arn,
        "protocol": "sqs",
        "endpoint": QUEUE_ARN,
        "raw_message_delivery": True,
        "redrive_policy": json.dumps({"deadLetterTargetArn": ref(doc, "aws_sqs_queue", "dead-letter-queue", "arn")}),
    }
    (intake,) = [v for k, v in doc["resource"]["aws_sqs_queue_policy"].items() if k.startswith("intake-policy")]
    assert policy(intake)["Statement"] == [
        {
            "Sid": "GuardDutyAlertsTopicSends",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": QUEUE_ARN,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
        }
    ]


def test_user_notifications_channel_is_a_configuration_with_an_event_rule_and_one_contact_per_address() -> None:
    channel = UserNotificationsChannel(
        addresses=("soc-lead@example.com", "CISO@example.com"),
        aggregation="SHORT",
        regions=("us-east-1", "eu-west-1"),
        severity_threshold="HIGH",
    )
    _, doc, _ = synth([channel], region="eu-west-1", chat=False, notifications=True)
    (configuration,) = by_id(doc, "aws_notifications_notification_configuration").values()
    assert configuration["aggregation_duration"] == "SHORT"
    assert configuration["provider"] == "aws.notifications"
    configuration_arn = ref(doc, "aws_notifications_notification_configuration", "user-notifications", "arn")
    (rule,) = by_id(doc, "aws_notifications_event_rule").values()
    assert rule["source"] == "aws.guardduty"
    assert rule["event_type"] == "GuardDuty Finding"
    assert json.loads(rule["event_pattern"]) == {"detail": {"severity": [{"numeric": [">=", 7]}]}}
    assert rule["regions"] == ["eu-west-1", "us-east-1"]
    assert rule["notification_configuration_arn"] == configuration_arn
    assert rule["provider"] == "aws.notifications"
    contacts = by_id(doc, "aws_notificationscontacts_email_contact")
    assert {c["email_address"] for c in contacts.values()} == {"soc-lead@example.com", "CISO@example.com"}
    associations = by_id(doc, "aws_notifications_channel_association")
    assert len(associations) == 2
    for contact_id in contacts:
        association_id = contact_id.replace("contact", "association")
        assert associations[association_id] == {
            "arn": ref(doc, "aws_notificationscontacts_email_contact", contact_id, "arn"),
            "notification_configuration_arn": configuration_arn,
            "provider": "aws.notifications",
        }
    # AWS User Notifications owns its EventBridge rule: none of ours for it.
    assert set(by_id(doc, "aws_cloudwatch_event_rule")) == CONSTRUCT_RULES


def test_user_notifications_in_us_east_1_defaults_to_the_stacks_provider_and_region() -> None:
    _, doc, _ = synth([USER_NOTIFICATIONS], chat=False)
    (rule,) = by_id(doc, "aws_notifications_event_rule").values()
    assert rule["regions"] == ["us-east-1"]
    assert "provider" not in rule
    assert json.loads(rule["event_pattern"]) == {"detail": {"severity": [{"numeric": [">=", 4]}]}}


# AWS User Notifications user guide, "Storing, processing, and replicating notifications using notification
# hubs": a hub must exist before any notification configuration. Provider 5.100 `aws_notifications_notification_hub`
# takes only notification_hub_region (internal/service/notifications/notification_hub.go).
def test_user_notifications_create_hub_registers_the_hub_in_the_stacks_region_before_the_configuration() -> None:
    channel = UserNotificationsChannel(addresses=("soc-lead@example.com",), create_hub=True)
    _, doc, alerts = synth([channel], region="eu-west-1", chat=False, notifications=True)
    (hub_key,) = doc["resource"]["aws_notifications_notification_hub"]
    hub = doc["resource"]["aws_notifications_notification_hub"][hub_key]
    assert hub == {"notification_hub_region": "eu-west-1", "provider": "aws.notifications"}
    (configuration,) = by_id(doc, "aws_notifications_notification_configuration").values()
    assert configuration["depends_on"] == [f"aws_notifications_notification_hub.{hub_key}"]
    assert alerts.user_notifications is not None and alerts.user_notifications.hub is not None


def test_user_notifications_without_create_hub_registers_no_hub() -> None:
    _, doc, alerts = synth([USER_NOTIFICATIONS], chat=False)
    assert "aws_notifications_notification_hub" not in doc["resource"]
    (configuration,) = by_id(doc, "aws_notifications_notification_configuration").values()
    assert "depends_on" not in configuration
    assert alerts.user_notifications is not None and alerts.user_notifications.hub is None


# --- lean routing -------------------------------------------------------------------------------------------


def test_raw_channels_with_the_same_threshold_share_one_rule_and_one_topic() -> None:
    webhook = WebhookChannel(url=WEBHOOK.url, severity_threshold="HIGH")
    sqs = SqsChannel(queue_arn=QUEUE_ARN, severity_threshold="HIGH")
    _, doc, alerts = synth([webhook, sqs])
    assert set(by_id(doc, "aws_cloudwatch_event_rule")) == CONSTRUCT_RULES | {"rule-raw-high"}
    assert set(alerts.raw_groups) == {"raw-high"}
    assert set(by_id(doc, "aws_sns_topic")) == {"topic", "topic-raw-high"}
    topic_arn = ref(doc, "aws_sns_topic", "topic-raw-high", "arn")
    channel_subscriptions = [s for s in by_id(doc, "aws_sns_topic_subscription").values() if s["protocol"] != "email"]
    assert sorted((s["protocol"], s["topic_arn"]) for s in channel_subscriptions) == [
        ("https", topic_arn),
        ("sqs", topic_arn),
    ]


def test_raw_channels_with_different_thresholds_get_a_rule_and_topic_each() -> None:
    webhook = WebhookChannel(url=WEBHOOK.url, severity_threshold="CRITICAL")
    sqs = SqsChannel(queue_arn=QUEUE_ARN, severity_threshold=7.5)
    _, doc, _ = synth([webhook, sqs])
    rules = by_id(doc, "aws_cloudwatch_event_rule")
    assert set(rules) == CONSTRUCT_RULES | {"rule-raw-critical", "rule-raw-7-5"}
    assert json.loads(rules["rule-raw-7-5"]["event_pattern"])["detail"]["severity"] == [{"numeric": [">=", 7.5]}]
    assert set(by_id(doc, "aws_sns_topic")) == {"topic", "topic-raw-critical", "topic-raw-7-5"}


def test_channels_without_settings_of_their_own_ride_on_the_constructs_band_rules() -> None:
    extra_mail = EmailChannel(addresses=("ciso@example.com",))
    _, doc, _ = synth([extra_mail, SLACK_WEBHOOK, TeamsWebhookChannel(url_env_var="TF_VAR_teams_url")], chat=False)
    assert set(by_id(doc, "aws_cloudwatch_event_rule")) == CONSTRUCT_RULES
    assert set(by_id(doc, "aws_sns_topic")) == {"topic"}
    # The channel's addresses join the recipients on the construct's topic.
    endpoints = [s["endpoint"].lower() for s in by_id(doc, "aws_sns_topic_subscription").values()]
    assert sorted(endpoints) == sorted([*RECIPIENTS, "ciso@example.com"])
    targets = by_id(doc, "aws_cloudwatch_event_target")
    for band in ("medium", "high", "critical", "sample"):
        rule_name = ref(doc, "aws_cloudwatch_event_rule", f"rule-{band}", "name")
        on_rule = sorted(name for name, target in targets.items() if target["rule"] == rule_name)
        assert on_rule == [
            f"target-{band}",
            f"target-{band}-slack-webhook-security-slack-webhook",
            f"target-{band}-teams-webhook-teams-url",
        ]


def test_chat_webhooks_without_recipients_get_the_band_rules_and_no_topic() -> None:
    _, doc, alerts = synth([SLACK_WEBHOOK], recipients=[], chat=False)
    assert set(by_id(doc, "aws_cloudwatch_event_rule")) == CONSTRUCT_RULES
    assert "aws_sns_topic" not in doc["resource"] and alerts.topic is None
    assert {t["arn"] for t in by_id(doc, "aws_cloudwatch_event_target").values()} == {
        ref(doc, "aws_cloudwatch_event_api_destination", "api-destination-slack-webhook-security-slack-webhook", "arn")
    }


# --- IDs ------------------------------------------------------------------------------------------------------


def test_reversing_the_channel_list_changes_nothing_in_the_synthesized_json() -> None:
    forward, _, _ = synth(EVERY_KIND)
    backward, _, _ = synth(list(reversed(EVERY_KIND)))
    assert forward == backward


def test_the_same_channels_synthesize_to_the_same_json_twice() -> None:
    first, _, _ = synth(EVERY_KIND)
    second, _, _ = synth(EVERY_KIND)
    assert first == second


def test_a_channel_added_leaves_every_other_resource_as_it_was() -> None:
    _, before, _ = synth([CISO, SLACK, WEBHOOK])
    _, after, _ = synth([CISO, SLACK, WEBHOOK, SQS])
    for kind, resources in before["resource"].items():
        if kind in ("aws_sqs_queue_policy", "aws_cloudwatch_metric_alarm"):
            continue  # they list every channel topic and rule
        for key, value in resources.items():
            assert after["resource"][kind][key] == value, (kind, key)


# --- alarm ----------------------------------------------------------------------------------------------------


def test_channel_failures_alarm_watches_every_channel_rule_and_raw_topic() -> None:
    _, doc, alerts = synth(EVERY_KIND)
    alarm = by_id(doc, "aws_cloudwatch_metric_alarm")["alarm-channel-failures"]
    assert alerts.alarms["channel-failures"].node.id == "alarm-channel-failures"
    metrics = [q["metric"] for q in alarm["metric_query"] if "metric" in q]
    watched_rules = {m["dimensions"]["RuleName"] for m in metrics if m["metric_name"] == "FailedInvocations"}
    channel_rules = sorted(
        rule
        for rule in by_id(doc, "aws_cloudwatch_event_rule")
        if rule.startswith(("rule-raw-", "rule-critical-up-", "rule-high-up-"))
    )
    assert len(channel_rules) == 7
    assert watched_rules == {ref(doc, "aws_cloudwatch_event_rule", rule, "name") for rule in channel_rules}
    watched_topics = {
        m["dimensions"]["TopicName"] for m in metrics if m["metric_name"] == "NumberOfNotificationsFailed"
    }
    assert watched_topics == {
        ref(doc, "aws_sns_topic", f"topic-{group}", "name") for group in ("raw-medium", "raw-high")
    }
    assert all(m["stat"] == "Sum" for m in metrics)
    (total,) = [q for q in alarm["metric_query"] if "expression" in q]
    assert total["expression"] == "SUM(METRICS())" and total["return_data"] is True
    # The construct's own alarm keeps watching its own rules only.
    mail_alarm = by_id(doc, "aws_cloudwatch_metric_alarm")["alarm-failed-invocations"]
    mail_rules = {q["metric"]["dimensions"].get("RuleName") for q in mail_alarm["metric_query"] if "metric" in q}
    assert mail_rules == {ref(doc, "aws_cloudwatch_event_rule", rule, "name") for rule in CONSTRUCT_RULES}


# --- rejections -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "problems"),
    [
        pytest.param(
            {"channels": [WebhookChannel(url="http://hooks.example.com/alerts")]},
            [
                "channels[0].url: 'http://hooks.example.com/alerts' is refused: plain http sends findings "
                "unencrypted; allowed: an https:// URL"
            ],
            id="http-webhook",
        ),
        pytest.param(
            {"channels": [SlackChannel(workspace_id="t0123abcde", channel_id="#security")]},
            [
                "channels[0].workspace_id: 't0123abcde' is not a Slack workspace id; allowed: T followed by "
                "upper-case letters and digits, as the chat integration's console shows it (T0123ABCDE)",
                "channels[0].channel_id: '#security' is not a Slack channel id; allowed: C, G or D followed by "
                "upper-case letters and digits, the end of the channel's link (C0123ABCDE)",
            ],
            id="slack-ids",
        ),
        pytest.param(
            {
                "channels": [
                    TeamsChannel(tenant_id="contoso", team_id="security-team", channel_id="General"),
                ]
            },
            [
                "channels[0].tenant_id: 'contoso' is not a Microsoft tenant id; allowed: a GUID such as "
                "00000000-0000-0000-0000-000000000000",
                "channels[0].team_id: 'security-team' is not a Microsoft team id; allowed: a GUID such as "
                "00000000-0000-0000-0000-000000000000",
                "channels[0].channel_id: 'General' is not a Teams channel id; allowed: 19:<id>@thread.tacv2, "
                "from the channel's link (URL-decoded)",
            ],
            id="teams-ids",
        ),
        pytest.param(
            {"channels": [SqsChannel(queue_arn="arn:aws:sqs:eu-west-1:123456789012:siem-intake")]},
            [
                "channels[0].queue_arn: the queue is in eu-west-1, this stack in us-east-1; allowed: a queue in "
                "the stack's region (SNS subscribes queues of its own region only here; add an sqs channel to "
                "that region's stack instead)"
            ],
            id="sqs-other-region",
        ),
        pytest.param(
            {"channels": [EmailChannel(addresses=())]},
            [
                "channels[0].addresses: the list is empty, so this channel delivers nothing; allowed: at least "
                "one email address"
            ],
            id="email-no-addresses",
        ),
        pytest.param(
            {"channels": [UserNotificationsChannel(addresses=())]},
            [
                "channels[0].addresses: the list is empty, so this channel delivers nothing; allowed: at least "
                "one email address"
            ],
            id="user-notifications-no-addresses",
        ),
        pytest.param(
            {"recipients": [], "channels": []},
            [
                "recipients: the list is empty and no channels are given, so nothing would be delivered; "
                "allowed: at least one email address, or channels"
            ],
            id="nothing-to-deliver",
        ),
        pytest.param(
            {"channels": [WEBHOOK, WebhookChannel(url=WEBHOOK.url, severity_threshold="HIGH")]},
            [
                "channels[1]: HTTPS webhook at events.pagerduty.com is the same destination as channels[0]; "
                "allowed: each destination once (give one channel the addresses or the threshold it needs)"
            ],
            id="same-webhook-twice",
        ),
        pytest.param(
            {"channels": [SQS, SqsChannel(queue_arn=QUEUE_ARN, name="siem-again")]},
            [
                "channels[1]: SQS queue siem-intake (account 123456789012) is the same destination as "
                "channels[0]; allowed: each destination once (give one channel the addresses or the threshold "
                "it needs)"
            ],
            id="same-queue-twice",
        ),
        pytest.param(
            {"channels": [SLACK], "chat": False},
            [
                "channels[0]: the chat integration's API is in ap-southeast-1, eu-west-1, us-east-2, us-west-2, "
                "this stack's provider in us-east-1; allowed: pass chat_provider, an AwsProvider (with an alias) "
                "in one of those regions"
            ],
            id="slack-without-chat-provider",
        ),
        pytest.param(
            {"channels": [USER_NOTIFICATIONS], "region": "eu-west-1"},
            [
                "channels[0]: AWS User Notifications has its API in us-east-1 only, this stack's provider is in "
                "eu-west-1; allowed: pass notifications_provider, an AwsProvider (with an alias) in us-east-1"
            ],
            id="user-notifications-without-provider",
        ),
        pytest.param(
            {"channels": [SlackWebhookChannel(url_env_var="SLACK_WEBHOOK_URL")]},
            [
                "channels[0].url_env_var: 'SLACK_WEBHOOK_URL' is not allowed; allowed: TF_VAR_<name> (letters, "
                "digits, underscores): Terraform reads the URL from it at plan time, so the secret never enters "
                "the synthesized JSON"
            ],
            id="url-env-var-without-tf-var",
        ),
        # AWS User Notifications user guide, "Filtering event rules using customized JSON event patterns in
        # AWS User Notifications": "Wildcards aren't currently supported."
        pytest.param(
            {"channels": [USER_NOTIFICATIONS], "filters": FindingFilters(exclude_types=("Recon:", "Trojan:"))},
            [
                'filters.exclude_types (used by channels[0]): ["Recon:", "Trojan:"] excludes more than one prefix, '
                "or prefixes with exact types, which EventBridge can express only with a wildcard pattern, and AWS "
                "User Notifications does not support wildcards in event patterns; allowed for a user_notifications "
                "channel: exact finding types, or a single prefix (ending in ':', '/' or '*')"
            ],
            id="user-notifications-wildcard-inherited",
        ),
        pytest.param(
            {
                "channels": [
                    UserNotificationsChannel(
                        addresses=("soc-lead@example.com",),
                        filters=FindingFilters(exclude_types=("Recon:EC2/Portscan", "Trojan:")),
                    )
                ]
            },
            [
                'channels[0].filters.exclude_types: ["Recon:EC2/Portscan", "Trojan:"] excludes more than one '
                "prefix, or prefixes with exact types, which EventBridge can express only with a wildcard pattern, "
                "and AWS User Notifications does not support wildcards in event patterns; allowed for a "
                "user_notifications channel: exact finding types, or a single prefix (ending in ':', '/' or '*')"
            ],
            id="user-notifications-wildcard-own",
        ),
        pytest.param(
            {"channels": [UserNotificationsChannel(addresses=("OnCall@example.com",))]},
            [
                "channels[0].addresses[0]: 'OnCall@example.com' is also in recipients, so that mailbox would get "
                "every finding twice, once from SNS and once from AWS User Notifications; allowed: each address "
                "either in recipients and email channels or in the user_notifications channel"
            ],
            id="user-notifications-address-also-in-recipients",
        ),
    ],
)
def test_rejects_bad_channels_naming_setting_value_and_what_is_allowed(props: dict, problems: list[str]) -> None:
    with pytest.raises(InvalidPropsError) as caught:
        synth(**props)
    assert caught.value.problems == tuple(problems)


def test_slack_channel_needs_no_chat_provider_in_a_chat_api_region() -> None:
    _, doc, _ = synth([SLACK], region="us-west-2", chat=False)
    (configuration,) = by_id(doc, "aws_chatbot_slack_channel_configuration").values()
    assert "provider" not in configuration


def test_rejects_every_prop_problem_at_once_the_channel_setup_and_the_pattern_size_among_them() -> None:
    # The README promises every problem in one error: a channel's setup problem (no chat provider) and the
    # event pattern size used to be checked only when nothing else had failed, or raised on their own.
    long_list = tuple(f"UnauthorizedAccess:EC2/SomeLongFindingName{n:03}" for n in range(60))
    with pytest.raises(InvalidPropsError) as caught:
        synth([SLACK], chat=False, name="bad name!", filters=FindingFilters(exclude_types=long_list))
    problems = caught.value.problems
    assert [problem.split(":")[0] for problem in problems] == ["name", "channels[0]", "filters"]
    assert problems[1] == (
        "channels[0]: the chat integration's API is in ap-southeast-1, eu-west-1, us-east-2, us-west-2, "
        "this stack's provider in us-east-1; allowed: pass chat_provider, an AwsProvider (with an alias) "
        "in one of those regions"
    )
    assert problems[2].startswith("filters: the finding types make rule 'medium''s event pattern ")


def test_rejects_an_invalid_threshold_and_still_checks_the_channels_setup_at_the_default() -> None:
    with pytest.raises(InvalidPropsError) as caught:
        synth([SLACK], chat=False, severity_threshold="SEVERE")
    assert [problem.split(":")[0] for problem in caught.value.problems] == ["severity_threshold", "channels[0]"]

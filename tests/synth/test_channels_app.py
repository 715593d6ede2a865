"""The app with channels (config/channels.example.yaml, every kind): what each region's stack receives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import REPO, read_json, run_main, tree_digest

CHANNELS_CONFIG = REPO / "config" / "channels.example.yaml"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("channels")
    result = run_main("synth", "--config", str(CHANNELS_CONFIG), "--outdir", str(root / "out"), cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "out"


def stack(out: Path, region: str) -> dict:
    return read_json(out / "stacks" / f"guardduty-alerts-{region}" / "cdk.tf.json")


def kinds(document: dict) -> dict[str, int]:
    return {kind: len(resources) for kind, resources in sorted(document["resource"].items())}


def test_each_region_gets_the_channels_that_belong_there(synthesized: Path) -> None:
    us, eu = stack(synthesized, "us-east-1"), stack(synthesized, "eu-west-1")
    # User Notifications: one configuration per account, in its home stack (us-east-1), for both regions.
    assert "aws_notifications_notification_configuration" in us["resource"]
    assert "aws_notifications_notification_configuration" not in eu["resource"]
    (rule,) = us["resource"]["aws_notifications_event_rule"].values()
    assert rule["regions"] == ["eu-west-1", "us-east-1"]

    # The queue is in eu-west-1: only that stack subscribes it.
    def sqs_endpoints(document: dict) -> list[str]:
        return [
            s["endpoint"] for s in document["resource"]["aws_sns_topic_subscription"].values() if s["protocol"] == "sqs"
        ]

    assert sqs_endpoints(eu) == ["arn:aws:sqs:eu-west-1:123456789012:siem-intake"]
    assert sqs_endpoints(us) == []
    assert set(eu["output"]) >= {"sqs_queue_policy_statements"}
    assert "sqs_queue_policy_statements" not in us["output"]
    # Slack and Teams: one configuration each per account (AWS refuses a second one for a Slack channel), in
    # the chat home stack (us-east-1), named after its region and subscribed to both regions' raw topics.
    (slack,) = us["resource"]["aws_chatbot_slack_channel_configuration"].values()
    assert slack["configuration_name"] == "guardduty-alerts-us-east-1-slack-c0123abcde"
    (topic_address,) = [
        address for address, topic in us["resource"]["aws_sns_topic"].items() if topic["name"].endswith("raw-high")
    ]
    assert slack["sns_topic_arns"] == [
        f"arn:aws:sns:eu-west-1:${{aws_sns_topic.{topic_address}.owner}}:guardduty-alerts-raw-high",
        f"${{aws_sns_topic.{topic_address}.arn}}",
    ]
    (teams,) = us["resource"]["aws_chatbot_teams_channel_configuration"].values()
    assert len(teams["sns_topic_arns"]) == 2
    # eu-west-1 keeps its raw rules and topics (the home stack's configurations read them) and has no chat
    # configuration, role or guardrail.
    assert {t["name"] for t in eu["resource"]["aws_sns_topic"].values()} >= {
        "guardduty-alerts-raw-high",
        "guardduty-alerts-raw-medium",
    }
    for kind in ("aws_chatbot_slack_channel_configuration", "aws_chatbot_teams_channel_configuration"):
        assert kind not in eu["resource"]
    assert not [
        r for r in eu["resource"].get("aws_iam_role", {}).values() if r["name"].startswith("guardduty-alerts-chat")
    ]
    assert not [p for p in eu["resource"].get("aws_iam_policy", {}).values() if "chat-guardrail" in p["name"]]


def test_chat_configurations_go_through_a_provider_in_a_region_of_the_chat_api(synthesized: Path) -> None:
    us, eu = stack(synthesized, "us-east-1"), stack(synthesized, "eu-west-1")
    aliases = {provider.get("alias"): provider["region"] for provider in us["provider"]["aws"]}
    assert aliases == {None: "us-east-1", "chat": "us-east-2"}
    (slack,) = us["resource"]["aws_chatbot_slack_channel_configuration"].values()
    assert slack["provider"] == "aws.chat"
    # eu-west-1 holds no chat configuration: no alias.
    assert [provider.get("alias") for provider in eu["provider"]["aws"]] == [None]


def test_rules_are_shared_by_channels_with_the_same_settings(synthesized: Path) -> None:
    us = stack(synthesized, "us-east-1")
    rules = sorted(rule["name"] for rule in us["resource"]["aws_cloudwatch_event_rule"].values())
    assert rules == [
        # the top-level recipients, with the Slack webhook riding on them (MEDIUM)
        "guardduty-alerts-critical",
        # the CISO's email channel at CRITICAL
        "guardduty-alerts-critical-up-critical",
        "guardduty-alerts-critical-up-sample",
        "guardduty-alerts-high",
        "guardduty-alerts-medium",
        # Slack and the PagerDuty webhook at HIGH share one rule; Teams at MEDIUM has one
        "guardduty-alerts-raw-high",
        "guardduty-alerts-raw-medium",
        "guardduty-alerts-sample",
    ]
    (webhook,) = [s for s in us["resource"]["aws_sns_topic_subscription"].values() if s["protocol"] == "https"]
    assert webhook["endpoint_auto_confirms"] is True
    (queue_address,) = us["resource"]["aws_sqs_queue"]
    assert json.loads(webhook["redrive_policy"]) == {"deadLetterTargetArn": f"${{aws_sqs_queue.{queue_address}.arn}}"}


def test_the_same_configuration_synthesizes_byte_identical_json(synthesized: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = run_main("synth", "--config", str(CHANNELS_CONFIG), "--outdir", str(again), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert tree_digest(again / "stacks") == tree_digest(synthesized / "stacks")

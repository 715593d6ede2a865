"""AWS's documented rules, held against what Terraform would receive for every example configuration
(config/*.yaml) and every configuration fixture (tests/fixtures/configs/*.yaml).

The local emulator accepts much that AWS refuses; each rule below cites where AWS (or the provider's source or
issue tracker) states it. A rule that needs a feature of a configuration (a chat channel, a webhook) holds
vacuously for configurations without it, so every test also asserts that at least one configuration has it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from guardduty_alerts_app.config import load_config
from helpers import FIXTURES, REPO

CONFIGS = sorted((REPO / "config").glob("*.yaml")) + sorted((FIXTURES / "configs").glob("*.yaml"))


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    """Config file name -> stack name -> the stack's synthesized JSON, for every example and fixture."""
    from guardduty_alerts_app.stacks.synth import synth_to

    result: dict[str, dict[str, dict[str, Any]]] = {}
    for path in CONFIGS:
        root = tmp_path_factory.mktemp(path.stem)
        names = synth_to(load_config(path), root / "cdktf.out", state_dir=root)
        result[path.name] = {
            name: json.loads((root / "cdktf.out" / "stacks" / name / "cdk.tf.json").read_text()) for name in names
        }
    return result


def resources_of(
    synthesized: dict[str, dict[str, dict[str, Any]]], kind: str
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(config file, stack, construct address, resource block) of every resource of type `kind`."""
    for config, stacks in synthesized.items():
        for stack, document in stacks.items():
            for address, block in document.get("resource", {}).get(kind, {}).items():
                yield config, stack, address, block


def test_every_example_and_fixture_is_covered() -> None:
    assert {path.name for path in CONFIGS} >= {
        "guardduty-alerts.yaml",
        "channels.example.yaml",
        "estate.example.yaml",
        "long-names-two-regions.yaml",
    }


# --- Chat configurations (Amazon Q Developer in chat applications) ---------------------------------------------


# --- Chat webhook bodies, alarms and AWS User Notifications ---------------------------------------------------

HOSTILE_TEXT = 'Title with "quotes", a back\\slash \\, a line\nbreak, a\ttab and non-ASCII: Zürich 東京 🚨'


def _hostile_finding() -> dict[str, Any]:
    from helpers import OWN_EVENTS

    event = json.loads((OWN_EVENTS / "lambda__Backdoor_Lambda_C2Activity_B.json").read_text())
    event["detail"]["title"] = HOSTILE_TEXT
    event["detail"]["description"] = HOSTILE_TEXT
    return event


# EventBridge user guide, "Amazon EventBridge input transformation", "Common Issues with transforming input":
# "EventBridge doesn't escape values extracted by Input Path, when populating the Input Template for a target".
# An invalid body is answered 400 by Slack or Teams, which EventBridge does not retry: the finding is lost to
# the dead-letter queue. tests/eventbridge_transformer.py renders templates by the guide's rules.
def test_every_chat_webhook_body_is_valid_json_for_hostile_finding_text(synthesized: dict) -> None:
    from eventbridge_transformer import render

    event = _hostile_finding()
    checked = 0
    for config, stack, address, target in resources_of(synthesized, "aws_cloudwatch_event_target"):
        if "aws_cloudwatch_event_api_destination." not in target["arn"]:
            continue
        transformer = target["input_transformer"]
        body = render(transformer["input_template"], transformer["input_paths"], event)
        try:
            json.loads(body)
        except json.JSONDecodeError as error:
            pytest.fail(f"{config} {stack} {address}: invalid JSON body ({error}): {body}")
        checked += 1
    assert checked >= 8, "no configuration has chat webhooks on band rules"


def _alarm_actions_given(config_name: str, stack: str) -> tuple[str, ...] | None:
    """The config's delivery.alarm_actions for the stack's region (None: left out)."""
    from guardduty_alerts_app.planning import stack_plans

    config = load_config(next(path for path in CONFIGS if path.name == config_name))
    (plan,) = [plan for plan in stack_plans(config) if plan.name == stack]
    return config.alarm_actions.get(plan.region)


# A delivery alarm without actions changes state and tells no one (issue 18): each alarm notifies someone,
# unless the configuration opts out with an empty list.
def test_every_delivery_alarm_notifies_someone_unless_the_config_opts_out(synthesized: dict) -> None:
    opted_out = notified = 0
    for config, stack, address, alarm in resources_of(synthesized, "aws_cloudwatch_metric_alarm"):
        if _alarm_actions_given(config, stack) == ():
            assert "alarm_actions" not in alarm, (config, stack, address)
            opted_out += 1
        else:
            assert alarm.get("alarm_actions"), f"{config} {stack} {address}: the alarm notifies no one"
            notified += 1
    assert opted_out and notified


# CloudWatch API reference, PutMetricAlarm: AlarmDescription is at most 1024 characters. The descriptions name
# every rule and topic an alarm watches (up to 10, CloudWatch's metrics per alarm) and the dead-letter queue.
def test_every_alarm_description_fits_cloudwatch_s_limit(synthesized: dict) -> None:
    longest = max(
        (len(alarm["alarm_description"]), config, address)
        for config, _, address, alarm in resources_of(synthesized, "aws_cloudwatch_metric_alarm")
    )
    assert longest[0] <= 1024, longest


# AWS User Notifications user guide, "Filtering event rules using customized JSON event patterns in AWS User
# Notifications": "Wildcards aren't currently supported."
def test_no_user_notifications_event_rule_uses_a_wildcard(synthesized: dict) -> None:
    rules = list(resources_of(synthesized, "aws_notifications_event_rule"))
    assert rules
    for config, stack, address, rule in rules:
        assert "wildcard" not in rule["event_pattern"], (config, stack, address)


# AWS User Notifications API reference, RegisterNotificationHub: "There is a maximum of one NotificationHub per
# Region. You can have a maximum of 3 NotificationHub resources at a time." Hubs are an account-level setting
# (user guide, "notification hubs"): two stacks of one account registering one would fight over it.
def test_at_most_one_notification_hub_per_account_across_stacks(synthesized: dict) -> None:
    from guardduty_alerts_app.planning import stack_plans

    hubs: dict[tuple[str, str | None], list[str]] = {}
    for config, stack, _, hub in resources_of(synthesized, "aws_notifications_notification_hub"):
        plans = stack_plans(load_config(next(path for path in CONFIGS if path.name == config)))
        (plan,) = [plan for plan in plans if plan.name == stack]
        account = plan.account.id if plan.account is not None else None
        hubs.setdefault((config, account), []).append(f"{stack}: {hub['notification_hub_region']}")
    assert hubs, "no configuration registers a notification hub"
    for (config, account), registered in hubs.items():
        assert len(registered) == 1, f"{config} account {account}: {registered}"


# --- Secrets in plan artifacts ---------------------------------------------------------------------------------


# --- Generated names: unique in their scope and within AWS's length limits -------------------------------------

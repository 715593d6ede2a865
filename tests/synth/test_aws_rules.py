"""AWS's documented rules, held against what Terraform would receive for every example configuration
(config/*.yaml) and every configuration fixture (tests/fixtures/configs/*.yaml).

The local emulator accepts much that AWS refuses; each rule below cites where AWS (or the provider's source or
issue tracker) states it. A rule that needs a feature of a configuration (a chat channel, a webhook) holds
vacuously for configurations without it, so every test also asserts that at least one configuration has it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from generated_names import generated_names, name_problems
from guardduty_alerts.naming import api_destination_name, fit, regional_role_name, rule_name
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
        "extreme-names.yaml",
    }


# --- Chat configurations (Amazon Q Developer in chat applications) ---------------------------------------------


# --- Chat webhook bodies, alarms and AWS User Notifications ---------------------------------------------------


# --- Secrets in plan artifacts ---------------------------------------------------------------------------------


# --- Generated names: unique in their scope and within AWS's length limits -------------------------------------
# Limits and scopes with their AWS doc pages: tests/generated_names.py (NAMED_TYPES).


def test_every_generated_name_is_within_its_limit_and_unique_in_its_scope(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    problems = {config: name_problems(stacks) for config, stacks in synthesized.items()}
    assert problems == {config: [] for config in synthesized}


def test_the_names_checked_include_every_type_at_its_limit(synthesized: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Not vacuous: the fixtures reach the limits that bind (64 for API destinations and IAM roles)."""
    longest: dict[str, int] = {}
    for stacks in synthesized.values():
        for item in generated_names(stacks):
            longest[item.kind] = max(longest.get(item.kind, 0), len(item.name))
    assert longest["aws_cloudwatch_event_api_destination"] == 64
    assert longest["aws_iam_role"] == 64
    assert {"aws_cloudwatch_event_rule", "aws_sns_topic", "aws_sqs_queue", "aws_lambda_function"} <= set(longest)
    assert {"aws_chatbot_slack_channel_configuration", "aws_cloudwatch_event_connection"} <= set(longest)


def test_chat_webhooks_sharing_a_long_prefix_get_distinct_api_destination_names(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    """Issue 19: cut to EventBridge's 64 characters, these names were equal and the second apply failed."""
    stack = synthesized["extreme-names.yaml"]["guardduty-alerts-extreme-names-two-regns-ap-southeast-1"]
    names = sorted(block["name"] for block in stack["resource"]["aws_cloudwatch_event_api_destination"].values())
    prefix = "guardduty-alerts-extreme-names-two-regns-chat-webhook-s-"
    assert len(names) == len(set(names)) == 3
    assert all(len(name) == 64 and name.startswith(prefix) for name in names)
    cut = {f"guardduty-alerts-extreme-names-two-regns-chat-webhook-security-findings-{x}"[:64] for x in "abc"}
    assert len(cut) == 1  # what plain truncation gave


def test_a_name_that_fits_is_kept_as_it_is() -> None:
    # Deployed names are in Terraform state: changing one replaces the resource.
    assert (
        api_destination_name("guardduty-alerts", "slack-webhook-security") == "guardduty-alerts-slack-webhook-security"
    )
    assert rule_name("guardduty-alerts", "raw-7-5") == "guardduty-alerts-raw-7-5"
    assert regional_role_name("guardduty-alerts-formatter", "eu-west-1") == "guardduty-alerts-formatter-eu-west-1"
    assert fit("x" * 64, 64) == "x" * 64


def test_a_name_too_long_is_shortened_with_a_stable_digest_of_the_whole_name() -> None:
    long_a, long_b = "a" * 70 + "-one", "a" * 70 + "-two"
    assert fit(long_a, 64) == "a" * 55 + "-" + hashlib.sha256(long_a.encode()).hexdigest()[:8]
    assert fit(long_a, 64) != fit(long_b, 64)
    assert len(fit(long_a, 64)) == 64
    # The region stays whole in a regional IAM role name; the base gets the digest.
    role = regional_role_name("b" * 40 + "-formatter", "ap-southeast-1")
    assert len(role) == 64 and role.endswith("-ap-southeast-1")
    assert role != regional_role_name("b" * 40 + "-formattex", "ap-southeast-1")

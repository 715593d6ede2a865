"""Delivery you can trust, as data: the key, topic and queue policies, and the delivery settings of the
configuration file with their rejections."""

from __future__ import annotations

import json
from typing import Any

import pytest
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.policies import TOPIC_ADMIN_ACTIONS, dead_letter_queue_policy, key_policy, topic_policy
from guardduty_alerts_app.config import parse_config
from helpers import AWS_MANAGED_KEY_PROBLEM

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:guardduty-alerts"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:guardduty-alerts-dead-letters"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/guardduty-alerts-findings"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ONCALL = f"arn:aws:sns:us-east-1:{ACCOUNT}:oncall"


ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:guardduty-alerts"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:guardduty-alerts-dead-letters"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/guardduty-alerts-findings"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ONCALL = f"arn:aws:sns:us-east-1:{ACCOUNT}:oncall"


def by_sid(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert policy["Version"] == "2012-10-17"
    return {statement["Sid"]: statement for statement in policy["Statement"]}


# --- policies as data -----------------------------------------------------------------------------------


def test_key_policy_keeps_the_account_in_control_and_lets_eventbridge_encrypt() -> None:
    statements = by_sid(key_policy(account_root_arn=f"arn:aws:iam::{ACCOUNT}:root"))
    assert statements == {
        "AccountAdministratorsControlKey": {
            "Sid": "AccountAdministratorsControlKey",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        "EventBridgeEncryptsDeliveries": {
            "Sid": "EventBridgeEncryptsDeliveries",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        },
    }
    # AWS does not support source conditions on the key for EventBridge-to-encrypted-topic delivery.
    assert "Condition" not in statements["EventBridgeEncryptsDeliveries"]


def test_topic_policy_denies_plain_http_without_touching_eventbridge_or_https_admin() -> None:
    statements = by_sid(topic_policy(topic_arn=TOPIC, rule_arns=[RULE], owner_account=ACCOUNT))
    deny = statements["DenyRequestsWithoutTLS"]
    assert deny == {
        "Sid": "DenyRequestsWithoutTLS",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["sns:Publish", *TOPIC_ADMIN_ACTIONS],
        "Resource": TOPIC,
        # Bool, not BoolIfExists: a request that does not carry the key at all (a service principal publishing
        # on its own behalf) is not denied; only requests that say they came without TLS are.
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    allows = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert {s["Sid"] for s in allows} == {"AllowGuardDutyFindingRulesToPublish", "OwningAccountAdministersTopic"}
    assert statements["OwningAccountAdministersTopic"]["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}


def test_dead_letter_queue_accepts_messages_from_our_rules_only() -> None:
    second = RULE.replace("findings", "findings-high")
    statements = by_sid(dead_letter_queue_policy(queue_arn=QUEUE, rule_arns=[RULE, second]))
    assert statements["AllowGuardDutyFindingRulesToDeadLetter"] == {
        "Sid": "AllowGuardDutyFindingRulesToDeadLetter",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": QUEUE,
        "Condition": {"ArnEquals": {"aws:SourceArn": [RULE, second]}},
    }
    assert statements["DenyRequestsWithoutTLS"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["DenyRequestsWithoutTLS"]["Effect"] == "Deny"


# --- synthesized resources -------------------------------------------------------------------------------

MINIMAL = {"regions": ["us-east-1", "eu-west-1"], "recipients": ["sec@example.com"]}


def config_problems(**changes: Any) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        parse_config({**MINIMAL, **changes})
    return caught.value.problems


def test_config_defaults_encrypt_and_keep_dead_letters_for_fourteen_days() -> None:
    config = parse_config(MINIMAL)
    assert config.encrypt_topic is True
    assert dict(config.existing_kms_key_arns) == {}
    assert (config.maximum_event_age_seconds, config.maximum_retry_attempts, config.dead_letter_retention_seconds) == (
        86400,
        185,
        1209600,
    )
    assert dict(config.alarm_actions) == {}


def test_config_reads_keys_and_alarm_actions_per_region() -> None:
    config = parse_config(
        {
            **MINIMAL,
            "topic_encryption": {"existing_kms_key_arns": {"us-east-1": KEY}},
            "delivery": {"alarm_actions": {"us-east-1": [ONCALL]}, "maximum_retry_attempts": 0},
        }
    )
    assert dict(config.existing_kms_key_arns) == {"us-east-1": KEY}
    assert dict(config.alarm_actions) == {"us-east-1": (ONCALL,)}
    assert config.maximum_retry_attempts == 0


def test_config_alarm_actions_empty_list_opts_every_region_out_and_a_region_left_out_keeps_the_default() -> None:
    everywhere = parse_config({**MINIMAL, "delivery": {"alarm_actions": []}})
    assert dict(everywhere.alarm_actions) == {"eu-west-1": (), "us-east-1": ()}
    one = parse_config({**MINIMAL, "delivery": {"alarm_actions": {"eu-west-1": []}}})
    # us-east-1 is left out: its alarms notify its alert topic (None reaches the construct).
    assert dict(one.alarm_actions) == {"eu-west-1": ()}
    assert one.alarm_actions.get("us-east-1") is None


def test_rejects_the_aws_managed_key_in_the_config_file() -> None:
    assert config_problems(topic_encryption={"existing_kms_key_arns": {"us-east-1": "alias/aws/sns"}}) == (
        f"topic_encryption.existing_kms_key_arns.us-east-1: 'alias/aws/sns' {AWS_MANAGED_KEY_PROBLEM}",
    )


def test_rejects_a_key_arn_from_another_region_in_the_config_file() -> None:
    assert config_problems(topic_encryption={"existing_kms_key_arns": {"eu-west-1": KEY}}) == (
        f"topic_encryption.existing_kms_key_arns.eu-west-1: {KEY!r} is a key in region us-east-1, not eu-west-1; "
        "SNS can only use a key in the topic's own region; allowed: the ARN of a customer-managed KMS key (or of "
        "its alias) in the stack's region",
    )


@pytest.mark.parametrize(
    ("delivery", "expected"),
    [
        (
            {"dead_letter_retention_seconds": 59},
            "delivery.dead_letter_retention_seconds: 59 is not allowed; allowed: an integer from 60 (1 minute) to "
            "1209600 (14 days), SQS's bounds",
        ),
        (
            {"dead_letter_retention_seconds": 1209601},
            "delivery.dead_letter_retention_seconds: 1209601 is not allowed; allowed: an integer from 60 (1 minute) "
            "to 1209600 (14 days), SQS's bounds",
        ),
        (
            {"maximum_event_age_seconds": 86401},
            "delivery.maximum_event_age_seconds: 86401 is not allowed; allowed: an integer from 60 (1 minute) to "
            "86400 (24 hours), EventBridge's bounds",
        ),
        (
            {"maximum_retry_attempts": -1},
            "delivery.maximum_retry_attempts: -1 is not allowed; allowed: an integer from 0 to 185, "
            "EventBridge's bounds",
        ),
        (
            {"maximum_retry_attempts": 1.5},
            "delivery.maximum_retry_attempts: 1.5 is not allowed; allowed: an integer from 0 to 185, "
            "EventBridge's bounds",
        ),
        (
            {"alarm_actions": [ONCALL]},
            f"delivery.alarm_actions: [{json.dumps(ONCALL)}] is not allowed; allowed: a mapping of region name to a "
            "list of alarm action ARNs in that region (an empty list: no one is notified there), or [] to notify "
            "no one in any region",
        ),
        (
            {"alarm_actions": {"ap-south-1": [ONCALL]}},
            'delivery.alarm_actions.ap-south-1: region "ap-south-1" is not in regions; '
            "allowed: one of us-east-1, eu-west-1",
        ),
        (
            {"alarm_actions": {"eu-west-1": [ONCALL]}},
            f"delivery.alarm_actions.eu-west-1[0]: {ONCALL!r} is in region us-east-1, not eu-west-1; allowed: the ARN "
            "of an SNS topic or other CloudWatch alarm action in the stack's region, not the alerts topic",
        ),
    ],
)
def test_rejects_delivery_settings_out_of_bounds_in_the_config_file(delivery: dict, expected: str) -> None:
    assert config_problems(delivery=delivery) == (expected,)

"""Delivery you can trust: the key, topic and queue policies as data, the synthesized KMS key, dead-letter
queue, retry policy and alarms, and the rejections of settings that would lose findings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # aliased: pytest would try to collect a class named Test*
from guardduty_alerts import GuardDutyAlerts, InvalidPropsError
from guardduty_alerts._aws import AwsProvider
from guardduty_alerts.config import parse_config
from guardduty_alerts.delivery import failed_invocation_groups
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.policies import TOPIC_ADMIN_ACTIONS, dead_letter_queue_policy, key_policy, topic_policy
from test_construct import RECIPIENTS, only, ref

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


def synth(region: str = "us-east-1", **props: Any) -> dict:
    app = CdktfTesting.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region=region)
    GuardDutyAlerts(stack, "alerts", **{"recipients": RECIPIENTS, **props})
    return json.loads(CdktfTesting.synth(stack))


@pytest.fixture(scope="module")
def default() -> dict:
    return synth()


def test_default_topic_is_encrypted_with_a_rotated_customer_managed_key(default: dict) -> None:
    resources = default["resource"]
    key = only(resources, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    policy = json.loads(key["policy"])
    (partition,) = default["data"]["aws_partition"]
    (identity,) = default["data"]["aws_caller_identity"]
    account = f"${{data.aws_caller_identity.{identity}.account_id}}"
    root = f"arn:${{data.aws_partition.{partition}.partition}}:iam::{account}:root"
    assert policy == key_policy(account_root_arn=root)
    alias = only(resources, "aws_kms_alias")
    assert alias == {"name": "alias/guardduty-alerts", "target_key_id": ref(resources, "aws_kms_key", "key_id")}
    assert only(resources, "aws_sns_topic")["kms_master_key_id"] == ref(resources, "aws_kms_key", "arn")


def test_target_retries_for_a_day_then_dead_letters_to_an_encrypted_queue(default: dict) -> None:
    resources = default["resource"]
    targets = list(resources["aws_cloudwatch_event_target"].values())
    assert len(targets) == len(resources["aws_cloudwatch_event_rule"]) > 1
    for target in targets:
        assert target["retry_policy"] == {"maximum_event_age_in_seconds": 86400, "maximum_retry_attempts": 185}
        assert target["dead_letter_config"] == {"arn": ref(resources, "aws_sqs_queue", "arn")}
    queue = only(resources, "aws_sqs_queue")
    assert queue == {
        "name": "guardduty-alerts-dead-letters",
        "message_retention_seconds": 1209600,
        "kms_master_key_id": ref(resources, "aws_kms_key", "arn"),
    }
    queue_policy = only(resources, "aws_sqs_queue_policy")
    assert queue_policy["queue_url"] == ref(resources, "aws_sqs_queue", "url")
    rule_arns = [f"${{aws_cloudwatch_event_rule.{key}.arn}}" for key in resources["aws_cloudwatch_event_rule"]]
    policy = json.loads(queue_policy["policy"])
    allowed = policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(allowed) == sorted(rule_arns)  # every rule, in the construct's rule order
    assert policy == dead_letter_queue_policy(queue_arn=ref(resources, "aws_sqs_queue", "arn"), rule_arns=allowed)


def test_alarms_watch_every_rule_s_failed_invocations_and_the_dead_letters(default: dict) -> None:
    resources = default["resource"]
    alarms = {alarm["alarm_name"]: alarm for alarm in resources["aws_cloudwatch_metric_alarm"].values()}
    assert sorted(alarms) == [
        "guardduty-alerts-critical-failed-invocations",
        "guardduty-alerts-dead-letters",
        "guardduty-alerts-high-failed-invocations",
        "guardduty-alerts-medium-failed-invocations",
    ]
    watched = []
    for band in ("medium", "high", "critical"):
        queries = alarms[f"guardduty-alerts-{band}-failed-invocations"]["metric_query"]
        (total,) = [q for q in queries if "expression" in q]
        assert total == {"id": "failed", "expression": "SUM(METRICS())", "label": "FailedInvocations", "return_data": True}
        metrics = [q["metric"] for q in queries if "metric" in q]
        assert 0 < len(metrics) <= 10  # CloudWatch's hard limit for metric math alarms
        for metric in metrics:
            assert (metric["namespace"], metric["metric_name"], metric["stat"]) == ("AWS/Events", "FailedInvocations", "Sum")
            watched.append(metric["dimensions"]["RuleName"])
    rule_names = [f"${{aws_cloudwatch_event_rule.{key}.name}}" for key in resources["aws_cloudwatch_event_rule"]]
    assert sorted(watched) == sorted(rule_names)  # every rule once
    dead = alarms["guardduty-alerts-dead-letters"]
    assert (dead["namespace"], dead["metric_name"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert dead["dimensions"] == {"QueueName": ref(resources, "aws_sqs_queue", "name")}
    for alarm in alarms.values():
        assert (alarm["comparison_operator"], alarm["threshold"], alarm["treat_missing_data"]) == (
            "GreaterThanThreshold",
            0,
            "notBreaching",
        )
        assert "alarm_actions" not in alarm


def test_failed_invocation_alarms_split_a_band_of_more_than_ten_rules() -> None:
    keys = [f"high-shape{n:02}" for n in range(12)] + ["low-instance"]
    assert failed_invocation_groups(keys) == {
        "high": keys[:10],
        "high-from-high-shape10": keys[10:12],
        "low": ["low-instance"],
    }


def test_alarm_actions_reach_every_alarm() -> None:
    resources = synth(alarm_actions=[ONCALL])["resource"]
    assert {json.dumps(a["alarm_actions"]) for a in resources["aws_cloudwatch_metric_alarm"].values()} == {
        json.dumps([ONCALL])
    }


def test_brings_an_existing_key_instead_of_creating_one() -> None:
    resources = synth(existing_kms_key_arn=KEY)["resource"]
    assert "aws_kms_key" not in resources and "aws_kms_alias" not in resources
    assert only(resources, "aws_sns_topic")["kms_master_key_id"] == KEY
    assert only(resources, "aws_sqs_queue")["kms_master_key_id"] == KEY


def test_encryption_can_be_turned_off_explicitly_and_the_queue_keeps_sqs_managed_encryption() -> None:
    resources = synth(encrypt_topic=False)["resource"]
    assert "aws_kms_key" not in resources
    assert "kms_master_key_id" not in only(resources, "aws_sns_topic")
    assert only(resources, "aws_sqs_queue")["sqs_managed_sse_enabled"] is True


def test_custom_delivery_settings_reach_target_and_queue() -> None:
    resources = synth(maximum_event_age_seconds=3600, maximum_retry_attempts=10, dead_letter_retention_seconds=345600)[
        "resource"
    ]
    assert {json.dumps(t["retry_policy"], sort_keys=True) for t in resources["aws_cloudwatch_event_target"].values()} == {
        json.dumps({"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 10}, sort_keys=True)
    }
    assert only(resources, "aws_sqs_queue")["message_retention_seconds"] == 345600


# --- rejections ------------------------------------------------------------------------------------------

_AWS_MANAGED = (
    "is an AWS-managed key: its key policy cannot be changed to let EventBridge (events.amazonaws.com) use it, "
    "so every delivery to the topic would fail and no finding would arrive; allowed: the ARN of a "
    "customer-managed KMS key (or of its alias) in the stack's region, or leave it out to have one created"
)


def props_problems(region: str = "us-east-1", **props: Any) -> tuple[str, ...]:
    app = CdktfTesting.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region=region)
    with pytest.raises(InvalidPropsError) as caught:
        GuardDutyAlerts(stack, "alerts", **{"recipients": RECIPIENTS, **props})
    return caught.value.problems


@pytest.mark.parametrize(
    "key",
    [
        "alias/aws/sns",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/sns",
        f"arn:aws-us-gov:kms:us-gov-west-1:{ACCOUNT}:alias/aws/sns",
        "alias/aws/sqs",
    ],
)
def test_rejects_the_aws_managed_sns_key(key: str) -> None:
    assert props_problems(existing_kms_key_arn=key) == (f"existing_kms_key_arn: {key!r} {_AWS_MANAGED}",)


def test_rejects_a_key_arn_from_another_region() -> None:
    other = KEY.replace("us-east-1", "eu-west-1")
    assert props_problems(existing_kms_key_arn=other) == (
        f"existing_kms_key_arn: {other!r} is a key in region eu-west-1, not us-east-1; SNS can only use a key in "
        "the topic's own region; allowed: the ARN of a customer-managed KMS key (or of its alias) in the stack's "
        "region",
    )


def test_rejects_delivery_settings_out_of_aws_bounds_all_at_once() -> None:
    assert props_problems(
        maximum_event_age_seconds=59,
        maximum_retry_attempts=186,
        dead_letter_retention_seconds=1209601,
        existing_kms_key_arn="1234abcd-12ab-34cd-56ef-1234567890ab",
        encrypt_topic=True,
        alarm_actions=[f"arn:aws:sns:us-east-1:{ACCOUNT}:guardduty-alerts"],
    ) == (
        "existing_kms_key_arn: '1234abcd-12ab-34cd-56ef-1234567890ab' is not a KMS key ARN; allowed: the ARN of a "
        "customer-managed KMS key (or of its alias) in the stack's region",
        "maximum_event_age_seconds: 59 is not allowed; allowed: an integer from 60 (1 minute) to 86400 (24 hours), "
        "EventBridge's bounds",
        "maximum_retry_attempts: 186 is not allowed; allowed: an integer from 0 to 185, EventBridge's bounds",
        "dead_letter_retention_seconds: 1209601 is not allowed; allowed: an integer from 60 (1 minute) to 1209600 "
        "(14 days), SQS's bounds",
        f"alarm_actions[0]: 'arn:aws:sns:us-east-1:{ACCOUNT}:guardduty-alerts' is the alerts topic itself: an alarm "
        "about failed deliveries sent to the topic that fails to deliver is no alarm; allowed: the ARN of an SNS "
        "topic or other CloudWatch alarm action in the stack's region, not the alerts topic",
    )


def test_rejects_a_key_when_encryption_is_off() -> None:
    assert props_problems(encrypt_topic=False, existing_kms_key_arn=KEY) == (
        f"existing_kms_key_arn: {KEY!r} is given but encrypt_topic is False; allowed: leave it out, or set "
        "encrypt_topic to True",
    )


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


def test_rejects_the_aws_managed_key_in_the_config_file() -> None:
    assert config_problems(topic_encryption={"existing_kms_key_arns": {"us-east-1": "alias/aws/sns"}}) == (
        f"topic_encryption.existing_kms_key_arns.us-east-1: 'alias/aws/sns' {_AWS_MANAGED}",
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

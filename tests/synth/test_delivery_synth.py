"""Delivery you can trust, synthesized: the KMS key, dead-letter queue, retry policy and alarms the construct
writes, and its rejections of props that would lose findings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # aliased: pytest would try to collect a class named Test*
from cdktf_cdktf_provider_aws.provider import AwsProvider
from guardduty_alerts import GuardDutyAlerts, InvalidPropsError
from guardduty_alerts.policies import dead_letter_queue_policy, key_policy
from helpers import AWS_MANAGED_KEY_PROBLEM, RECIPIENTS, only, ref, synth_construct

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:guardduty-alerts"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:guardduty-alerts-dead-letters"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/guardduty-alerts-findings"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ONCALL = f"arn:aws:sns:us-east-1:{ACCOUNT}:oncall"


def synth(region: str = "us-east-1", **props: Any) -> dict:
    return synth_construct(region, **props)[1]


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
    # The delivery alarms notify this topic by default, so CloudWatch may use the key too.
    assert policy == key_policy(account_root_arn=root, cloudwatch_alarms=True)
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


def test_one_alarm_sums_every_rule_s_failed_invocations_and_one_watches_the_dead_letters(default: dict) -> None:
    resources = default["resource"]
    alarms = {alarm["alarm_name"]: alarm for alarm in resources["aws_cloudwatch_metric_alarm"].values()}
    assert sorted(alarms) == ["guardduty-alerts-dead-letters", "guardduty-alerts-failed-invocations"]
    failed = alarms["guardduty-alerts-failed-invocations"]
    (total,) = [q for q in failed["metric_query"] if "expression" in q]
    assert total == {"id": "failed", "expression": "SUM(METRICS())", "label": "Failed", "return_data": True}
    metrics = [q["metric"] for q in failed["metric_query"] if "metric" in q]
    for metric in metrics:
        assert (metric["namespace"], metric["metric_name"], metric["stat"]) == (
            "AWS/Events",
            "FailedInvocations",
            "Sum",
        )
    rule_names = [f"${{aws_cloudwatch_event_rule.{key}.name}}" for key in resources["aws_cloudwatch_event_rule"]]
    assert sorted(metric["dimensions"]["RuleName"] for metric in metrics) == sorted(rule_names)  # every rule once
    assert failed["alarm_description"] == (
        "GuardDuty findings could not be delivered by EventBridge (rules guardduty-alerts-critical, "
        "guardduty-alerts-high, guardduty-alerts-medium, guardduty-alerts-sample): check the KMS key policy, the "
        "topic policy or the function. EventBridge retries for up to the maximum event age, then sends them to the "
        "SQS dead-letter queue guardduty-alerts-dead-letters."
    )
    dead = alarms["guardduty-alerts-dead-letters"]
    assert (dead["namespace"], dead["metric_name"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert dead["dimensions"] == {"QueueName": ref(resources, "aws_sqs_queue", "name")}
    for alarm in alarms.values():
        assert (alarm["comparison_operator"], alarm["threshold"], alarm["treat_missing_data"]) == (
            "GreaterThanThreshold",
            0,
            "notBreaching",
        )
        assert alarm["alarm_actions"] == [ref(resources, "aws_sns_topic", "arn")]
    assert "guardduty-alerts-dead-letters: read them" in dead["alarm_description"]


# SNS developer guide, "Encryption at rest" > "Enable compatibility between event sources from AWS services and
# encrypted topics": CloudWatch needs kms:Decrypt and kms:GenerateDataKey* on the topic's key. SNS developer
# guide, "Amazon SNS access control case examples": CloudWatch alarms publish as cloudwatch.amazonaws.com,
# conditioned on the alarm's ARN and the account.
def test_alarms_notify_the_alert_topic_by_default_which_lets_cloudwatch_publish(default: dict) -> None:
    resources = default["resource"]
    statements = json.loads(only(resources, "aws_sns_topic_policy")["policy"])["Statement"]
    (alarms,) = [s for s in statements if s["Sid"] == "AllowDeliveryAlarmsToPublish"]
    owner = ref(resources, "aws_sns_topic", "owner")
    assert alarms == {
        "Sid": "AllowDeliveryAlarmsToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": ref(resources, "aws_sns_topic", "arn"),
        "Condition": {
            "ArnLike": {
                "aws:SourceArn": [
                    f"arn:*:cloudwatch:*:{owner}:alarm:guardduty-alerts-{alarm}"
                    for alarm in ("failed-invocations", "dead-letters", "channel-failures")
                ]
            },
            "StringEquals": {"aws:SourceAccount": owner},
        },
    }
    key_statements = json.loads(only(resources, "aws_kms_key")["policy"])["Statement"]
    (cloudwatch,) = [s for s in key_statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_an_empty_alarm_actions_list_notifies_no_one_and_grants_cloudwatch_nothing() -> None:
    resources = synth(alarm_actions=[])["resource"]
    for alarm in resources["aws_cloudwatch_metric_alarm"].values():
        assert "alarm_actions" not in alarm
    assert "cloudwatch.amazonaws.com" not in only(resources, "aws_sns_topic_policy")["policy"]
    assert "cloudwatch.amazonaws.com" not in only(resources, "aws_kms_key")["policy"]


def test_without_recipients_and_alarm_actions_there_is_no_topic_and_no_one_is_notified() -> None:
    from guardduty_alerts import SlackWebhookChannel

    resources = synth(recipients=[], channels=[SlackWebhookChannel(url_ssm_parameter="/chat/hook")])["resource"]
    assert "aws_sns_topic" not in resources
    for alarm in resources["aws_cloudwatch_metric_alarm"].values():
        assert "alarm_actions" not in alarm
    assert "cloudwatch.amazonaws.com" not in only(resources, "aws_kms_key")["policy"]


def test_given_alarm_actions_replace_the_topic_and_grant_cloudwatch_nothing_on_it() -> None:
    resources = synth(alarm_actions=[ONCALL])["resource"]
    assert "cloudwatch.amazonaws.com" not in only(resources, "aws_sns_topic_policy")["policy"]
    assert "cloudwatch.amazonaws.com" not in only(resources, "aws_kms_key")["policy"]


def test_with_the_formatter_the_delivery_alarm_also_counts_the_function_s_lost_dead_letters() -> None:
    resources = synth(subject_formatter=True)["resource"]
    (alarm,) = [a for a in resources["aws_cloudwatch_metric_alarm"].values() if "metric_query" in a]
    metrics = [q["metric"] for q in alarm["metric_query"] if "metric" in q]
    assert sorted((m["namespace"], m["metric_name"]) for m in metrics) == [
        ("AWS/Events", "FailedInvocations"),
        ("AWS/Lambda", "DeadLetterErrors"),
    ]
    (function_key,) = resources["aws_lambda_function"]
    (lambda_metric,) = [m for m in metrics if m["namespace"] == "AWS/Lambda"]
    assert lambda_metric["dimensions"] == {"FunctionName": f"${{aws_lambda_function.{function_key}.function_name}}"}


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
    assert {
        json.dumps(t["retry_policy"], sort_keys=True) for t in resources["aws_cloudwatch_event_target"].values()
    } == {json.dumps({"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 10}, sort_keys=True)}
    assert only(resources, "aws_sqs_queue")["message_retention_seconds"] == 345600


# --- rejections ------------------------------------------------------------------------------------------


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
    assert props_problems(existing_kms_key_arn=key) == (f"existing_kms_key_arn: {key!r} {AWS_MANAGED_KEY_PROBLEM}",)


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


def test_rejects_alarm_actions_given_as_one_string() -> None:
    assert props_problems(alarm_actions=ONCALL) == (
        f"alarm_actions: {ONCALL!r} is not a list; allowed: a list of ARNs, an empty list (no one is notified) or "
        "None (the alerts topic)",
    )

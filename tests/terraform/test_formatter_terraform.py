"""The subject formatter's stack: Terraform validate, apply on the emulator, least privilege."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import boto3
import pytest
from guardduty_alerts.formatter import LOG_RETENTION_DAYS
from guardduty_alerts_app.config import AlertsConfig
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import terraform


def client(service: str, endpoint: str, region: str):
    return boto3.client(
        service, endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.mark.terraform
def test_formatter_stack_validates_applies_and_is_least_privilege(
    example_config: AlertsConfig, aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path
) -> None:
    region = "eu-west-1"
    config = dataclasses.replace(
        example_config, regions=(region,), endpoint_url=moto_endpoint, subject_formatter=True, severity_threshold="CRITICAL"
    )
    outdir = tmp_path / "cdktf.out"
    (name,) = synth_to(config, outdir, state_dir=tmp_path)
    stack_dir = outdir / "stacks" / name
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    resources = stack["resource"]
    (function,) = resources["aws_lambda_function"].values()
    with zipfile.ZipFile(stack_dir / function["filename"]) as archive:
        # accounts.py: the one wording of an account, which the handler imports (ACCOUNT_NAMES).
        assert sorted(archive.namelist()) == ["accounts.py", "handler.py", "mail_templates.json"]
    permissions = resources["aws_lambda_permission"].values()
    rule_arns = {"${aws_cloudwatch_event_rule." + key + ".arn}" for key in resources["aws_cloudwatch_event_rule"]}
    # Exactly one rule, one target and one invoke permission: the function computes what the rules used to.
    assert {p["source_arn"] for p in permissions} == rule_arns and len(rule_arns) == 1
    assert len(resources["aws_cloudwatch_event_target"]) == 1
    assert "archive" not in json.dumps(stack.get("terraform", {}).get("required_providers", {}))

    terraform(aws_env, stack_dir, "init", "-input=false")
    report = json.loads(terraform(aws_env, stack_dir, "validate", "-json").stdout)
    assert report["valid"] is True and report["warning_count"] == 0, report
    terraform(aws_env, stack_dir, "apply", "-auto-approve", "-input=false", "-parallelism=30")

    lambda_ = client("lambda", moto_endpoint, region)
    fn = lambda_.get_function(FunctionName="guardduty-alerts-formatter")["Configuration"]
    assert fn["Runtime"] == "python3.12" and fn["Handler"] == "handler.handler"
    policy = json.loads(lambda_.get_policy(FunctionName="guardduty-alerts-formatter")["Policy"])
    conditions = {s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"]}
    events = client("events", moto_endpoint, region)
    rules = events.list_rules(NamePrefix="guardduty-alerts-")["Rules"]
    assert conditions == {rule["Arn"] for rule in rules}
    (target,) = events.list_targets_by_rule(Rule="guardduty-alerts-findings")["Targets"]
    assert target["Arn"] == fn["FunctionArn"]
    assert "InputTransformer" not in target, "the function gets the whole event"
    # The function's own failures (after Lambda's retries) go to the construct's dead-letter queue.
    queue_url = json.loads(terraform(aws_env, stack_dir, "output", "-json").stdout)["dead_letter_queue_url"]["value"]
    sqs = client("sqs", moto_endpoint, region)
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert fn["DeadLetterConfig"] == {"TargetArn": queue_arn}

    logs = client("logs", moto_endpoint, region)
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/guardduty-alerts-formatter")["logGroups"]
    assert group["retentionInDays"] == LOG_RETENTION_DAYS
    iam = client("iam", moto_endpoint, region)
    role_policy = iam.get_role_policy(RoleName="guardduty-alerts-formatter-eu-west-1", PolicyName="publish-findings")
    statements = {s["Sid"]: s for s in role_policy["PolicyDocument"]["Statement"]}
    topic_arn = json.loads(terraform(aws_env, stack_dir, "output", "-json").stdout)["topic_arn"]["value"]
    assert statements["PublishToTheAlertTopic"]["Action"] == "sns:Publish"
    assert statements["PublishToTheAlertTopic"]["Resource"] == topic_arn
    assert statements["WriteOwnLogs"]["Resource"] == f"{group['arn'].removesuffix(':*')}:*"
    assert (statements["DeadLetterFailedEvents"]["Action"], statements["DeadLetterFailedEvents"]["Resource"]) == (
        "sqs:SendMessage",
        queue_arn,
    )
    assert len(statements) == 3
    sns = client("sns", moto_endpoint, region)
    topic_policy = json.loads(sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"])
    publishers = [s for s in topic_policy["Statement"] if s["Action"] == "sns:Publish"]
    # The delivery alarms notify this topic too (no alarm_actions given): CloudWatch, for those alarms only.
    (alarms,) = [s for s in publishers if s["Sid"] == "AllowDeliveryAlarmsToPublish"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    publishers.remove(alarms)
    role_arn = iam.get_role(RoleName="guardduty-alerts-formatter-eu-west-1")["Role"]["Arn"]
    assert publishers == [
        {
            "Sid": "AllowSubjectFormatterToPublish",
            "Effect": "Allow",
            "Principal": {"AWS": role_arn},
            "Action": "sns:Publish",
            "Resource": topic_arn,
        }
    ], "with the formatter, EventBridge no longer needs to publish"

    plan = terraform(aws_env, stack_dir, "plan", "-detailed-exitcode", "-input=false", check=False)
    assert plan.returncode == 0, f"plan after apply is not empty:\n{plan.stdout}\n{plan.stderr}"
    # No destroy: the example deployment's test shows destroy leaves nothing, and the emulator, with this
    # stack's region to itself, is gone at the end of the session.

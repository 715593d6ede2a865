"""The subject formatter: its handler over every event, and its Terraform (validate, apply on the emulator)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import zipfile
from pathlib import Path

import boto3
import pytest
from conftest import FINDINGS_DIR, terraform
from guardduty_alerts.app import synth_to
from guardduty_alerts.config import AlertsConfig
from guardduty_alerts.formatter import HANDLER_DIR, LOG_RETENTION_DAYS, mail_templates
from guardduty_alerts.notifications import mail_rules
from guardduty_alerts.preview import render_mail

OWN_EVENTS = Path(__file__).resolve().parent / "events"
FINDINGS = sorted(FINDINGS_DIR.glob("*.json")) + sorted(OWN_EVENTS.glob("*.json"))


@pytest.fixture(scope="module")
def handler(tmp_path_factory: pytest.TempPathFactory):
    """The handler module as Lambda loads it: handler.py beside the mail_templates.json the asset holds."""
    folder = tmp_path_factory.mktemp("function")
    (folder / "handler.py").write_text((HANDLER_DIR / "handler.py").read_text())
    (folder / "mail_templates.json").write_text(json.dumps(mail_templates()))
    spec = importlib.util.spec_from_file_location("formatter_handler", folder / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", FINDINGS, ids=lambda p: p.name)
def test_handler_formats_every_finding_like_the_plain_mail_without_quotes(handler, path: Path) -> None:
    event = json.loads(path.read_text())
    (rule,) = [r for r in mail_rules(1.0) if _matches(r, event)]
    subject, body = handler.render(rule.key, event)
    assert len(subject) <= 100
    assert subject.isascii() and "\n" not in subject
    detail = event["detail"]
    sample = (detail["service"].get("additionalInfo") or {}).get("sample") is True
    expected_start = f"[GuardDuty]{'[SAMPLE]' if sample else ''}[{rule.band.name} {float(detail['severity']):.1f}] {detail['type']}"
    assert subject.startswith(expected_start[:100])
    # The same lines as the EventBridge template renders, minus the quotes EventBridge keeps.
    quoted = render_mail(rule, event)
    assert body == "\n".join(line[1:-1] if line.startswith('"') else line for line in _quoted_lines(quoted))


def _matches(rule, event: dict) -> bool:
    from moto.events.models import EventPattern

    return EventPattern.load(rule.pattern_json()).matches_event(event)


def _quoted_lines(mail: str) -> list[str]:
    # A description with line breaks spans several physical lines inside one quoted template line.
    lines: list[str] = []
    for physical in mail.split("\n"):
        if lines and not (lines[-1].endswith('"') and len(lines[-1]) > 1):
            lines[-1] += "\n" + physical
        else:
            lines.append(physical)
    return lines


def test_subject_is_cut_to_the_sns_limit(handler) -> None:
    event = {"account": "123456789012", "region": "ap-southeast-2", "detail": {"severity": 8, "type": "X" * 150}}
    subject = handler.subject("HIGH", False, event)
    assert len(subject) == 100 and subject.endswith("...")
    assert subject.startswith("[GuardDuty][HIGH 8.0] XXX")


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
        assert sorted(archive.namelist()) == ["handler.py", "mail_templates.json"]
    permissions = resources["aws_lambda_permission"].values()
    rule_arns = {"${aws_cloudwatch_event_rule." + key + ".arn}" for key in resources["aws_cloudwatch_event_rule"]}
    assert {p["source_arn"] for p in permissions} == rule_arns and len(rule_arns) == 10
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
    (target,) = events.list_targets_by_rule(Rule="guardduty-alerts-critical-instance")["Targets"]
    assert target["Arn"] == fn["FunctionArn"]

    logs = client("logs", moto_endpoint, region)
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/guardduty-alerts-formatter")["logGroups"]
    assert group["retentionInDays"] == LOG_RETENTION_DAYS
    iam = client("iam", moto_endpoint, region)
    role_policy = iam.get_role_policy(RoleName="guardduty-alerts-formatter", PolicyName="publish-findings")
    statements = {s["Sid"]: s for s in role_policy["PolicyDocument"]["Statement"]}
    topic_arn = json.loads(terraform(aws_env, stack_dir, "output", "-json").stdout)["topic_arn"]["value"]
    assert statements["PublishToTheAlertTopic"]["Action"] == "sns:Publish"
    assert statements["PublishToTheAlertTopic"]["Resource"] == topic_arn
    assert statements["WriteOwnLogs"]["Resource"] == f"{group['arn'].removesuffix(':*')}:*"
    assert len(statements) == 2
    sns = client("sns", moto_endpoint, region)
    topic_policy = json.loads(sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"])
    publishers = [s for s in topic_policy["Statement"] if s["Action"] == "sns:Publish"]
    role_arn = iam.get_role(RoleName="guardduty-alerts-formatter")["Role"]["Arn"]
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
    terraform(aws_env, stack_dir, "destroy", "-auto-approve", "-input=false", "-parallelism=30")

"""Real Terraform on the synthesized stacks: validate every stack, then apply, re-plan and destroy the example
configuration against a moto server on 127.0.0.1 and look at what was created with boto3."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import boto3
import pytest
from guardduty_alerts_app.config import AlertsConfig
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import read_json, terraform

pytestmark = pytest.mark.terraform


def test_every_example_stack_passes_terraform_validate(
    initialized_example_stacks: dict[str, Path], terraform_env: dict[str, str]
) -> None:
    assert sorted(initialized_example_stacks) == ["guardduty-alerts-eu-west-1", "guardduty-alerts-us-east-1"]
    for stack_dir in initialized_example_stacks.values():
        result = terraform(terraform_env, stack_dir, "validate", "-json")
        report = json.loads(result.stdout)
        assert report["valid"] is True, report
        assert report["warning_count"] == 0, report["diagnostics"]


def client(service: str, endpoint: str, region: str):
    return boto3.client(
        service, endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def test_example_applies_to_the_emulator_without_drift_and_destroys_cleanly(
    example_config: AlertsConfig, aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path
) -> None:
    region = "us-east-1"
    config = dataclasses.replace(example_config, regions=(region,), endpoint_url=moto_endpoint)
    outdir = tmp_path / "cdktf.out"
    (name,) = synth_to(config, outdir, state_dir=tmp_path)
    stack_dir = outdir / "stacks" / name
    terraform(aws_env, stack_dir, "init", "-input=false")
    terraform(aws_env, stack_dir, "apply", "-auto-approve", "-input=false")
    assert (tmp_path / f"terraform.{name}.tfstate").is_file(), "state belongs beside the project, not in cdktf.out"

    outputs = {key: value["value"] for key, value in json.loads(terraform(aws_env, stack_dir, "output", "-json").stdout).items()}
    guardduty = client("guardduty", moto_endpoint, region)
    sns = client("sns", moto_endpoint, region)
    events = client("events", moto_endpoint, region)

    assert guardduty.list_detectors()["DetectorIds"] == [outputs["detector_id"]]
    detector = guardduty.get_detector(DetectorId=outputs["detector_id"])
    assert detector["Status"] == "ENABLED"
    assert detector["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert detector["Tags"] == {"managed-by": "cdktf", "owner": "security"}

    topic_arn = outputs["topic_arn"]
    assert topic_arn.endswith(":guardduty-alerts")
    attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    policy = json.loads(attributes["Policy"])
    (publish,) = [s for s in policy["Statement"] if s["Sid"] == "AllowGuardDutyFindingRulesToPublish"]
    assert publish["Principal"] == {"Service": "events.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert publish["Resource"] == topic_arn
    rule_arns = outputs["rule_arns"]
    assert len(rule_arns) == 30
    assert sorted(publish["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(rule_arns.values())

    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == [
        ("email", "oncall@example.com"),
        ("email", "security-team@example.com"),
    ]

    names = sorted(r["Name"] for r in events.list_rules(NamePrefix="guardduty-alerts-")["Rules"])
    assert names == sorted(f"guardduty-alerts-{key}" for key in rule_arns)
    rule = events.describe_rule(Name="guardduty-alerts-high-lambda")
    assert rule["Arn"] == rule_arns["high-lambda"]
    assert rule["State"] == "ENABLED"
    assert json.loads(rule["EventPattern"])["detail"]["severity"] == [{"numeric": [">=", 7, "<", 9]}]
    (target,) = events.list_targets_by_rule(Rule="guardduty-alerts-high-lambda")["Targets"]
    assert (target["Id"], target["Arn"]) == ("sns-topic", topic_arn)
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"]["functionName"] == "$.detail.resource.lambdaDetails.functionName"
    assert transformer["InputTemplate"].startswith('"GuardDuty finding: HIGH <severity> <type> in account')

    (filter_name,) = [rule.name for rule in example_config.suppression_rules]
    archive = guardduty.get_filter(DetectorId=outputs["detector_id"], FilterName=filter_name)
    assert archive["Action"] == "ARCHIVE"
    assert archive["Rank"] == 1
    assert archive["FindingCriteria"]["Criterion"] == {
        "resource.instanceDetails.tags.value": {"Equals": ["vulnerability-scanner"]},
        "type": {"Equals": ["Recon:EC2/PortProbeUnprotectedPort"]},
    }

    # A second plan right after apply must find nothing to do, or every `cdktf diff` would nag.
    plan = terraform(aws_env, stack_dir, "plan", "-detailed-exitcode", "-input=false", check=False)
    assert plan.returncode == 0, f"plan after apply is not empty:\n{plan.stdout}\n{plan.stderr}"

    terraform(aws_env, stack_dir, "destroy", "-auto-approve", "-input=false")
    assert guardduty.list_detectors()["DetectorIds"] == []
    assert topic_arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert events.list_rules(NamePrefix="guardduty-alerts-")["Rules"] == []
    state = read_json(tmp_path / f"terraform.{name}.tfstate")
    assert state["resources"] == []

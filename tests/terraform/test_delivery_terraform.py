"""Delivery end to end on the emulator: Terraform applies the example configuration to moto, GuardDuty events
go onto the default bus, and what reaches the topic is read back through an SQS queue the test subscribes.

moto does not deliver EventBridge events to SNS targets: tests/emulator.py stands in for that one feature,
using the rule, pattern and target that Terraform created (read from moto's own state).

Drift: with moto 5.2.5 and hashicorp/aws 5.100.0 a plan right after apply is empty for every resource here
(KMS key and alias, topic with key, DLQ and its policy, target with retry policy and dead-letter config,
alarms), so the plan test expects exit code 0 with no exception. Not emulated, so not proven here: retries and
dead-lettering after failed deliveries, and KMS or policy evaluation (moto enforces neither key policies nor
topic/queue policies); the policies are asserted as data in test_delivery.py instead.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from emulator import put_guardduty_events, receive_all
from guardduty_alerts_app.config import AlertsConfig
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import FINDINGS_DIR, read_json, terraform

pytestmark = pytest.mark.terraform

REGION = "us-east-1"
THRESHOLD = 4.0  # the example configuration's MEDIUM


def corpus() -> list[dict[str, Any]]:
    """Every stored event: findings of severities 2 to 9 and GuardDuty events that are not findings."""
    return [read_json(path) for path in sorted(FINDINGS_DIR.rglob("*.json"))]


def own_findings() -> list[dict[str, Any]]:
    """Findings on both sides of the threshold, of kinds the corpus lacks (Lambda, malware protection)."""
    template = read_json(FINDINGS_DIR / "blu371ck-soar__Recon_EC2_Portscan.json")
    made = []
    for finding_type, severity in [
        ("Execution:Lambda/MaliciousIPCaller.Custom", 4.0),  # exactly at the threshold: delivered
        ("Object:S3/MaliciousFile", 3.9),  # just below: filtered out
        ("Backdoor:Lambda/C&CActivity.B", 8.0),
        ("Recon:EC2/PortProbeUnprotectedPort", 1.0),
    ]:
        event = copy.deepcopy(template)
        finding_id = f"own-{finding_type.replace(':', '-').replace('/', '-').replace('&', '').lower()}"
        event["detail"].update(id=finding_id, type=finding_type, severity=severity, title=f"{finding_type} test")
        made.append(event)
    return made


def finding_id(message: str) -> str:
    """The finding id a delivered mail names (the mail templates end with a 'Finding id:' line)."""
    # Each template line is a quoted string, as EventBridge text templates are written (see templates.py).
    match = re.search(r'^"?Finding id: ([^"\s]+)"?$', message, re.MULTILINE)
    assert match, message
    return match.group(1)


def should_be_mailed(event: dict[str, Any]) -> bool:
    """Written out independently of the rule's pattern: a finding, at or above the threshold."""
    return event["detail-type"] == "GuardDuty Finding" and event["detail"]["severity"] >= THRESHOLD


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclasses.dataclass
class Deployment:
    stack_dir: Path
    state_file: Path
    outputs: dict[str, Any]
    endpoint: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def deployed(
    example_config: AlertsConfig, terraform_env: dict[str, str], moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """The example configuration, one region, applied to the emulator; destroyed at the end whatever happens."""
    env = dict(terraform_env, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    workdir = tmp_path_factory.mktemp("delivery")
    config = dataclasses.replace(example_config, regions=(REGION,), endpoint_url=moto_endpoint)
    (name,) = synth_to(config, workdir / "cdktf.out", state_dir=workdir)
    stack_dir = workdir / "cdktf.out" / "stacks" / name
    terraform(env, stack_dir, "init", "-input=false")
    terraform(env, stack_dir, "apply", "-auto-approve", "-input=false")
    outputs = {k: v["value"] for k, v in json.loads(terraform(env, stack_dir, "output", "-json").stdout).items()}
    state_file = workdir / f"terraform.{name}.tfstate"
    try:
        yield Deployment(stack_dir, state_file, outputs, moto_endpoint, env)
    finally:
        if read_json(state_file)["resources"]:  # test_destroy_leaves_nothing did not get to run or failed
            terraform(env, stack_dir, "destroy", "-auto-approve", "-input=false", check=False)


def test_findings_at_or_above_the_threshold_reach_the_topic_and_the_others_do_not(deployed: Deployment) -> None:
    sns, sqs, events = (client(s, deployed.endpoint) for s in ("sns", "sqs", "events"))
    inbox = sqs.create_queue(QueueName="roundtrip-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(TopicArn=deployed.outputs["topic_arn"], Protocol="sqs", Endpoint=inbox_arn)
    try:
        sent = corpus() + own_findings()
        put_guardduty_events(events, sent)
        messages = receive_all(sqs, inbox)
    finally:
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        sqs.delete_queue(QueueUrl=inbox)

    expected = sorted(e["detail"]["id"] for e in sent if should_be_mailed(e))
    # Guard against a vacuous pass: the corpus and our own events straddle the threshold.
    assert 0 < len(expected) < len([e for e in sent if e["detail-type"] == "GuardDuty Finding"])
    assert "own-execution-lambda-maliciousipcaller.custom" in expected
    assert "own-object-s3-maliciousfile" not in expected

    notifications = [json.loads(m["Body"]) for m in messages]
    assert {n["TopicArn"] for n in notifications} == {deployed.outputs["topic_arn"]}
    delivered = sorted(finding_id(n["Message"]) for n in notifications)
    assert delivered == expected


def test_deployed_target_retries_then_dead_letters_to_the_encrypted_queue(deployed: Deployment) -> None:
    events, sqs, kms, cloudwatch = (client(s, deployed.endpoint) for s in ("events", "sqs", "kms", "cloudwatch"))
    rule_arns: dict[str, str] = deployed.outputs["rule_arns"]
    queue_url = deployed.outputs["dead_letter_queue_url"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    for arn in rule_arns.values():
        (target,) = events.list_targets_by_rule(Rule=arn.split("/")[-1])["Targets"]
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
        assert target["DeadLetterConfig"] == {"Arn": attributes["QueueArn"]}
    assert attributes["MessageRetentionPeriod"] == "1209600"

    key_id = attributes["KmsMasterKeyId"]
    key = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    aliases = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/guardduty-alerts"]
    key_policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    (eventbridge,) = [s for s in key_policy["Statement"] if s["Sid"] == "EventBridgeEncryptsDeliveries"]
    assert eventbridge["Principal"] == {"Service": "events.amazonaws.com"}

    sns = client("sns", deployed.endpoint)
    topic = sns.get_topic_attributes(TopicArn=deployed.outputs["topic_arn"])["Attributes"]
    assert topic["KmsMasterKeyId"] == key["Arn"]

    queue_policy = json.loads(attributes["Policy"])
    (allow,) = [s for s in queue_policy["Statement"] if s["Effect"] == "Allow"]
    assert sorted(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(rule_arns.values())

    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    watched = [
        query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
        for band in ("medium", "high", "critical")
        for query in alarms[f"guardduty-alerts-{band}-failed-invocations"]["Metrics"]
        if "MetricStat" in query
    ]
    assert sorted(watched) == sorted(arn.split("/")[-1] for arn in rule_arns.values())
    assert alarms["guardduty-alerts-dead-letters"]["Dimensions"] == [
        {"Name": "QueueName", "Value": "guardduty-alerts-dead-letters"}
    ]


def test_a_second_plan_finds_nothing_to_change(deployed: Deployment) -> None:
    plan = terraform(deployed.env, deployed.stack_dir, "plan", "-detailed-exitcode", "-input=false", check=False)
    assert plan.returncode == 0, f"plan after apply is not empty:\n{plan.stdout}\n{plan.stderr}"


def test_destroy_leaves_nothing(deployed: Deployment) -> None:
    """Runs last in this module (pytest keeps file order). Looks only at what this deployment created: the
    emulator is shared by the whole session."""
    sqs, kms, cloudwatch, events = (client(s, deployed.endpoint) for s in ("sqs", "kms", "cloudwatch", "events"))
    key_id = kms.describe_key(KeyId="alias/guardduty-alerts")["KeyMetadata"]["KeyId"]
    terraform(deployed.env, deployed.stack_dir, "destroy", "-auto-approve", "-input=false")
    assert read_json(deployed.state_file)["resources"] == []
    assert deployed.outputs["dead_letter_queue_url"] not in sqs.list_queues().get("QueueUrls", [])
    alarm_names = {a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert not {name for name in alarm_names if name.startswith("guardduty-alerts-")}
    assert not [r["Name"] for r in events.list_rules()["Rules"] if r["Name"].startswith("guardduty-alerts-")]
    assert "alias/guardduty-alerts" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    # A KMS key cannot be deleted at once: destroy schedules its deletion after the 30-day waiting period.
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

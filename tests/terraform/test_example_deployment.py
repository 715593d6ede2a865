"""The example configuration applied to the emulator once (conftest's `example_deployment`) and looked at with
boto3: what Terraform created, which findings reach the topic as mails, the delivery settings, an empty second
plan; and a clean destroy, of a deployment of the test's own.

moto cannot deliver EventBridge events to SNS: tools/emulator.py stands in for that one feature with moto's own
pattern matcher and input transformer, reading the rule and target Terraform created."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from emulator import put_guardduty_events, receive_all
from helpers import FINDINGS_DIR, ExampleDeployment, deploy_example, read_json, terraform

THRESHOLD = 4.0  # the example configuration's MEDIUM


def client(service: str, deployment: ExampleDeployment) -> Any:
    return boto3.client(
        service,
        endpoint_url=deployment.endpoint,
        region_name=deployment.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_example_creates_the_detector_topic_subscriptions_rules_and_filter(
    example_deployment: ExampleDeployment,
) -> None:
    deployment = example_deployment
    outputs = deployment.outputs
    guardduty, sns, events = (client(s, deployment) for s in ("guardduty", "sns", "events"))
    assert deployment.state_file.is_file(), "state belongs beside the project, not in cdktf.out"

    assert outputs["detector_id"] in guardduty.list_detectors()["DetectorIds"]
    detector = guardduty.get_detector(DetectorId=outputs["detector_id"])
    assert detector["Status"] == "ENABLED"
    assert detector["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert detector["Tags"] == {"managed-by": "cdktf", "owner": "security"}

    topic_arn = outputs["topic_arn"]
    assert topic_arn.endswith(":guardduty-alerts")
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"])
    (publish,) = [s for s in policy["Statement"] if s["Sid"] == "AllowGuardDutyFindingRulesToPublish"]
    assert (publish["Principal"], publish["Action"], publish["Resource"]) == (
        {"Service": "events.amazonaws.com"},
        "sns:Publish",
        topic_arn,
    )
    rule_arns = outputs["rule_arns"]
    assert sorted(rule_arns) == ["critical", "high", "medium", "sample"]
    assert sorted(publish["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(rule_arns.values())

    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == [
        ("email", "oncall@example.com"),
        ("email", "security-team@example.com"),
    ]

    names = sorted(r["Name"] for r in events.list_rules(NamePrefix="guardduty-alerts-")["Rules"])
    assert names == sorted(f"guardduty-alerts-{key}" for key in rule_arns)
    rule = events.describe_rule(Name="guardduty-alerts-high")
    assert (rule["Arn"], rule["State"]) == (rule_arns["high"], "ENABLED")
    assert json.loads(rule["EventPattern"])["detail"]["severity"] == [{"numeric": [">=", 7, "<", 9]}]
    (target,) = events.list_targets_by_rule(Rule="guardduty-alerts-high")["Targets"]
    assert (target["Id"], target["Arn"]) == ("sns-topic", topic_arn)
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"]["type"] == "$.detail.type"
    assert transformer["InputTemplate"].startswith('"GuardDuty finding: HIGH <severity> <type> in account')

    (filter_name,) = [rule.name for rule in deployment.config.suppression_rules]
    archive = guardduty.get_filter(DetectorId=outputs["detector_id"], FilterName=filter_name)
    assert (archive["Action"], archive["Rank"]) == ("ARCHIVE", 1)
    assert archive["FindingCriteria"]["Criterion"] == {
        "resource.instanceDetails.tags.value": {"Equals": ["vulnerability-scanner"]},
        "type": {"Equals": ["Recon:EC2/PortProbeUnprotectedPort"]},
    }


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


def test_each_finding_at_or_above_the_threshold_reaches_the_topic_once_and_the_others_do_not(
    example_deployment: ExampleDeployment,
) -> None:
    deployment = example_deployment
    sns, sqs, events = (client(s, deployment) for s in ("sns", "sqs", "events"))
    inbox = sqs.create_queue(QueueName="roundtrip-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(TopicArn=deployment.outputs["topic_arn"], Protocol="sqs", Endpoint=inbox_arn)
    try:
        sent = [read_json(path) for path in sorted(FINDINGS_DIR.rglob("*.json"))] + own_findings()
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
    assert {n["TopicArn"] for n in notifications} == {deployment.outputs["topic_arn"]}
    delivered = sorted(finding_id(n["Message"]) for n in notifications)
    assert delivered == expected  # once each: no finding matches two rules
    for notification in notifications:
        assert not re.search(r"<[A-Za-z]+>", notification["Message"]), "no placeholder left by the transformer"


def test_every_target_retries_then_dead_letters_to_the_encrypted_queue(example_deployment: ExampleDeployment) -> None:
    deployment = example_deployment
    events, sqs, kms, cloudwatch, sns = (client(s, deployment) for s in ("events", "sqs", "kms", "cloudwatch", "sns"))
    rule_arns: dict[str, str] = deployment.outputs["rule_arns"]
    queue_url = deployment.outputs["dead_letter_queue_url"]
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
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=key["KeyId"])["Aliases"]] == ["alias/guardduty-alerts"]
    key_policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    (eventbridge,) = [s for s in key_policy["Statement"] if s["Sid"] == "EventBridgeEncryptsDeliveries"]
    assert eventbridge["Principal"] == {"Service": "events.amazonaws.com"}
    topic = sns.get_topic_attributes(TopicArn=deployment.outputs["topic_arn"])["Attributes"]
    assert topic["KmsMasterKeyId"] == key["Arn"]

    queue_policy = json.loads(attributes["Policy"])
    (allow,) = [s for s in queue_policy["Statement"] if s["Effect"] == "Allow"]
    assert sorted(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(rule_arns.values())

    alarms = {
        a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNamePrefix="guardduty-alerts-")["MetricAlarms"]
    }
    assert sorted(alarms) == ["guardduty-alerts-dead-letters", "guardduty-alerts-failed-invocations"]
    watched = [
        query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
        for query in alarms["guardduty-alerts-failed-invocations"]["Metrics"]
        if "MetricStat" in query
    ]
    assert sorted(watched) == sorted(arn.split("/")[-1] for arn in rule_arns.values())
    assert alarms["guardduty-alerts-dead-letters"]["Dimensions"] == [
        {"Name": "QueueName", "Value": "guardduty-alerts-dead-letters"}
    ]
    # Without delivery.alarm_actions the alarms notify the alerts topic, which CloudWatch may publish to.
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [deployment.outputs["topic_arn"]]
    (cloudwatch_key_use,) = [s for s in key_policy["Statement"] if s["Sid"] == "CloudWatchAlarmsNotifyEncryptedTopic"]
    assert cloudwatch_key_use["Principal"] == {"Service": "cloudwatch.amazonaws.com"}


def test_a_second_plan_finds_nothing_to_change(example_deployment: ExampleDeployment) -> None:
    deployment = example_deployment
    plan = terraform(deployment.env, deployment.stack_dir, "plan", "-detailed-exitcode", "-input=false", check=False)
    assert plan.returncode == 0, f"plan after apply is not empty:\n{plan.stdout}\n{plan.stderr}"


@pytest.fixture
def own_deployment(
    aws_env_session: dict[str, str], moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExampleDeployment]:
    """The example applied for one test in a region no other test deploys to: destroying the session's
    deployment would leave nothing for the tests that run after (in any order)."""
    project = tmp_path_factory.mktemp("destroyed-deployment")
    with deploy_example(aws_env_session, moto_endpoint, project, "eu-central-1") as deployment:
        yield deployment


def test_destroy_leaves_nothing_of_the_deployment(own_deployment: ExampleDeployment) -> None:
    """Looks only at what this deployment created, in its own region: the emulator is shared by the session."""
    deployment = own_deployment
    guardduty, sns, sqs, kms, cloudwatch, events = (
        client(s, deployment) for s in ("guardduty", "sns", "sqs", "kms", "cloudwatch", "events")
    )
    key_id = kms.describe_key(KeyId="alias/guardduty-alerts")["KeyMetadata"]["KeyId"]
    terraform(deployment.env, deployment.stack_dir, "destroy", "-auto-approve", "-input=false")
    assert read_json(deployment.state_file)["resources"] == []
    assert deployment.outputs["detector_id"] not in guardduty.list_detectors()["DetectorIds"]
    assert deployment.outputs["topic_arn"] not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert deployment.outputs["dead_letter_queue_url"] not in sqs.list_queues().get("QueueUrls", [])
    assert cloudwatch.describe_alarms(AlarmNamePrefix="guardduty-alerts-")["MetricAlarms"] == []
    assert events.list_rules(NamePrefix="guardduty-alerts-")["Rules"] == []
    assert "alias/guardduty-alerts" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    # A KMS key cannot be deleted at once: destroy schedules its deletion after the 30-day waiting period.
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

"""`main.py verify` against the emulator: the example applied to moto passes every check; broken by hand in the
ways that silently stop mail, verify fails naming exactly what broke. The tests break a deployment, so the
module applies its own, in a region no other test uses (`deployed`); each breaking test restores what it
broke, yet restoring re-creates some resources with new ids (a subscription), so the session's deployment,
which other tests plan against, is never touched.

What moto cannot show (CreateSampleFindings, TestEventPattern, a subscription pending confirmation, CloudWatch
metrics, alarms evaluated by CloudWatch) is tested with botocore's Stubber in tests/pure/test_verify_stubbed.py.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from guardduty_alerts.naming import dead_letter_alarm_name, rule_name
from guardduty_alerts.notifications import mail_rules
from guardduty_alerts.severity import parse_threshold
from guardduty_alerts_app.cli import main
from guardduty_alerts_app.config import load_config
from helpers import EXAMPLE_CONFIG, FINDINGS_DIR, deploy_example

pytestmark = pytest.mark.terraform

# Not the session deployment's us-east-1, and a region no other test deploys to on the shared emulator.
REGION = "us-west-1"
ALL_CHECKS = [
    "access",
    "detector",
    "topic",
    "topic-key",
    "topic-policy",
    "subscriptions",
    "rules",
    "dead-letter-queue",
    "alarms",
    "failed-invocations",
]


@dataclasses.dataclass
class Deployment:
    config_file: Path
    stack: str
    outputs: dict[str, Any]
    endpoint: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def write_config(path: Path, endpoint: str, **overrides: Any) -> Path:
    """The example configuration, one region, every call to the emulator; `overrides` replace top-level keys."""
    document = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    document.update({"regions": [REGION], "provider": {"endpoint_url": endpoint}, **overrides})
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture(scope="module")
def deployed(
    aws_env_session: dict[str, str], moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """The example applied in REGION for this module alone: these tests break it (left in place afterwards, see
    helpers.deploy_example)."""
    project = tmp_path_factory.mktemp("verify-deployment")
    with deploy_example(aws_env_session, moto_endpoint, project, REGION) as deployment:
        yield Deployment(deployment.config_file, deployment.stack_name, deployment.outputs, deployment.endpoint)


def run_verify(capsys: pytest.CaptureFixture[str], config_file: Path, *options: str) -> tuple[int, dict[str, Any]]:
    code = main(["verify", "--config", str(config_file), "--json", *options])
    captured = capsys.readouterr()
    # No traceback, no warning: nothing but the emulator's own access log (when pytest's logging is off).
    assert [line for line in captured.err.splitlines() if not line.startswith("127.0.0.1 - - ")] == []
    return code, json.loads(captured.out)


def failed(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Failed checks by id, over every stack of the report."""
    return {check["check"]: check for stack in report["stacks"] for check in stack["checks"] if not check["passed"]}


def example_rule_names() -> list[str]:
    """The rules of the example's stack, as the library names them (whatever the rule layout of the construct)."""
    config = load_config(EXAMPLE_CONFIG)
    return [
        rule_name(config.name, rule.key)
        for rule in mail_rules(parse_threshold(config.severity_threshold), config.filters)
    ]


def first_rule_name() -> str:
    return example_rule_names()[0]


@pytest.mark.usefixtures("emulator_credentials")
def test_verify_passes_every_check_on_the_applied_example(
    deployed: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_verify(capsys, deployed.config_file)
    assert failed(report) == {}
    assert code == 0
    (stack,) = report["stacks"]
    assert stack["stack"] == deployed.stack
    assert [check["check"] for check in stack["checks"]] == ALL_CHECKS

    assert main(["verify", "--config", str(deployed.config_file)]) == 0
    text = capsys.readouterr().out
    assert f"stack {deployed.stack} (account 123456789012, region {REGION})" in text
    assert text.rstrip().endswith(f"verify: all {len(ALL_CHECKS)} checks passed in 1 stack")


@pytest.mark.usefixtures("emulator_credentials")
def test_send_sample_reaches_guardduty_which_the_emulator_cannot_answer(
    deployed: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    """moto has no CreateSampleFindings: the sample check alone fails, saying in one line that it needs real AWS
    (not moto's HTML page, issue 21). What happens after a sample is sent (CloudWatch followed until delivery, or
    time running out) is stubbed in test_verify_stubbed.py."""
    code, report = run_verify(capsys, deployed.config_file, "--send-sample", "--wait", "0")
    assert code == 1
    assert list(failed(report)) == ["sample"]
    assert failed(report)["sample"]["found"] == [
        "could not check: guardduty:CreateSampleFindings needs real AWS: the endpoint (an emulator) does not "
        "implement it (HTTP 404)"
    ]


@pytest.mark.usefixtures("emulator_credentials")
def test_fails_naming_the_rule_that_was_disabled(deployed: Deployment, capsys: pytest.CaptureFixture[str]) -> None:
    events = deployed.client("events")
    name = first_rule_name()
    events.disable_rule(Name=name)
    try:
        code, report = run_verify(capsys, deployed.config_file)
    finally:
        events.enable_rule(Name=name)
    assert code == 1
    assert list(failed(report)) == ["rules"]
    assert failed(report)["rules"]["found"] == [f"rule {name} is DISABLED: it sends nothing"]
    assert failed(report)["rules"]["fix"] == [f"aws events enable-rule --region {REGION} --name {name}"]


@pytest.mark.usefixtures("emulator_credentials")
def test_fails_naming_the_dead_letter_queue_and_how_many_findings_wait_there(
    deployed: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = deployed.client("sqs")
    queue = deployed.outputs["dead_letter_queue_url"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"detail-type": "GuardDuty Finding"}))
    try:
        code, report = run_verify(capsys, deployed.config_file)
    finally:
        sqs.purge_queue(QueueUrl=queue)
    assert code == 1
    assert list(failed(report)) == ["dead-letter-queue"]
    (found,) = failed(report)["dead-letter-queue"]["found"]
    # moto has no CloudWatch metrics of its own: the age is unknown here (the stubbed test covers a known age).
    assert found == (
        "1 undelivered finding in queue guardduty-alerts-dead-letters; CloudWatch does not show the age of the "
        "oldest yet"
    )
    assert f"--queue-url {queue}" in failed(report)["dead-letter-queue"]["fix"][0]


@pytest.mark.usefixtures("emulator_credentials")
def test_fails_naming_the_recipient_whose_subscription_was_deleted(
    deployed: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    sns = deployed.client("sns")
    topic = deployed.outputs["topic_arn"]
    (subscription,) = [
        s
        for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if s["Endpoint"] == "oncall@example.com"
    ]
    sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    try:
        code, report = run_verify(capsys, deployed.config_file)
    finally:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    assert code == 1
    assert list(failed(report)) == ["subscriptions"]
    assert failed(report)["subscriptions"]["found"] == [
        "confirmed: security-team@example.com",
        f"oncall@example.com is not subscribed to topic {topic}",
    ]


@pytest.mark.usefixtures("emulator_credentials")
def test_fails_naming_the_suspended_detector(deployed: Deployment, capsys: pytest.CaptureFixture[str]) -> None:
    guardduty = deployed.client("guardduty")
    detector = deployed.outputs["detector_id"]
    guardduty.update_detector(DetectorId=detector, Enable=False)
    try:
        code, report = run_verify(capsys, deployed.config_file)
    finally:
        guardduty.update_detector(DetectorId=detector, Enable=True)
    assert code == 1
    assert list(failed(report)) == ["detector"]
    assert failed(report)["detector"]["found"] == [
        f"detector {detector} is DISABLED (suspended): GuardDuty raises no findings in {REGION}"
    ]


@pytest.mark.usefixtures("emulator_credentials")
def test_fails_naming_the_key_whose_policy_no_longer_lets_eventbridge_in(
    deployed: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    kms = deployed.client("kms")
    key = kms.describe_key(KeyId="alias/guardduty-alerts")["KeyMetadata"]["Arn"]
    original = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    without_eventbridge = json.loads(original)
    without_eventbridge["Statement"] = [
        s for s in without_eventbridge["Statement"] if s.get("Principal") != {"Service": "events.amazonaws.com"}
    ]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(without_eventbridge))
    try:
        code, report = run_verify(capsys, deployed.config_file)
    finally:
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=original)
    assert code == 1
    assert list(failed(report)) == ["topic-key"]
    found = failed(report)["topic-key"]["found"]
    assert found == [
        f"the key policy of {key} does not let events.amazonaws.com use {action}: EventBridge can neither publish "
        "to the encrypted topic nor put what fails in the dead-letter queue (same key): findings are lost"
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ]


@pytest.mark.usefixtures("emulator_credentials")
def test_fails_naming_the_delivery_alarm_in_alarm(deployed: Deployment, capsys: pytest.CaptureFixture[str]) -> None:
    cloudwatch = deployed.client("cloudwatch")
    alarm = dead_letter_alarm_name("guardduty-alerts")
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="1 message in the queue")
    try:
        code, report = run_verify(capsys, deployed.config_file)
    finally:
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="restored by the test")
    assert code == 1
    assert list(failed(report)) == ["alarms"]
    found = failed(report)["alarms"]["found"]
    assert found[0] == f"alarm {alarm} is in ALARM: 1 message in the queue"
    # Then only warnings: alarms without an action notify nobody (depends on the example's alarm_actions).
    assert all(line.startswith("warning: alarm ") and line.endswith("(alarm_actions)") for line in found[1:])


@pytest.mark.usefixtures("emulator_credentials")
def test_fails_clearly_in_an_account_where_nothing_is_deployed(
    moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """moto keeps every account apart: assuming a role in another account reaches an empty one (an account no
    other test of the session deploys to). With a central inbox, the forwarding stack of the second region is
    checked too."""
    config_file = write_config(
        tmp_path / "empty.yaml",
        moto_endpoint,
        regions=[REGION, "eu-west-2"],
        central_inbox={"home_region": REGION},
        accounts=[{"id": "444455556666", "name": "empty", "role_arn": "arn:aws:iam::444455556666:role/verify"}],
    )
    code, report = run_verify(capsys, config_file)
    assert code == 1
    forwarding, home = report["stacks"]  # by stack name
    assert (home["stack"], forwarding["stack"]) == (
        f"guardduty-alerts-empty-{REGION}",
        "guardduty-alerts-empty-eu-west-2",
    )
    for stack in (home, forwarding):
        access = stack["checks"][0]
        assert access["passed"] and access["found"][0].endswith(
            "(role arn:aws:iam::444455556666:role/verify assumed) in account empty (444455556666)"
        )
        # Where no rule exists, failed deliveries are not vouched for either (issue 21): only access passes.
        assert [c["check"] for c in stack["checks"] if c["passed"]] == ["access"]
    found = {check["check"]: check["found"] for check in home["checks"]}
    assert found["detector"] == [
        f"no GuardDuty detector in account empty (444455556666), region {REGION}: GuardDuty is off and raises no findings there"
    ]
    topic = f"arn:aws:sns:{REGION}:444455556666:guardduty-alerts"
    assert found["topic"] == found["subscriptions"] == [f"topic {topic} does not exist"]
    assert found["topic-key"] == [f"key alias/guardduty-alerts does not exist in account empty (444455556666), region {REGION}"]
    assert found["dead-letter-queue"] == [
        f"queue guardduty-alerts-dead-letters does not exist in account empty (444455556666), region {REGION}"
    ]
    names = example_rule_names()
    assert found["rules"] == [f"none of the {len(names)} rules exists ({', '.join(names)})"]
    assert [check["check"] for check in forwarding["checks"]] == [
        "access",
        "detector",
        "forwarding-rule",
        "failed-invocations",
    ]
    assert forwarding["checks"][2]["found"] == [f"rule guardduty-alerts-to-{REGION} does not exist"]
    assert forwarding["checks"][3]["found"] == [
        f"not checked: rule guardduty-alerts-to-{REGION} does not exist (see above)"
    ]
    assert found["failed-invocations"] == [f"not checked: none of the {len(names)} rules exists (see above)"]


@pytest.mark.usefixtures("emulator_credentials")
def test_preview_aws_says_when_the_endpoint_cannot_answer_test_event_pattern(
    moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """moto's TestEventPattern answers nothing (a stub): the comparison stops with that reason, exit code 1.
    Real answers, agreeing or not, are stubbed in tests/pure/test_verify_stubbed.py."""
    config_file = write_config(tmp_path / "preview.yaml", moto_endpoint)
    event = FINDINGS_DIR / "blu371ck-soar__Recon_EC2_Portscan.json"
    code = main(["preview", str(event), "--config", str(config_file), "--aws"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[-2:] == [
        f"== EventBridge TestEventPattern (region {REGION}): {len(example_rule_names())} patterns x 1 event ==",
        "ERROR  events:TestEventPattern failed (NoResult: the endpoint answered without a Result: an emulator that "
        "does not implement it, such as moto); nothing could be compared",
    ]

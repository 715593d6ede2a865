"""verify's channel checks on a real deployment in the emulator, for what moto can hold: a stack with a Slack
incoming webhook (URL from TF_VAR_<name>), an HTTPS webhook and an SQS queue is applied by Terraform, then
`main.py verify` passes its channel subscriptions and chat webhooks; with the API destination deleted and the
queue unsubscribed it fails naming them. Chat configurations and User Notifications cannot be applied to moto
(no such APIs): tests/pure/test_verify_channels_stubbed.py covers them with botocore's Stubber.

The stack has a region and a name of its own in the shared emulator, and is left in place at the end: the
emulator goes with the session, and a destroy would only wait on the AWS provider's SQS checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from guardduty_alerts_app.cli import main
from guardduty_alerts_app.config import load_config
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import terraform

pytestmark = pytest.mark.terraform

REGION = "ap-south-1"
NAME = "verify-channels"
STACK = f"{NAME}-{REGION}"
SECRET_URL = "https://hooks.slack.com/services/T0VERIFY/B0VERIFY/VerifySecretToken"
HOOK = "https://hooks.example.com/guardduty/VerifyHookKey"


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="x"
    )


def _verify(capsys: pytest.CaptureFixture[str], config_file: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    code = main(["verify", "--config", str(config_file), "--json"])
    captured = capsys.readouterr()
    assert "VerifySecretToken" not in captured.out + captured.err and "VerifyHookKey" not in captured.out
    (stack,) = json.loads(captured.out)["stacks"]
    return code, {check["check"]: check for check in stack["checks"]}


@pytest.mark.usefixtures("emulator_credentials")
def test_verify_passes_deployed_channels_and_names_what_is_missing(
    aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_url = _client(moto_endpoint, "sqs").create_queue(QueueName="verify-siem")["QueueUrl"]
    account = queue_url.rstrip("/").split("/")[-2]
    queue_arn = f"arn:aws:sqs:{REGION}:{account}:verify-siem"
    config_file = tmp_path / "channels.yaml"
    config_file.write_text(
        yaml.safe_dump(
            {
                "name": NAME,
                "regions": [REGION],
                "recipients": ["soc@example.com"],
                "provider": {"endpoint_url": moto_endpoint},
                "channels": [
                    {"kind": "slack_webhook", "url_env_var": "TF_VAR_verify_channels_slack_url"},
                    {"kind": "webhook", "url": HOOK, "auto_confirms": True},
                    {"kind": "sqs", "queue_arn": queue_arn},
                ],
            }
        )
    )
    synth_to(load_config(config_file), tmp_path / "cdktf.out", state_dir=tmp_path)
    stack_dir = tmp_path / "cdktf.out" / "stacks" / STACK
    env = dict(aws_env, TF_VAR_verify_channels_slack_url=SECRET_URL)
    terraform(env, stack_dir, "init", "-input=false")
    terraform(env, stack_dir, "apply", "-input=false", "-auto-approve")
    _check(capsys, config_file, moto_endpoint, queue_arn)


def _check(capsys: pytest.CaptureFixture[str], config_file: Path, endpoint: str, queue_arn: str) -> None:
    code, checks = _verify(capsys, config_file)
    destination = f"{NAME}-slack-webhook-verify-channels-slack-url"
    assert checks["api-destinations"] == {
        "check": "api-destinations",
        "passed": True,
        "found": [f"connection {NAME}-webhooks is AUTHORIZED; ACTIVE on it: {destination}"],
        "fix": [],
    }
    assert checks["channel-subscriptions"]["found"] == [
        f"confirmed: SQS queue {queue_arn}, HTTPS webhook at https://hooks.example.com/(path hidden)"
    ]
    assert "chat-configurations" not in checks and "user-notifications" not in checks

    # Break it: the API destination deleted, the queue's subscription removed.
    events, sns = _client(endpoint, "events"), _client(endpoint, "sns")
    events.delete_api_destination(Name=destination)
    account = queue_arn.split(":")[4]
    topic = f"arn:aws:sns:{REGION}:{account}:{NAME}-raw-medium"
    (queue_subscription,) = [
        s["SubscriptionArn"]
        for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if s["Protocol"] == "sqs"
    ]
    sns.unsubscribe(SubscriptionArn=queue_subscription)
    code, checks = _verify(capsys, config_file)
    assert code == 1
    assert checks["api-destinations"]["found"] == [f"API destination {destination} does not exist"]
    assert checks["channel-subscriptions"]["found"] == [f"SQS queue {queue_arn} is not subscribed to topic {topic}"]

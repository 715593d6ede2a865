"""AWS User Notifications with the account's notification hub, and the delivery alarms notifying the alert
topic, in real Terraform: `terraform validate` with provider 5.100.0. moto 5.2.5 has no User Notifications,
so nothing here is applied; that a hub registers and mail arrives only a real account can show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cdktf import App, LocalBackend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from guardduty_alerts import GuardDutyAlerts, SlackWebhookChannel, UserNotificationsChannel
from helpers import read_json, terraform

pytestmark = pytest.mark.terraform

STACK = "hub"


def test_a_stack_with_a_notification_hub_and_alarms_on_the_topic_passes_terraform_validate(
    terraform_env: dict[str, str], tmp_path: Path
) -> None:
    app = App(outdir=str(tmp_path / "cdktf.out"))
    stack = TerraformStack(app, STACK)
    AwsProvider(stack, "aws", region="eu-west-1")
    notifications = AwsProvider(stack, "notifications", region="us-east-1", alias="notifications")
    LocalBackend(stack, path=str(tmp_path / "terraform.tfstate"))
    GuardDutyAlerts(
        stack,
        "alerts",
        name="hub-alerts",
        recipients=["soc@example.com"],
        notifications_provider=notifications,
        channels=[
            SlackWebhookChannel(url_ssm_parameter="/security/slack-webhook"),
            UserNotificationsChannel(addresses=("soc-lead@example.com",), create_hub=True),
        ],
    )
    app.synth()
    stack_dir = tmp_path / "cdktf.out" / "stacks" / STACK
    resources = read_json(stack_dir / "cdk.tf.json")["resource"]
    # Guard against validating less than promised.
    (hub,) = resources["aws_notifications_notification_hub"].values()
    assert hub["notification_hub_region"] == "eu-west-1"
    assert all(alarm["alarm_actions"] for alarm in resources["aws_cloudwatch_metric_alarm"].values())
    terraform(terraform_env, stack_dir, "init", "-input=false")
    report = json.loads(terraform(terraform_env, stack_dir, "validate", "-json").stdout)
    assert report["valid"] is True, report
    assert report["warning_count"] == 0, report["diagnostics"]

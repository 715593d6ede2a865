"""plan-summary on a real plan of a construct stack with channels: applied to the emulator with an HTTPS
webhook, an SQS queue and a Slack incoming webhook, then planned with the webhooks raised to HIGH, the queue
removed and another HTTPS webhook added. The stack has a region and a name of its own: the session's emulator
also holds the example deployment (guardduty-alerts in us-east-1), which other tests check. It is left in place
at the end: the emulator goes with the session, and a destroy would only wait on the AWS provider's SQS checks."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from guardduty_alerts.channels import SlackWebhookChannel, SqsChannel, WebhookChannel
from guardduty_alerts_review.plan_summary import load_plans, render_markdown
from helpers import terraform

pytestmark = pytest.mark.terraform

# Nobody else's region and name in the shared emulator.
REGION = "ap-northeast-3"
NAME = "plan-channels"
SERVICES = ("cloudwatch", "events", "guardduty", "iam", "kms", "lambda_", "logs", "sns", "sqs", "ssm", "sts")
PAGERDUTY = "https://events.pagerduty.com/integration/INTEGRATIONKEY/enqueue"
SLACK_URL = "https://hooks.slack.com/services/T0/B0/WEBHOOKSECRET"


def _synth(endpoint: str, channels: list) -> str:
    from cdktf import TerraformStack
    from cdktf import Testing as CdktfTesting  # aliased: pytest would try to collect a class named Test*
    from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
    from guardduty_alerts import GuardDutyAlerts

    app = CdktfTesting.app()
    stack = TerraformStack(app, "channels")
    AwsProvider(stack, "aws", region=REGION, endpoints=[AwsProviderEndpoints(**dict.fromkeys(SERVICES, endpoint))])
    GuardDutyAlerts(stack, "alerts", name=NAME, recipients=["soc@example.com"], channels=channels)
    return CdktfTesting.synth(stack)


def test_channel_changes_in_a_real_plan_are_said_per_destination(
    aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path
) -> None:
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": REGION}
    boto3.client("ssm", endpoint_url=moto_endpoint, **credentials).put_parameter(
        Name="/security/slack-webhook", Value=SLACK_URL, Type="SecureString", Overwrite=True
    )
    queue = boto3.client("sqs", endpoint_url=moto_endpoint, **credentials).create_queue(QueueName="siem-intake")
    account = queue["QueueUrl"].rstrip("/").split("/")[-2]
    queue_arn = f"arn:aws:sqs:{REGION}:{account}:siem-intake"
    stack = tmp_path / "stack"
    stack.mkdir()
    slack = SlackWebhookChannel(url_ssm_parameter="/security/slack-webhook")
    (stack / "cdk.tf.json").write_text(
        _synth(
            moto_endpoint, [WebhookChannel(url=PAGERDUTY, auto_confirms=True), SqsChannel(queue_arn=queue_arn), slack]
        )
    )
    terraform(aws_env, stack, "init", "-input=false")
    terraform(aws_env, stack, "apply", "-input=false", "-auto-approve")
    _plan_and_check(aws_env, moto_endpoint, stack, tmp_path, account)


def _plan_and_check(aws_env: dict[str, str], moto_endpoint: str, stack: Path, tmp_path: Path, account: str) -> None:
    changed = [
        WebhookChannel(url=PAGERDUTY, auto_confirms=True, severity_threshold="HIGH"),
        SlackWebhookChannel(url_ssm_parameter="/security/slack-webhook", severity_threshold="HIGH"),
        WebhookChannel(url="https://hooks.example.com/guardduty"),
    ]
    (stack / "cdk.tf.json").write_text(_synth(moto_endpoint, changed))
    terraform(aws_env, stack, "plan", "-input=false", "-out=plan.tfplan")
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "channels.json").write_text(terraform(aws_env, stack, "show", "-json", "plan.tfplan").stdout)
    (plans / "channels.txt").write_text(terraform(aws_env, stack, "show", "plan.tfplan").stdout)

    markdown = render_markdown(load_plans([str(plans / "channels.json")]))
    impact = markdown.split("#### Alerting impact\n\n", 1)[1].split("\n- Other changes", 1)[0].splitlines()
    assert impact == [
        "- ⚠️ **Channel gets fewer findings**: Slack incoming webhook (URL in SSM parameter /security/slack-webhook) "
        "will no longer get MEDIUM findings (severity 4.0 to below 7.0); it still gets HIGH and CRITICAL findings "
        "(severity 7.0 to 10.0).",
        "- ⚠️ **Channel gets fewer findings**: HTTPS webhook at events.pagerduty.com will no longer get MEDIUM "
        "findings (severity 4.0 to below 7.0); it still gets HIGH and CRITICAL findings (severity 7.0 to 10.0).",
        f"- ⚠️ **Channel removed**: SQS queue siem-intake (account {account}) will no longer get findings; until now "
        "it got MEDIUM, HIGH and CRITICAL findings (severity 4.0 to 10.0), sample findings too.",
        "- 🔔 **Channel added**: HTTPS webhook at hooks.example.com is added: it gets MEDIUM, HIGH and CRITICAL "
        "findings (severity 4.0 to 10.0), sample findings too; nothing arrives until its owner confirms the "
        "subscription (SNS posts a SubscribeURL to it).",
        # A topic the plan creates is created encrypted; "Encryption added" would claim it held messages before.
        "- 📝 **Encrypted topic created**: SNS topic `plan-channels-raw-high` is created encrypted with a "
        "customer-managed KMS key: EventBridge must be allowed kms:GenerateDataKey* and kms:Decrypt on it, or no "
        "mail arrives.",
    ]
    # The stack's own mail is untouched, and no secret of a webhook URL reaches the comment.
    assert "mailed to" not in "\n".join(impact)
    assert "INTEGRATIONKEY" not in markdown and "WEBHOOKSECRET" not in markdown
    # The raw plan shows the new subscription's endpoint with its path hidden (it may hold a key).
    assert '+ endpoint                        = "https://hooks.example.com/(path hidden)"' in markdown
    assert json.loads((plans / "channels.json").read_text())["format_version"]

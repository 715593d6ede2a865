"""Routing by account on the emulator (issue 22): a stack like a GuardDuty administrator's, where findings of
several accounts arrive on one bus, with a mail channel for account A, a queue for account B and an unrouted
mail for every other account. Each destination gets exactly its accounts' findings at or above the threshold.
And the example configuration's administrator stack (every route and the unrouted mail) passes `terraform
validate`.

The events carry the member account in `detail.accountId` and the administrator's (moto's) in the envelope's
`account`, as a delegated administrator receives them (GuardDuty user guide, "Processing GuardDuty findings
with Amazon EventBridge": the administrator's bus gets its members' findings; the finding's `accountId` is the
member's). The envelope field could not tell the accounts apart here, so a pattern on it would fail this test.
moto evaluates the patterns itself: that AWS's matcher agrees on `anything-but` lists only real AWS can prove
(EventBridge user guide, "Anything-but matching" documents it for lists of strings).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from cdktf import App, LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from emulator import put_guardduty_events, receive_all
from guardduty_alerts import EmailChannel, FindingFilters, GuardDutyAlerts, SqsChannel
from guardduty_alerts.channels import route_channels
from guardduty_alerts_app.config import load_config
from guardduty_alerts_app.stacks.common import ENDPOINT_SERVICES
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import FINDINGS_DIR, REPO, read_json, terraform

pytestmark = pytest.mark.terraform

# A region no other test deploys to on the shared emulator (each test's events reach every rule of its region).
REGION = "il-central-1"
ADMINISTRATOR = "123456789012"  # moto's default account: the bus the findings arrive on
TEAM_A, TEAM_B, NEWCOMER = "111111111111", "222222222222", "999999999999"
NAME = "routing-alerts"
STACK = "routing"
THRESHOLD = 7.0  # HIGH


def test_the_example_administrator_stack_passes_terraform_validate(
    tmp_path: Path, terraform_env: dict[str, str]
) -> None:
    # config/accounts-routing.example.yaml: the administrator's home stack holds every route and the unrouted mail.
    synth_to(load_config(REPO / "config" / "accounts-routing.example.yaml"), tmp_path / "cdktf.out", state_dir=tmp_path)
    stack_dir = tmp_path / "cdktf.out" / "stacks" / "guardduty-alerts-security-us-east-1"
    rules = read_json(stack_dir / "cdk.tf.json")["resource"]["aws_cloudwatch_event_rule"].values()
    assert sum("accountId" in rule["event_pattern"] for rule in rules) == 9  # 4 + 4 mail band rules, 1 raw rule
    terraform(terraform_env, stack_dir, "init", "-input=false")
    report = json.loads(terraform(terraform_env, stack_dir, "validate", "-json").stdout)
    assert report["valid"] is True, report
    assert report["warning_count"] == 0, report["diagnostics"]


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def finding(account: str, severity: float) -> dict[str, Any]:
    event = copy.deepcopy(read_json(FINDINGS_DIR / "awscli__Recon_IAMUser_UserPermissions.json"))
    event["account"] = ADMINISTRATOR
    event["detail"].update(accountId=account, severity=severity, id=f"{account}-{severity:g}".replace(".", "-"))
    return event


def mailed_finding_id(message: str) -> str:
    match = re.search(r'^"?Finding id: ([^"\s]+)"?$', message, re.MULTILINE)
    assert match, message
    return match.group(1)


def test_each_account_reaches_its_channel_and_unlisted_accounts_reach_the_unrouted_one_on_the_emulator(
    aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path
) -> None:
    sqs, sns, events = (client(s, moto_endpoint) for s in ("sqs", "sns", "events"))
    queue_url = sqs.create_queue(QueueName="team-b-intake")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ADMINISTRATOR}:team-b-intake"
    team_a = EmailChannel(addresses=("team-a@example.com",), filters=FindingFilters(accounts=(TEAM_A,)))
    team_b = SqsChannel(queue_arn=queue_arn, filters=FindingFilters(accounts=(TEAM_B,)))
    unrouted = EmailChannel(addresses=("soc@example.com",), filters=FindingFilters(exclude_accounts=(TEAM_A, TEAM_B)))
    channels = [team_a, team_b, unrouted]
    # The topic of each destination, by the construct's own grouping (one group per account set here).
    routing = route_channels(channels, recipients=(), threshold=THRESHOLD, filters=FindingFilters())
    mail_keys = {group.addresses: group.key for group in routing.mail_groups}
    (queue_group,) = routing.raw_groups

    app = App(outdir=str(tmp_path / "cdktf.out"))
    stack = TerraformStack(app, STACK)
    AwsProvider(
        stack,
        "aws",
        region=REGION,
        endpoints=[AwsProviderEndpoints(**{service: moto_endpoint for service in ENDPOINT_SERVICES})],
    )
    LocalBackend(stack, path=str(tmp_path / f"terraform.{STACK}.tfstate"))
    alerts = GuardDutyAlerts(stack, "alerts", name=NAME, recipients=[], severity_threshold="HIGH", channels=channels)
    SqsQueuePolicy(
        stack,
        "intake-policy",
        queue_url=queue_url,
        policy=json.dumps(
            {"Version": "2012-10-17", "Statement": list(alerts.sqs_policy_statements.values())}, sort_keys=True
        ),
    )
    TerraformOutput(stack, "team_a", value=alerts.channel_topics[mail_keys[("team-a@example.com",)]].arn)
    TerraformOutput(stack, "unrouted", value=alerts.channel_topics[mail_keys[("soc@example.com",)]].arn)
    app.synth()
    stack_dir = tmp_path / "cdktf.out" / "stacks" / STACK

    # What Terraform receives: the unrouted rules leave out exactly the routed accounts.
    synthesized = read_json(stack_dir / "cdk.tf.json")
    patterns = [
        json.loads(rule["event_pattern"]) for rule in synthesized["resource"]["aws_cloudwatch_event_rule"].values()
    ]
    assert sorted({json.dumps(p["detail"]["accountId"]) for p in patterns}) == [
        '["111111111111"]',
        '["222222222222"]',
        '[{"anything-but": ["111111111111", "222222222222"]}]',
    ]

    state_file = tmp_path / f"terraform.{STACK}.tfstate"
    mailboxes: dict[str, str] = {}
    try:
        terraform(aws_env, stack_dir, "init", "-input=false")
        terraform(aws_env, stack_dir, "apply", "-auto-approve", "-input=false", "-parallelism=30")
        outputs = {
            k: v["value"] for k, v in json.loads(terraform(aws_env, stack_dir, "output", "-json").stdout).items()
        }
        for topic in ("team_a", "unrouted"):
            url = sqs.create_queue(QueueName=f"{NAME}-{topic.replace('_', '-')}-inbox")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=outputs[topic], Protocol="sqs", Endpoint=arn)
            mailboxes[topic] = url

        sent = [finding(account, severity) for account in (TEAM_A, TEAM_B, NEWCOMER) for severity in (5.0, 8.0)]
        put_guardduty_events(events, sent)

        def mailed(topic: str) -> list[str]:
            notifications = [json.loads(m["Body"]) for m in receive_all(sqs, mailboxes[topic])]
            assert {n["TopicArn"] for n in notifications} <= {outputs[topic]}
            return sorted(mailed_finding_id(n["Message"]) for n in notifications)

        # A HIGH finding of A reaches A's mail and nobody else; B's queue gets B's; the newcomer's goes to the
        # unrouted mail. The MEDIUM ones (5.0) stay below the threshold everywhere.
        assert mailed("team_a") == [f"{TEAM_A}-8"]
        assert sorted(json.loads(m["Body"])["detail"]["id"] for m in receive_all(sqs, queue_url)) == [f"{TEAM_B}-8"]
        assert mailed("unrouted") == [f"{NEWCOMER}-8"]
        assert queue_group.channels == (team_b,)
    finally:
        for url in mailboxes.values():
            sqs.delete_queue(QueueUrl=url)
        if state_file.is_file() and read_json(state_file)["resources"]:
            terraform(aws_env, stack_dir, "destroy", "-auto-approve", "-input=false", "-parallelism=30")
        sqs.delete_queue(QueueUrl=queue_url)
    assert read_json(state_file)["resources"] == []
    assert events.list_rules(NamePrefix=NAME)["Rules"] == []

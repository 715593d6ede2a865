"""The GuardDutyAlerts channels in real Terraform: a stack with every channel kind passes `terraform validate`,
and a stack with mail, a webhook and an SQS queue at different thresholds is applied to the emulator, fed
real GuardDuty events, and destroyed.

What the emulator cannot run, and is therefore validated only:
- Slack and Teams channels (`aws_chatbot_*_channel_configuration`) and AWS User Notifications
  (`aws_notifications_*`, `aws_notificationscontacts_*`): moto 5.2.5 has neither service.
- Chat webhooks (`slack_webhook`, `teams_webhook`): moto calls an API destination without any body, so the
  chat message our input transformer builds would not be observed (tests/synth checks the message instead).
- Retries, dead letters, KMS and policy evaluation: see tools/emulator.py.

The webhook is a small HTTPS server on 127.0.0.1 with a self-signed certificate made for the test; the moto
server runs in this process and posts to HTTPS subscriptions with `requests`, which trusts the certificate
through REQUESTS_CA_BUNDLE. So the subscription stays https:// as the construct requires, no stand-in needed.
moto posts SNS's JSON envelope to HTTP(S) endpoints whatever RawMessageDelivery says, so the webhook channel
keeps its default (the envelope, what PagerDuty and Opsgenie parse) and the test reads the event from it.
"""

from __future__ import annotations

import copy
import datetime
import http.server
import ipaddress
import json
import re
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cdktf import App, LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from emulator import put_guardduty_events, receive_all
from guardduty_alerts import (
    EmailChannel,
    GuardDutyAlerts,
    SlackChannel,
    SlackWebhookChannel,
    SqsChannel,
    TeamsChannel,
    TeamsWebhookChannel,
    UserNotificationsChannel,
    WebhookChannel,
)
from guardduty_alerts_app.stacks.common import ENDPOINT_SERVICES
from helpers import FINDINGS_DIR, read_json, terraform

pytestmark = pytest.mark.terraform

# A region no other test deploys to on the shared emulator.
REGION = "eu-south-1"
ACCOUNT = "123456789012"  # moto's default account
NAME = "channel-alerts"
STACK = "channels"

# Thresholds of the emulator stack, written out here independently of the construct's patterns.
MAIL_THRESHOLD = 7.0  # the construct's own mail (recipients), HIGH
CISO_THRESHOLD = 9.0  # an email channel of its own, CRITICAL
WEBHOOK_THRESHOLD = 4.0  # MEDIUM
QUEUE_THRESHOLD = 7.5  # a number, not a band floor


def synth_stack(outdir: Path, build: Any, *, endpoint: str | None = None) -> Path:
    """Synthesize one stack (provider in REGION, local state beside it) built by `build(stack)`; its folder."""
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, STACK)
    endpoints = [AwsProviderEndpoints(**{service: endpoint for service in ENDPOINT_SERVICES})] if endpoint else None
    AwsProvider(stack, "aws", region=REGION, endpoints=endpoints)
    LocalBackend(stack, path=str(outdir.parent / f"terraform.{STACK}.tfstate"))
    build(stack)
    app.synth()
    return outdir / "stacks" / STACK


def test_a_stack_with_every_channel_kind_passes_terraform_validate(
    terraform_env: dict[str, str], tmp_path: Path
) -> None:
    def build(stack: TerraformStack) -> None:
        chat = AwsProvider(stack, "chat", region="eu-west-1", alias="chat")
        notifications = AwsProvider(stack, "notifications", region="us-east-1", alias="notifications")
        GuardDutyAlerts(
            stack,
            "alerts",
            name=NAME,
            recipients=["soc@example.com"],
            chat_provider=chat,
            notifications_provider=notifications,
            channels=[
                EmailChannel(addresses=("ciso@example.com",), severity_threshold="CRITICAL"),
                SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE", severity_threshold="HIGH"),
                TeamsChannel(
                    tenant_id="00000000-0000-0000-0000-000000000000",
                    team_id="00000000-0000-0000-0000-000000000001",
                    channel_id="19:abc@thread.tacv2",
                ),
                SlackWebhookChannel(url_ssm_parameter="/security/slack-webhook"),
                TeamsWebhookChannel(url_env_var="TF_VAR_teams_webhook_url", severity_threshold="HIGH"),
                WebhookChannel(url="https://events.pagerduty.com/integration/abc/enqueue", auto_confirms=True),
                SqsChannel(queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:siem-intake"),
                UserNotificationsChannel(addresses=("soc-lead@example.com",), aggregation="SHORT"),
            ],
        )

    stack_dir = synth_stack(tmp_path / "cdktf.out", build)
    resources = read_json(stack_dir / "cdk.tf.json")["resource"]
    # Guard against validating less than promised: every kind's resources are in the stack.
    for kind in (
        "aws_chatbot_slack_channel_configuration",
        "aws_chatbot_teams_channel_configuration",
        "aws_cloudwatch_event_api_destination",
        "aws_notifications_notification_configuration",
        "aws_notifications_event_rule",
        "aws_notificationscontacts_email_contact",
        "aws_notifications_channel_association",
    ):
        assert kind in resources, kind
    assert {s["protocol"] for s in resources["aws_sns_topic_subscription"].values()} == {"email", "https", "sqs"}
    terraform(terraform_env, stack_dir, "init", "-input=false")
    report = json.loads(terraform(terraform_env, stack_dir, "validate", "-json").stdout)
    assert report["valid"] is True, report
    assert report["warning_count"] == 0, report["diagnostics"]


# --- the emulator ---------------------------------------------------------------------------------------------


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files: what the test's HTTPS webhook serves."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "webhook-cert.pem", folder / "webhook-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class _Webhook(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append({"path": self.path, "body": json.loads(body)})
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def https_webhook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTPS server on 127.0.0.1 recording every POST; its URL and the list of requests. The in-process
    moto server's `requests` trusts its certificate for the test's duration."""
    cert_file, key_file = self_signed_certificate(tmp_path)
    received: list[dict[str, Any]] = []
    handler = type("Webhook", (_Webhook,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/guardduty", received
    finally:
        server.shutdown()
        server.server_close()


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def boundary_findings() -> list[dict[str, Any]]:
    """Findings at and just below each threshold of the stack: the corpus has only 2, 5, 8 and 9."""
    template = read_json(FINDINGS_DIR / "awscli__Recon_IAMUser_UserPermissions.json")
    made = []
    for severity in (3.9, 4.0, 6.9, 7.0, 7.4, 7.5, 8.9, 9.0):
        event = copy.deepcopy(template)
        event["detail"].update(id=f"boundary-{severity:g}".replace(".", "-"), severity=severity)
        made.append(event)
    return made


def at_or_above(events: list[dict[str, Any]], threshold: float) -> list[str]:
    """Finding ids a channel with `threshold` should get, sorted: findings (not other GuardDuty events) only."""
    return sorted(
        e["detail"]["id"]
        for e in events
        if e["detail-type"] == "GuardDuty Finding" and e["detail"]["severity"] >= threshold
    )


def mailed_finding_id(message: str) -> str:
    """The finding id a delivered mail names (the mail templates end with a 'Finding id:' line)."""
    match = re.search(r'^"?Finding id: ([^"\s]+)"?$', message, re.MULTILINE)
    assert match, message
    return match.group(1)


def test_mail_webhook_and_queue_channels_each_get_exactly_their_findings_on_the_emulator(
    aws_env: dict[str, str],
    moto_endpoint: str,
    https_webhook: tuple[str, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    webhook_url, webhook_requests = https_webhook
    sqs, sns, events = (client(s, moto_endpoint) for s in ("sqs", "sns", "events"))
    # The SQS channel's queue exists before the stack, as a SIEM's intake queue would.
    intake_url = sqs.create_queue(QueueName="siem-intake")["QueueUrl"]
    intake_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:siem-intake"

    def build(stack: TerraformStack) -> None:
        alerts = GuardDutyAlerts(
            stack,
            "alerts",
            name=NAME,
            recipients=["soc@example.com"],
            severity_threshold="HIGH",
            channels=[
                EmailChannel(addresses=("ciso@example.com",), severity_threshold="CRITICAL"),
                WebhookChannel(url=webhook_url, severity_threshold="MEDIUM", auto_confirms=True),
                SqsChannel(queue_arn=intake_arn, severity_threshold=QUEUE_THRESHOLD),
            ],
        )
        # The queue's owner adds the construct's statement to the queue's policy.
        SqsQueuePolicy(
            stack,
            "intake-policy",
            queue_url=intake_url,
            policy=json.dumps(
                {"Version": "2012-10-17", "Statement": list(alerts.sqs_policy_statements.values())}, sort_keys=True
            ),
        )
        assert alerts.topic is not None
        TerraformOutput(stack, "mail_topic_arn", value=alerts.topic.arn)
        TerraformOutput(stack, "ciso_topic_arn", value=alerts.channel_topics["critical-up"].arn)
        TerraformOutput(stack, "webhook_topic_arn", value=alerts.channel_topics["raw-medium"].arn)
        TerraformOutput(stack, "queue_topic_arn", value=alerts.channel_topics["raw-7-5"].arn)

    stack_dir = synth_stack(tmp_path / "cdktf.out", build, endpoint=moto_endpoint)
    state_file = tmp_path / f"terraform.{STACK}.tfstate"
    mailboxes: dict[str, str] = {}
    try:
        terraform(aws_env, stack_dir, "init", "-input=false")
        terraform(aws_env, stack_dir, "apply", "-auto-approve", "-input=false", "-parallelism=30")
        outputs = {
            k: v["value"] for k, v in json.loads(terraform(aws_env, stack_dir, "output", "-json").stdout).items()
        }

        # The queue policy the owner applied lets SNS send from the queue channel's topic only.
        applied = json.loads(
            sqs.get_queue_attributes(QueueUrl=intake_url, AttributeNames=["Policy"])["Attributes"]["Policy"]
        )
        (statement,) = applied["Statement"]
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": outputs["queue_topic_arn"]}}
        assert statement["Principal"] == {"Service": "sns.amazonaws.com"}

        # Mailboxes: an SQS queue subscribed to each mail topic stands in for the inbox.
        for topic in ("mail_topic_arn", "ciso_topic_arn"):
            url = sqs.create_queue(QueueName=f"{NAME}-{topic.removesuffix('_topic_arn')}-inbox")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=outputs[topic], Protocol="sqs", Endpoint=arn)
            mailboxes[topic] = url

        sent = [read_json(path) for path in sorted(FINDINGS_DIR.rglob("*.json"))] + boundary_findings()
        put_guardduty_events(events, sent)

        # Guard against a vacuous pass: each channel gets some findings and misses others.
        for threshold in (MAIL_THRESHOLD, CISO_THRESHOLD, WEBHOOK_THRESHOLD, QUEUE_THRESHOLD):
            assert 0 < len(at_or_above(sent, threshold)) < len(at_or_above(sent, 0)), threshold

        for topic, threshold in (("mail_topic_arn", MAIL_THRESHOLD), ("ciso_topic_arn", CISO_THRESHOLD)):
            notifications = [json.loads(m["Body"]) for m in receive_all(sqs, mailboxes[topic])]
            assert {n["TopicArn"] for n in notifications} == {outputs[topic]}
            assert sorted(mailed_finding_id(n["Message"]) for n in notifications) == at_or_above(sent, threshold), topic

        # The queue channel: raw delivery, each message is the whole event.
        queued = [json.loads(m["Body"]) for m in receive_all(sqs, intake_url)]
        assert sorted(e["detail"]["id"] for e in queued) == at_or_above(sent, QUEUE_THRESHOLD)
        by_id = {e["detail"]["id"]: e for e in sent if e["detail-type"] == "GuardDuty Finding"}
        for event in queued:
            assert (event["source"], event["detail-type"]) == ("aws.guardduty", "GuardDuty Finding")
            assert event["detail"] == by_id[event["detail"]["id"]]["detail"]

        # The webhook: SNS's envelope from the webhook channel's topic, the whole event as its message.
        assert {r["path"] for r in webhook_requests} == {"/guardduty"}
        envelopes = [r["body"] for r in webhook_requests if r["body"].get("Type") == "Notification"]
        assert {e["TopicArn"] for e in envelopes} == {outputs["webhook_topic_arn"]}
        posted = [json.loads(e["Message"]) for e in envelopes]
        assert sorted(e["detail"]["id"] for e in posted) == at_or_above(sent, WEBHOOK_THRESHOLD)
        for event in posted:
            assert event["detail"] == by_id[event["detail"]["id"]]["detail"]
    finally:
        for url in mailboxes.values():
            sqs.delete_queue(QueueUrl=url)
        if state_file.is_file() and read_json(state_file)["resources"]:
            terraform(aws_env, stack_dir, "destroy", "-auto-approve", "-input=false", "-parallelism=30")
        sqs.delete_queue(QueueUrl=intake_url)
    assert read_json(state_file)["resources"] == []
    assert [t for t in sns.list_topics()["Topics"] if NAME in t["TopicArn"]] == []
    assert events.list_rules(NamePrefix=NAME)["Rules"] == []

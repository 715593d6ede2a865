"""See the product work without an AWS account: `bin/demo` (or `python tools/demo.py` in the dev venv).

Synthesizes the example configuration, starts the local AWS emulator (moto) on 127.0.0.1, applies every stack
to it with Terraform, sends a handful of GuardDuty events through EventBridge in the first region, prints the
mail text of what reached the topic and what was filtered out, then destroys the stacks and stops the emulator.

The emulator cannot send email: the demo subscribes an SQS queue to the topic and reads what the email
subscribers would have received. moto cannot deliver EventBridge events to SNS either; tools/emulator.py stands
in for that one feature (see its docstring). Nothing here talks to AWS: every endpoint is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from emulator import moto_server, put_guardduty_events, receive_all  # tools/emulator.py, beside this script
from guardduty_alerts.errors import GuardDutyAlertsError
from guardduty_alerts.severity import parse_threshold
from guardduty_alerts_app.config import AlertsConfig, config_path, load_config
from guardduty_alerts_review.progress import Progress

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

TF_MIRROR = Path("/opt/tf-plugins")
MAIL_LINES = 14

# A finding in the format GuardDuty sends to EventBridge, trimmed to what a reader of the mail looks at.
_FINDING: dict[str, Any] = {
    "version": "0",
    "detail-type": "GuardDuty Finding",
    "source": "aws.guardduty",
    "detail": {
        "schemaVersion": "2.0",
        "accountId": "123456789012",
        "region": "us-east-1",
        "partition": "aws",
        "resource": {"resourceType": "Instance", "instanceDetails": {"instanceId": "i-0123456789abcdef0"}},
        "service": {
            "serviceName": "guardduty",
            "count": 1,
            "archived": False,
            "eventFirstSeen": "2026-01-01T09:00:00Z",
            "eventLastSeen": "2026-01-01T09:05:00Z",
        },
    },
}


def _finding(
    finding_type: str, severity: float, title: str, description: str, resource: dict[str, Any] | None = None
) -> dict[str, Any]:
    event = copy.deepcopy(_FINDING)
    if resource is not None:
        event["detail"]["resource"] = resource
    slug = finding_type.replace(":", "-").replace("/", "-").replace(".", "-").lower()
    event["detail"].update(
        id=f"demo-{slug}",
        type=finding_type,
        severity=severity,
        title=title,
        description=description,
        arn=f"arn:aws:guardduty:us-east-1:123456789012:detector/demo/finding/demo-{slug}",
    )
    return event


def sample_events() -> list[dict[str, Any]]:
    """A handful of GuardDuty events: LOW to CRITICAL findings, and one GuardDuty event that is no finding."""
    return [
        _finding("Recon:EC2/PortProbeUnprotectedPort", 2.0, "Unprotected port on EC2 instance is being probed.",
                 "Port 22 of the instance is being probed by a known scanner."),
        _finding("Recon:EC2/Portscan", 5.0, "EC2 instance is performing outbound port scans.",
                 "The instance is probing ports on a large number of hosts."),
        _finding("UnauthorizedAccess:EC2/TorClient", 8.0, "EC2 instance is communicating with Tor entry nodes.",
                 "The instance connects to Tor Guard or Authority nodes."),
        _finding("AttackSequence:S3/CompromisedData", 9.0, "Potential data compromise of S3 buckets.",
                 "A sequence of actions suggests data in S3 is being taken by a compromised principal.",
                 {"resourceType": "AttackSequence"}),
        _finding("Recon:IAMUser/UserPermissions", 3.9, "Principal probed the permissions of the account.",
                 "Just below MEDIUM: numeric matching keeps it out."),
        {
            "version": "0",
            "detail-type": "GuardDuty Runtime Protection Unhealthy",
            "source": "aws.guardduty",
            "detail": {"id": "demo-agent-health", "resourceType": "EKS", "status": "Unhealthy"},
        },
    ]


def _terraform_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_"))}
    rc = Path(tempfile.mkdtemp(prefix="guardduty-alerts-demo-tf-")) / "terraformrc"
    if TF_MIRROR.is_dir():  # offline provider mirror on the project's machines
        rc.write_text(
            f'provider_installation {{\n  filesystem_mirror {{\n    path    = "{TF_MIRROR}"\n'
            '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
            '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
        )
    else:
        rc.write_text("")
    env.update(
        TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0",
        AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo",  # noqa: S106 - the emulator accepts any
    )
    return env


def _terraform(env: dict[str, str], stack_dir: Path, *args: str) -> None:
    result = subprocess.run(
        ["terraform", f"-chdir={stack_dir}", *args, "-no-color", "-input=false"],
        env=env, capture_output=True, text=True, timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(f"terraform {args[0]} failed in {stack_dir.name}:\n{result.stdout}\n{result.stderr}")


def _each_stack(env: dict[str, str], stack_dirs: list[Path], command: str, done: str, *args: str) -> None:
    """`terraform COMMAND` in every stack side by side, with progress: applies take a minute or two, silently."""
    finished: list[str] = []
    lock = threading.Lock()
    with Progress() as progress:
        progress.status(f"terraform {command}: {len(stack_dirs)} stacks side by side ...")

        def one(stack_dir: Path) -> None:
            started = time.perf_counter()
            _terraform(env, stack_dir, command, *args)
            with lock:
                finished.append(stack_dir.name)
                progress.note(f"  {done} {stack_dir.name} in {time.perf_counter() - started:.0f} s")
                left = len(stack_dirs) - len(finished)
                if left:
                    progress.status(f"terraform {command}: {len(finished)} of {len(stack_dirs)} {done}, {left} running")

        with ThreadPoolExecutor(max_workers=len(stack_dirs)) as pool:
            list(pool.map(one, stack_dirs))


def _client(service: str, endpoint: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id="demo", aws_secret_access_key="demo")  # noqa: S106


def _mail_text(message: str) -> list[str]:
    try:
        text = json.dumps(json.loads(message), indent=2, sort_keys=True)
    except ValueError:
        text = message
    lines = text.splitlines()
    if len(lines) > MAIL_LINES:
        lines = [*lines[:MAIL_LINES], f"... ({len(lines) - MAIL_LINES} more lines)"]
    return lines


def _finding_id(message: str) -> str | None:
    """The finding id in a delivered message: the event's detail.id, or an id of ours quoted in mail text."""
    try:
        return json.loads(message).get("detail", {}).get("id")
    except (ValueError, AttributeError):
        return next((word.strip("\".,;:()") for word in message.split() if word.startswith("demo-")), None)


def _describe(event: dict[str, Any]) -> str:
    detail = event["detail"]
    severity = detail.get("severity")
    shown = f"{severity:>4}" if severity is not None else "   -"
    return f"{shown}  {detail.get('type', event['detail-type'])}  ({detail['id']})"


def run(config: AlertsConfig) -> None:
    from guardduty_alerts_app.stacks.synth import synth_to  # heavy: loads cdktf and the provider bindings

    threshold = parse_threshold(config.severity_threshold)
    region = config.regions[0]
    workdir = Path(tempfile.mkdtemp(prefix="guardduty-alerts-demo-"))
    env = _terraform_env()
    with moto_server() as endpoint:
        print(f"local AWS emulator (moto) on {endpoint}; nothing is sent to AWS")
        config = dataclasses.replace(config, endpoint_url=endpoint)
        names = synth_to(config, workdir / "cdktf.out", state_dir=workdir)
        stack_dirs = [workdir / "cdktf.out" / "stacks" / name for name in names]
        print(f"synthesized {len(names)} stacks: {', '.join(names)}")
        _each_stack(env, stack_dirs, "init", "initialised")
        try:
            _each_stack(env, stack_dirs, "apply", "applied", "-auto-approve")
            print("applied every stack with Terraform")

            sns, sqs, events = (_client(s, endpoint, region) for s in ("sns", "sqs", "events"))
            topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
            topic_arn = next(arn for arn in topics if arn.endswith(f":{config.name}"))
            mailbox = sqs.create_queue(QueueName="demo-mailbox")["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=mailbox, AttributeNames=["QueueArn"])["Attributes"]
            mailbox_arn = attributes["QueueArn"]
            sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=mailbox_arn)

            sent = sample_events()
            put_guardduty_events(events, sent)
            print(f"\nput {len(sent)} GuardDuty events on the default event bus in {region}:")
            for event in sent:
                print(f"  {_describe(event)}")

            mails = [json.loads(m["Body"]) for m in receive_all(sqs, mailbox)]
            delivered_ids = {_finding_id(mail["Message"]) for mail in mails}
            print(f"\nDELIVERED to topic {config.name} (findings with severity >= {threshold:g}): {len(mails)} mails")
            for number, mail in enumerate(mails, 1):
                subject = f", subject: {mail['Subject']}" if mail.get("Subject") else ""
                print(f"--- mail {number}/{len(mails)}{subject}")
                for line in _mail_text(mail["Message"]):
                    print(f"    {line}")
            print("\nFILTERED OUT by the rule's event pattern:")
            for event in sent:
                if event["detail"]["id"] in delivered_ids:
                    continue
                why = "not a finding" if event["detail-type"] != "GuardDuty Finding" else f"below {threshold:g}"
                print(f"  {_describe(event)}: {why}")
        finally:
            # Also after a failed apply: whatever was created is destroyed before the emulator stops.
            _each_stack(env, stack_dirs, "destroy", "destroyed", "-auto-approve")
            print("\ndestroyed every stack")
    print("emulator stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/demo", description=__doc__.splitlines()[0])
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: the example configuration)")
    args = parser.parse_args(argv)
    try:
        config = load_config(config_path(args.config or REPO / "config" / "guardduty-alerts.yaml"))
    except GuardDutyAlertsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    run(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Real Terraform on the GovCloud and China fixtures (tests/fixtures/configs/govcloud.yaml, china.yaml): every
stack passes `terraform validate` with provider 5.100, its region in the partition's and every ARN it builds in
that partition. Nothing is applied: `terraform plan` would configure the provider, which calls STS in the
partition (sts.us-gov-west-1.amazonaws.com, sts.cn-north-1.amazonaws.com.cn), unreachable offline; see the
emulator note in docs/configuration.md#partitions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
import yaml
from emulator import put_guardduty_events, receive_all
from guardduty_alerts_app.config import load_config
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import FIXTURES, finding_event, run_main, terraform

pytestmark = pytest.mark.terraform


@pytest.mark.parametrize(
    ("fixture", "partition", "stacks"),
    [
        ("govcloud", "aws-us-gov", ["guardduty-alerts-gov-us-gov-east-1", "guardduty-alerts-gov-us-gov-west-1"]),
        ("china", "aws-cn", ["guardduty-alerts-cn-cn-north-1", "guardduty-alerts-cn-cn-northwest-1"]),
    ],
)
def test_govcloud_and_china_stacks_pass_terraform_validate(
    tmp_path: Path, terraform_env: dict[str, str], fixture: str, partition: str, stacks: list[str]
) -> None:
    out = tmp_path / "out"
    result = run_main(
        "synth", "--config", str(FIXTURES / "configs" / f"{fixture}.yaml"), "--outdir", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (out / "stacks").iterdir()) == stacks
    for name in stacks:
        stack_dir = out / "stacks" / name
        text = (stack_dir / "cdk.tf.json").read_text()
        assert set(re.findall(r"arn:([a-z-]+):", text)) <= {partition}, name
        terraform(terraform_env, stack_dir, "init", "-backend=false", "-input=false")
        report = json.loads(terraform(terraform_env, stack_dir, "validate", "-json").stdout)
        assert report["valid"] is True, report
        assert report["warning_count"] == 0, report["diagnostics"]


@pytest.mark.parametrize(
    ("partition", "region", "console"),
    [
        ("aws-us-gov", "us-gov-west-1", "https://console.amazonaws-us-gov.com/guardduty/home?region="),
        ("aws-cn", "cn-northwest-1", "https://console.amazonaws.cn/guardduty/home?region="),
    ],
)
def test_a_high_finding_reaches_the_topic_in_the_partition_on_the_emulator(
    tmp_path: Path, aws_env: dict[str, str], moto_endpoint: str, partition: str, region: str, console: str
) -> None:
    # moto names ARNs by the region's partition (moto.utilities.utils.get_partition: "cn-" -> aws-cn, "us-gov-"
    # -> aws-us-gov), as AWS does; provider 5.100 knows both regions. The emulator is not AWS: what only a real
    # GovCloud or China account shows is in docs/configuration.md#partitions.
    document = {
        "name": "partition-roundtrip",
        "partition": partition,
        "regions": [region],
        "recipients": ["security-team@example.com"],
        "provider": {"endpoint_url": moto_endpoint},
    }
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(document))
    (name,) = synth_to(load_config(config_file), tmp_path / "cdktf.out", state_dir=tmp_path)
    stack_dir = tmp_path / "cdktf.out" / "stacks" / name
    sqs, sns, events = (
        boto3.client(
            service,
            endpoint_url=moto_endpoint,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for service in ("sqs", "sns", "events")
    )
    try:
        terraform(aws_env, stack_dir, "init", "-input=false")
        terraform(aws_env, stack_dir, "apply", "-auto-approve", "-input=false")
        outputs = json.loads(terraform(aws_env, stack_dir, "output", "-json").stdout)
        topic_arn = outputs["topic_arn"]["value"]
        assert topic_arn.startswith(f"arn:{partition}:sns:{region}:")
        inbox = sqs.create_queue(QueueName="partition-inbox")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        assert inbox_arn.startswith(f"arn:{partition}:sqs:")
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
        put_guardduty_events(events, [finding_event(8.0, region=region), finding_event(2.0, region=region)])
        (message,) = [json.loads(m["Body"]) for m in receive_all(sqs, inbox)]
        assert message["TopicArn"] == topic_arn
        # The minimal event has no detail.region: the link's region and finding id are empty, its host is the point.
        assert f"Console: {console}" in message["Message"]
        assert "GuardDuty finding: HIGH 8" in message["Message"]
    finally:
        terraform(aws_env, stack_dir, "destroy", "-auto-approve", "-input=false", check=False)

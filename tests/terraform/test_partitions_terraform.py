"""Real Terraform on the GovCloud and China fixtures (tests/fixtures/configs/govcloud.yaml, china.yaml): every
stack passes `terraform validate` with provider 5.100, its region in the partition's and every ARN it builds in
that partition. Nothing is applied: `terraform plan` would configure the provider, which calls STS in the
partition (sts.us-gov-west-1.amazonaws.com, sts.cn-north-1.amazonaws.com.cn), unreachable offline; see the
emulator note in docs/configuration.md#partitions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import FIXTURES, run_main, terraform

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

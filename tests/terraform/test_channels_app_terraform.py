"""Real Terraform on the app's channel stacks (config/channels.example.yaml, every kind): both regions pass
`terraform validate`, provider aliases for the chat and User Notifications APIs included. The chat and User
Notifications resources cannot be applied on the emulator (moto has neither service); the webhook, SQS and
email channels are applied and delivered to in test_channels_terraform.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import REPO, run_main, terraform

pytestmark = pytest.mark.terraform


def test_every_channel_stack_passes_terraform_validate(tmp_path: Path, terraform_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    result = run_main("synth", "--config", str(REPO / "config" / "channels.example.yaml"), "--outdir", str(out),
                      cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    stacks = sorted((out / "stacks").iterdir())
    assert [stack.name for stack in stacks] == ["guardduty-alerts-eu-west-1", "guardduty-alerts-us-east-1"]
    for stack_dir in stacks:
        terraform(terraform_env, stack_dir, "init", "-backend=false", "-input=false")
        report = json.loads(terraform(terraform_env, stack_dir, "validate", "-json").stdout)
        assert report["valid"] is True, report
        assert report["warning_count"] == 0, report["diagnostics"]

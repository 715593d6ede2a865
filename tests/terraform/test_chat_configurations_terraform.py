"""Real Terraform on the chat home stack and a stack without chat configurations
(tests/fixtures/configs/chat-three-regions.yaml): both pass `terraform validate`, the home stack with its
configurations subscribed to other regions' topics by ARN and created through the chat provider alias. moto
has no chat service, so nothing is applied (what only a real account can show: see the README's channels
section)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import FIXTURES, run_main, terraform

pytestmark = pytest.mark.terraform


def test_chat_home_and_other_stacks_pass_terraform_validate(tmp_path: Path, terraform_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    config = FIXTURES / "configs" / "chat-three-regions.yaml"
    result = run_main("synth", "--config", str(config), "--outdir", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    home, other = out / "stacks" / "chat-three-regions-ap-southeast-2", out / "stacks" / "chat-three-regions-us-west-2"
    home_resources = json.loads((home / "cdk.tf.json").read_text())["resource"]
    assert len(home_resources["aws_chatbot_slack_channel_configuration"]) == 2
    assert "aws_chatbot_slack_channel_configuration" not in json.loads((other / "cdk.tf.json").read_text())["resource"]
    for stack_dir in (home, other):
        terraform(terraform_env, stack_dir, "init", "-backend=false", "-input=false")
        report = json.loads(terraform(terraform_env, stack_dir, "validate", "-json").stdout)
        assert report["valid"] is True, report
        assert report["warning_count"] == 0, report["diagnostics"]

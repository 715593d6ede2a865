"""Real Terraform on the synthesized stacks: every example stack passes `terraform validate` (the deployment
itself is in test_example_deployment.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import terraform

pytestmark = pytest.mark.terraform


def test_every_example_stack_passes_terraform_validate(
    initialized_example_stacks: dict[str, Path], terraform_env: dict[str, str]
) -> None:
    assert sorted(initialized_example_stacks) == ["guardduty-alerts-eu-west-1", "guardduty-alerts-us-east-1"]
    for stack_dir in initialized_example_stacks.values():
        result = terraform(terraform_env, stack_dir, "validate", "-json")
        report = json.loads(result.stdout)
        assert report["valid"] is True, report
        assert report["warning_count"] == 0, report["diagnostics"]

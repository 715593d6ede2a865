"""Real Terraform on the extreme-names fixture (tests/fixtures/configs/extreme-names.yaml): the longest names
allowed, shortened with a digest where AWS's limits require it, pass `terraform validate`. The provider checks
several of those limits itself (rule, API destination, connection and IAM role names: 64 characters), so an
over-long generated name would fail here as it would at apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import FIXTURES, run_main, terraform

pytestmark = pytest.mark.terraform


def test_the_extreme_names_fixture_passes_terraform_validate(tmp_path: Path, terraform_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    config = FIXTURES / "configs" / "extreme-names.yaml"
    result = run_main("synth", "--config", str(config), "--outdir", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    stacks = sorted((out / "stacks").iterdir())
    assert len(stacks) == 2
    for stack_dir in stacks:
        terraform(terraform_env, stack_dir, "init", "-backend=false", "-input=false")
        report = json.loads(terraform(terraform_env, stack_dir, "validate", "-json").stdout)
        assert report["valid"] is True, report
        assert report["warning_count"] == 0, report["diagnostics"]

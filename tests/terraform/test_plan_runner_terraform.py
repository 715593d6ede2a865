"""`main.py plan` against the emulator as CI runs it: the stacks a change touches, split into two shards that
two jobs would plan, then one plan-summary comment from both shards' files."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from guardduty_alerts_app.config import parse_config
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import REPO, terraform

pytestmark = pytest.mark.terraform

# Accounts and regions no other test uses on the shared emulator.
ALPHA, BETA = "333333333333", "444444444444"
REGIONS = ["us-west-2", "eu-north-1"]


def estate(endpoint: str) -> dict:
    return {
        "name": "gd",
        "regions": list(REGIONS),
        "recipients": ["sec@example.com"],
        "provider": {"endpoint_url": endpoint},
        "accounts": [
            {"id": number, "name": name, "role_arn": f"arn:aws:iam::{number}:role/GuardDutyAlertsDeploy"}
            for name, number in (("alpha", ALPHA), ("beta", BETA))
        ],
    }


def main_py(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"main.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_two_shards_plan_the_changed_stacks_and_merge_into_one_comment(
    aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path
) -> None:
    base_out, head_out, state = tmp_path / "base" / "cdktf.out", tmp_path / "head" / "cdktf.out", tmp_path / "state"
    state.mkdir()
    synth_to(parse_config(estate(moto_endpoint)), base_out, state_dir=state)
    head = copy.deepcopy(estate(moto_endpoint))
    head["accounts"][0]["severity_threshold"] = "HIGH"  # alpha: both stacks change
    head["accounts"][1]["regions"] = [REGIONS[0]]  # beta: one stack goes
    synth_to(parse_config(head), head_out, state_dir=state)

    # What is deployed: the base configuration (only the stacks the change touches need to be).
    touched = ["gd-alpha-eu-north-1", "gd-alpha-us-west-2", "gd-beta-eu-north-1"]

    def apply(name: str) -> None:
        terraform(aws_env, base_out / "stacks" / name, "init", "-input=false")
        terraform(aws_env, base_out / "stacks" / name, "apply", "-auto-approve", "-input=false")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(apply, touched))
    # Not destroyed afterwards: these accounts are this test's alone, and the emulator ends with the session.
    env = dict(aws_env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    changed = json.loads(main_py(env, "changed-stacks", "--base", str(base_out), "--outdir", str(head_out),
                                 "--json", "--shard-size", "2").stdout)
    assert changed["shards"] == ["1/2", "2/2"]
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    plan_dirs = []
    for spec in changed["shards"]:  # two CI jobs, one after the other here
        plan_dirs.append(tmp_path / f"plans-{spec.split('/')[0]}")
        output = main_py(env, "plan", "--changed-since", str(base_out), "--outdir", str(head_out), "--shard", spec,
                         "--jobs", "2", "--plans-dir", str(plan_dirs[-1])).stdout
        # Shard 1/2 holds one stack, 2/2 two: "planned 1 stack (shard 1/2) in …", "planned 2 stacks (shard 2/2) in …".
        count = "1 stack" if spec == "1/2" else "2 stacks"
        assert f"planned {count} (shard {spec}) in" in output
    assert [sorted(p.name for p in d.iterdir()) for d in plan_dirs] == [
        ["gd-alpha-eu-north-1.json", "gd-alpha-eu-north-1.txt"],
        ["gd-alpha-us-west-2.json", "gd-alpha-us-west-2.txt", "gd-beta-eu-north-1.json", "gd-beta-eu-north-1.txt"],
    ]
    text = (plan_dirs[1] / "gd-alpha-us-west-2.txt").read_text()
    assert text.startswith("Terraform used the selected providers") and "Refreshing state" not in text

    plans = sorted(str(path) for d in plan_dirs for path in d.glob("*.json"))
    main_py(env, "plan-summary", *plans, "--changed-stacks", str(tmp_path / "changed.json"),
            "--output", str(tmp_path / "comment.md"))
    comment = (tmp_path / "comment.md").read_text()
    (tmp_path.parent / "comment-two-shards.md").write_text(comment)  # kept for the pull request's note
    assert "Planned the 3 of 4 stacks whose Terraform this change touches; the other stack is unchanged." in comment
    impacts = [line for line in comment.split("<details>", 1)[0].splitlines() if line.startswith("- ")]
    assert f"- ⚠️ **Threshold raised from MEDIUM (4.0) to HIGH (7.0)** (in the 2 stacks of account {ALPHA}): " \
        "MEDIUM findings (severity 4.0 to below 7.0) will no longer be mailed to anyone; HIGH and CRITICAL " \
        "findings (severity 7.0 to 10.0) are still mailed." in impacts
    assert "- ⚠️ **GuardDuty disabled** (in `gd-beta-eu-north-1`): the detector is deleted: GuardDuty stops in " \
        "this region, its findings are deleted, and nothing is mailed." in impacts
    assert impacts[-2:] == [
        f"- After this change the 2 stacks of account {ALPHA} mail HIGH and CRITICAL findings (severity 7.0 to "
        "10.0) to sec@example.com.",
        "- After this change `gd-beta-eu-north-1` mails nothing: GuardDuty is off.",
    ]
    # One raw plan per group of stacks with the same changes.
    assert comment.count("<details>") == 2
    assert "Terraform plan: gd-alpha-eu-north-1 (1 other stack with the same changes)" in comment


"""`main.py changed-stacks`: two synth outputs of real configurations compared stack by stack; only differences
Terraform sees count. And how `main.py plan` selects and shards the stacks it plans (Terraform itself runs in
tests/terraform/test_plan_runner_terraform.py)."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from guardduty_alerts_app.cli import main
from guardduty_alerts_app.config import parse_config
from guardduty_alerts_app.stacks.synth import synth_to
from guardduty_alerts_review.plan_runner import plan_jobs
from guardduty_alerts_review.synth_output import changed_stacks, read_synth_outputs
from helpers import read_json

ACCOUNTS = {"alpha": "111111111111", "beta": "222222222222", "gamma": "333333333333"}
BASE = {
    "name": "gd",
    "regions": ["us-east-1", "eu-west-1"],
    "recipients": ["sec@example.com"],
    "accounts": [{"id": number, "name": name} for name, number in ACCOUNTS.items()],
}


def synth(document: dict, root: Path) -> Path:
    synth_to(parse_config(document), root / "cdktf.out", state_dir=root)
    return root / "cdktf.out"


@pytest.fixture(scope="module")
def base_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth(BASE, tmp_path_factory.mktemp("base"))


def test_lists_every_stack_whose_terraform_differs_one_per_line(
    base_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = copy.deepcopy(BASE)
    head["accounts"][1]["severity_threshold"] = "HIGH"  # beta: both stacks change
    del head["accounts"][2]  # gamma: both stacks go
    head["accounts"].append({"id": "444444444444", "name": "delta", "regions": ["us-east-1"]})
    head_out = synth(head, tmp_path)
    assert main(["changed-stacks", "--base", str(base_out), "--outdir", str(head_out)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "changed  gd-beta-eu-west-1",
        "changed  gd-beta-us-east-1",
        "added    gd-delta-us-east-1",
        "removed  gd-gamma-eu-west-1",
        "removed  gd-gamma-us-east-1",
    ]
    assert err == "5 of 7 stacks differ: 1 added, 2 changed, 2 removed\n"
    assert main(["changed-stacks", "--base", str(base_out), "--outdir", str(head_out), "--json", "--shard-size", "2"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "added": ["gd-delta-us-east-1"],
        "changed": ["gd-beta-eu-west-1", "gd-beta-us-east-1"],
        "removed": ["gd-gamma-eu-west-1", "gd-gamma-us-east-1"],
        "unchanged": ["gd-alpha-eu-west-1", "gd-alpha-us-east-1"],
        "shards": ["1/3", "2/3", "3/3"],
    }


def test_key_order_cdktf_comments_and_manifest_paths_do_not_count(base_out: Path, tmp_path: Path) -> None:
    head_out = tmp_path / "head"
    shutil.copytree(base_out, head_out)
    manifest = read_json(head_out / "manifest.json")
    # One stack's file moves elsewhere (the manifest says where); another's keys are reversed and its cdktf
    # comments (construct paths, unique ids) rewritten, as a construct moved in the tree would do.
    moved = "gd-alpha-us-east-1"
    (head_out / "elsewhere").mkdir()
    shutil.move(head_out / "stacks" / moved, head_out / "elsewhere" / moved)
    manifest["stacks"][moved]["synthesizedStackPath"] = f"elsewhere/{moved}/cdk.tf.json"
    manifest["stacks"][moved]["workingDirectory"] = f"elsewhere/{moved}"
    (head_out / "manifest.json").write_text(json.dumps(manifest))
    rewritten = head_out / "stacks" / "gd-beta-eu-west-1" / "cdk.tf.json"
    document = read_json(rewritten)
    document["//"]["metadata"]["stackName"] = "renamed"
    for resources in document["resource"].values():
        for body in resources.values():
            body["//"] = {"metadata": {"path": "somewhere/else", "uniqueId": "other"}}
    rewritten.write_text(json.dumps(_reversed(document), indent=4))
    base, head = read_synth_outputs(base_out, head_out)
    assert changed_stacks(base, head).selected() == []

    # A value Terraform reads does count, even one inside a map under a `//`-free key.
    (topic,) = document["resource"]["aws_sns_topic"].values()
    topic["display_name"] = "GuardDuty beta (renamed)"
    rewritten.write_text(json.dumps(document))
    assert changed_stacks(*read_synth_outputs(base_out, head_out)).selected() == [("gd-beta-eu-west-1", "changed")]


def _reversed(value: object) -> object:
    if isinstance(value, dict):
        return {key: _reversed(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed(item) for item in value]
    return value


def test_fails_on_missing_or_broken_synth_outputs(base_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(base_out, broken)
    (broken / "stacks" / "gd-alpha-eu-west-1" / "cdk.tf.json").unlink()
    not_json = tmp_path / "not-json"
    not_json.mkdir()
    (not_json / "manifest.json").write_text("{")
    allowed = "allowed: a synth output folder (cdktf.out layout: manifest.json and stacks/<name>/cdk.tf.json)"
    assert main(["changed-stacks", "--base", str(tmp_path / "missing"), "--outdir", str(broken)]) == 2
    assert capsys.readouterr() == ("", "\n".join([
        "error: cannot select stacks: 2 problems",
        f"  - --base {tmp_path / 'missing'}: no such folder; {allowed}",
        f"  - --outdir {broken}: stack gd-alpha-eu-west-1: stacks/gd-alpha-eu-west-1/cdk.tf.json is missing; {allowed}",
        "",
    ]))
    assert main(["changed-stacks", "--base", str(not_json), "--outdir", str(base_out / "manifest.json"), "--shard-size", "0"]) == 2
    assert capsys.readouterr() == ("", "\n".join([
        "error: cannot select stacks: 3 problems",
        "  - --shard-size 0: allowed: a whole number, 1 or more",
        f"  - --base {not_json}: manifest.json is not JSON (Expecting property name enclosed in double quotes: line 1 "
        f"column 2 (char 1)); {allowed}",
        f"  - --outdir {base_out / 'manifest.json'}: is a file; {allowed}",
        "",
    ]))


def test_plan_rejects_bad_options_and_folders_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "cdktf.out"
    assert main(["plan", "--shard", "3/2", "--jobs", "0", "--outdir", str(missing)]) == 2
    allowed = "allowed: a synth output folder (cdktf.out layout: manifest.json and stacks/<name>/cdk.tf.json)"
    assert capsys.readouterr() == ("", "\n".join([
        "error: cannot select stacks: 3 problems",
        "  - --jobs 0: allowed: a whole number, 1 or more",
        "  - --shard 3/2: allowed: i/n with whole numbers 1 <= i <= n, e.g. 2/5",
        f"  - --outdir {missing}: no such folder; {allowed}",
        "",
    ]))
    assert not (tmp_path / "plans").exists()


def test_shards_cover_the_changed_stacks_once_each_and_none_is_larger_than_asked(base_out: Path, tmp_path: Path) -> None:
    head = copy.deepcopy(BASE)
    head["recipients"] = ["sec@example.com", "soc@example.com"]  # every stack changes
    del head["accounts"][0]
    head_out = synth(head, tmp_path)
    base, head_output = read_synth_outputs(base_out, head_out)
    changes = changed_stacks(base, head_output)
    for size in (1, 2, 4, 6, 7):
        specs = changes.as_json(shard_size=size)["shards"]
        shards = [plan_jobs(head_output, changes, base, tuple(map(int, spec.split("/")))) for spec in specs]
        assert all(1 <= len(shard) <= size for shard in shards), (size, shards)
        jobs = [job for shard in shards for job in shard]
        assert [(job.name, job.destroy) for job in jobs] == [
            ("gd-alpha-eu-west-1", True),
            ("gd-alpha-us-east-1", True),
            ("gd-beta-eu-west-1", False),
            ("gd-beta-us-east-1", False),
            ("gd-gamma-eu-west-1", False),
            ("gd-gamma-us-east-1", False),
        ]
        # A removed stack is planned (for destruction) from the base output, the others from this branch's.
        assert {job.stack_dir.parent.parent for job in jobs} == {base_out, head_out}
        assert all((job.stack_dir / "cdk.tf.json").is_file() for job in jobs)


def _estate(accounts: range) -> dict:
    return {
        "name": "gd",
        "regions": "all",
        "recipients": ["security@example.com"],
        "protection_plans": {"s3_data_events": True},
        "state": {"s3": {"bucket": "acme-terraform-state", "region": "us-east-1"}},
        "accounts": [
            {
                "id": f"{210987654300 + number:012d}",
                "name": f"account-{number:02d}",
                "role_arn": f"arn:aws:iam::{210987654300 + number:012d}:role/GuardDutyAlertsDeploy",
            }
            for number in accounts
        ],
    }


@pytest.mark.slow
def test_on_a_340_stack_estate_one_threshold_and_one_removed_account_are_exactly_their_34_stacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 20 accounts x 17 regions, synthesized twice from configurations (about a minute each): the base, and
    # the head where account-03's threshold is raised and account-07 is gone.
    base_out = synth(_estate(range(20)), tmp_path / "base")
    head = _estate(range(20))
    head["accounts"][3]["severity_threshold"] = "HIGH"
    del head["accounts"][7]
    head_out = synth(head, tmp_path / "head")
    assert len(list((base_out / "stacks").iterdir())) == 340
    assert main(["changed-stacks", "--base", str(base_out), "--outdir", str(head_out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    regions = sorted(name.removeprefix("gd-account-03-") for name in result["changed"])
    assert len(regions) == 17
    assert result["changed"] == [f"gd-account-03-{region}" for region in regions]
    assert result["removed"] == [f"gd-account-07-{region}" for region in regions]
    assert result["added"] == []
    assert len(result["unchanged"]) == 340 - 34
    assert result["shards"] == ["1/2", "2/2"]  # at the default of 20 stacks per shard


@pytest.mark.parametrize(
    ("shard", "summary"),
    [
        # One stack: no "1 stacks", no range of one value, no jobs it did not use.
        ("1/6", r"planned 1 stack \(shard 1/6\) in \d+\.\d s; next: ./bin/app plan-summary PLANS/\*\.json"),
        (None, r"planned 6 stacks in \d+\.\d s with 4 jobs \(per stack 1\.0 to 6\.0 s\); next: ./bin/app plan-summary "
         r"PLANS/\*\.json"),
    ],
)  # fmt: skip
def test_plan_ends_with_a_summary_in_words(
    base_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    shard: str | None, summary: str,
) -> None:  # fmt: skip
    from guardduty_alerts_review import plan_runner

    # Terraform itself runs in tests/terraform/test_plan_runner_terraform.py; here only the words around it.
    monkeypatch.setattr(
        plan_runner, "run_plans", lambda jobs, **_: {job.name: float(n) for n, job in enumerate(jobs, 1)}
    )
    plans = tmp_path / "plans"
    shard_option = ["--shard", shard] if shard else []
    assert main(["plan", "--outdir", str(base_out), "--plans-dir", str(plans), *shard_option]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(summary.replace("PLANS", re.escape(str(plans))) + "\n", out), out

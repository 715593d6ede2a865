"""`main.py deploy` and `main.py destroy` with real Terraform: a two-region configuration applied to and
destroyed from the emulator, and a failed step that stops the later ones (exit code 1, the stack named)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from guardduty_alerts_app.deploy import Action, DeployStep, render_summary, run_steps
from guardduty_alerts_review.plan_runner import PlanJob
from helpers import REPO

pytestmark = pytest.mark.terraform

# A region pair no other test deploys on the shared emulator.
REGIONS = ["ap-southeast-2", "sa-east-1"]


def main_py(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=900
    )


def test_deploys_and_destroys_every_stack_of_a_two_region_configuration(
    aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path
) -> None:
    config = tmp_path / "two-regions.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "deploytest",
                "regions": REGIONS,
                "recipients": ["sec@example.com"],
                "provider": {"endpoint_url": moto_endpoint},
            }
        )
    )
    synth = main_py(aws_env, tmp_path, "synth", "--config", str(config), "--jobs", "1")
    assert synth.returncode == 0, synth.stderr

    deploy = main_py(aws_env, tmp_path, "deploy", "--config", str(config), "--jobs", "2")
    assert deploy.returncode == 0, f"{deploy.stdout}\n{deploy.stderr}\n{_logs(tmp_path)}"
    lines = deploy.stdout.splitlines()
    assert lines[0] == "step 1 (1 of 1): 2 stacks, 2 at a time"
    summary = lines[-3:]
    assert [line.split(" (")[0] for line in summary[:2]] == [
        "  applied  deploytest-ap-southeast-2",
        "  applied  deploytest-sa-east-1",
    ]
    assert summary[2].startswith("deploy: 2 applied, 0 failed, 0 skipped in ")
    for region in REGIONS:
        state = json.loads((tmp_path / f"terraform.deploytest-{region}.tfstate").read_text())
        assert any(resource["type"] == "aws_guardduty_detector" for resource in state["resources"])
        assert (tmp_path / "logs" / f"deploytest-{region}.log").read_text().count("Apply complete!") == 1

    destroy = main_py(aws_env, tmp_path, "destroy", "--config", str(config))
    assert destroy.returncode == 0, f"{destroy.stdout}\n{destroy.stderr}\n{_logs(tmp_path)}"
    assert destroy.stdout.splitlines()[-1].startswith("destroy: 2 destroyed, 0 failed, 0 skipped in ")
    for region in REGIONS:
        state = json.loads((tmp_path / f"terraform.deploytest-{region}.tfstate").read_text())
        assert state["resources"] == []


def test_fails_with_exit_code_1_naming_the_stack_that_failed_and_its_log(
    aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path
) -> None:
    config = tmp_path / "two-regions.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "deployfail",
                "regions": REGIONS,
                "recipients": ["sec@example.com"],
                "provider": {"endpoint_url": moto_endpoint},
            }
        )
    )
    synth = main_py(aws_env, tmp_path, "synth", "--config", str(config), "--jobs", "1")
    assert synth.returncode == 0, synth.stderr
    broken = tmp_path / "cdktf.out" / "stacks" / "deployfail-sa-east-1" / "cdk.tf.json"
    document = json.loads(broken.read_text())
    document["output"]["broken"] = {"value": "${local.missing}"}
    broken.write_text(json.dumps(document))

    # --plan: the same steps and summary without changing anything, so the emulator keeps no resources.
    result = main_py(aws_env, tmp_path, "deploy", "--config", str(config), "--plan")
    assert result.returncode == 1, f"{result.stdout}\n{result.stderr}"
    summary = result.stdout.splitlines()[-3:]
    assert summary[0].startswith("  planned  deployfail-ap-southeast-2 (step 1, ")
    assert summary[1:] == [
        "  failed   deployfail-sa-east-1 (step 1): terraform plan failed; log: logs/deployfail-sa-east-1.log",
        summary[2],
    ]
    assert summary[2].startswith("deploy --plan: 1 planned, 1 failed, 0 skipped in ")
    assert "Reference to undeclared local value" in (tmp_path / "logs" / "deployfail-sa-east-1.log").read_text()


def test_rejects_deploy_before_synth_naming_the_missing_stacks(aws_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"name": "nosynth", "regions": ["us-east-1"], "recipients": ["a@example.com"]}))
    result = main_py(aws_env, tmp_path, "deploy", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr == (
        "error: cannot select stacks: 1 problem\n"
        "  - --outdir cdktf.out: no synthesized stack nosynth-us-east-1; allowed: the synth output of this "
        "configuration (run ./bin/synth with the same --config first)\n"
    )
    assert not (tmp_path / "logs").exists()


def _stack(root: Path, name: str, document: dict) -> PlanJob:
    # Stacks without a provider: Terraform alone decides success, in a second, offline.
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "cdk.tf.json").write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": "s.tfstate"}}}, **document})
    )
    return PlanJob(name, folder)


def test_fails_a_step_with_a_failed_stack_and_skips_the_later_steps(
    terraform_env: dict[str, str], tmp_path: Path
) -> None:
    good = {"output": {"ok": {"value": "fine"}}}
    broken = {"output": {"broken": {"value": "${local.missing}"}}}  # "Reference to undeclared local value"
    steps = [
        DeployStep(1, (_stack(tmp_path, "a-good", good), _stack(tmp_path, "b-broken", broken))),
        DeployStep(2, (_stack(tmp_path, "c-later", good),)),
    ]
    action = Action.of(destroy=False, plan_only=False)
    progress: list[str] = []
    outcomes = run_steps(steps, action, jobs=2, logs_dir=tmp_path / "logs", env=terraform_env, progress=progress.append)
    assert [(o.name, o.status) for o in outcomes] == [
        ("a-good", "applied"),
        ("b-broken", "failed"),
        ("c-later", "skipped"),
    ]
    lines = render_summary(outcomes, action, 1.0)
    assert lines[1:] == [
        f"  failed   b-broken (step 1): terraform apply failed; log: {tmp_path / 'logs' / 'b-broken.log'}",
        "  skipped  c-later (step 2): step 1 failed",
        "deploy: 1 applied, 1 failed, 1 skipped in 1.0 s",
    ]
    assert "Reference to undeclared local value" in (tmp_path / "logs" / "b-broken.log").read_text()
    assert not (tmp_path / "c-later" / ".terraform").exists()
    assert progress[0] == "step 1 (1 of 2): 2 stacks, 2 at a time"


def test_destroy_runs_the_steps_last_first(terraform_env: dict[str, str], tmp_path: Path) -> None:
    good = {"output": {"ok": {"value": "fine"}}}
    steps = [DeployStep(1, (_stack(tmp_path, "first", good),)), DeployStep(2, (_stack(tmp_path, "second", good),))]
    progress: list[str] = []
    outcomes = run_steps(
        steps,
        Action.of(destroy=True, plan_only=False),
        jobs=1,
        logs_dir=tmp_path / "logs",
        env=terraform_env,
        progress=progress.append,
    )
    assert [(o.name, o.status) for o in outcomes] == [("second", "destroyed"), ("first", "destroyed")]
    assert [line for line in progress if line.startswith("step")] == [
        "step 2 (1 of 2): 1 stack, 1 at a time",
        "step 1 (2 of 2): 1 stack, 1 at a time",
    ]


def _logs(root: Path) -> str:
    return "\n".join(path.read_text()[-3000:] for path in sorted((root / "logs").glob("*.log")))


def test_plan_says_what_its_first_init_is_doing_before_the_wait(terraform_env: dict[str, str], tmp_path: Path) -> None:
    from guardduty_alerts_review.plan_runner import run_plans

    jobs = [_stack(tmp_path, name, {"output": {"ok": {"value": "fine"}}}) for name in ("one", "two")]
    lines: list[str] = []
    run_plans(jobs, plans_dir=tmp_path / "plans", parallelism=2, env=terraform_env, log=lines.append)
    # Both stacks have the same (no) providers: one init alone, announced before it starts.
    assert lines[0] == "terraform init one: first of its provider set, alone (fills the provider plugin cache)"
    assert lines[1].startswith("initialised one in ")
    assert sorted(line.split(" in ")[0] for line in lines[2:]) == ["planned one", "planned two"]

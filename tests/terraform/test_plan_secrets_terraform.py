"""No secret in what the review workflow uploads or comments: a stack with chat webhooks (one URL from
TF_VAR_<name>, one from an SSM SecureString) and an HTTPS webhook whose path holds a key is planned by real
Terraform against the emulator with the workflow's own commands, and every file they write is searched for
the secrets and their URL paths.

Why it is needed: `terraform show -json` prints sensitive values in clear (Terraform docs, "JSON Output Format":
values sit beside their `*_sensitive` maps; terraform's testdata `show-json-sensitive` shows a sensitive
variable's value in `variables`), and the workflow uploads plan files as artifacts anyone with read access to
the repository can download. Plan only, nothing applied: the stack has a region and a name of its own in the
shared emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml
from guardduty_alerts_app.config import parse_config
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import REPO

pytestmark = pytest.mark.terraform

REGION = "ca-central-1"
NAME = "plan-secrets"
# Recognisable secrets: each URL's path is what must never leave the job.
ENV_URL = "https://hooks.slack.com/services/T0ENVSECRET/B0ENVSECRET/EnvWebhookSecretToken"
SSM_URL = "https://example.webhook.office.com/webhookb2/SsmWebhookSecretToken/IncomingWebhook"
HTTPS_URL = "https://events.pagerduty.com/integration/PagerDutySecretKey/enqueue"
CHAT_SECRETS = (
    ENV_URL,
    "/services/T0ENVSECRET/B0ENVSECRET/EnvWebhookSecretToken",
    "EnvWebhookSecretToken",
    SSM_URL,
    "/webhookb2/SsmWebhookSecretToken/IncomingWebhook",
    "SsmWebhookSecretToken",
)
# The HTTPS webhook's URL is written in the configuration file, so the synthesized JSON holds it as the
# repository does; what the plan job adds (plans) and the comment show only its host.
SECRETS = (*CHAT_SECRETS, HTTPS_URL, "/integration/PagerDutySecretKey/enqueue", "PagerDutySecretKey")
WORKFLOW = REPO / ".github" / "workflows" / "plan-review.yml"


def main_py(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"main.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _workflow_runs(job: str) -> str:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return "\n".join(step.get("run", "") for step in workflow["jobs"][job]["steps"])


def test_the_workflow_uploads_only_synth_output_and_the_plan_files_main_py_plan_writes() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    uploads = {
        job: [step["with"]["path"].split() for step in spec["steps"] if "upload-artifact" in step.get("uses", "")]
        for job, spec in workflow["jobs"].items()
    }
    # Synthesized JSON holds no secret (tests/synth/test_aws_rules.py, "Secrets in plan artifacts"); the plans
    # folder holds only what `main.py plan` writes, redacted. The binary plan files stay in the stack folders.
    assert uploads == {
        "prepare": [["cdktf.out", "base.out"], ["changed-stacks.json"]],
        "plan": [["plans"]],
        "comment": [],
    }


def test_no_artifact_or_comment_of_the_review_holds_a_webhook_url_or_its_path(
    aws_env: dict[str, str], moto_endpoint: str, tmp_path: Path
) -> None:
    boto3.client(
        "ssm", endpoint_url=moto_endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="x"
    ).put_parameter(Name="/plan-secrets/teams-webhook", Value=SSM_URL, Type="SecureString", Overwrite=True)
    config = {
        "name": NAME,
        "regions": [REGION],
        "recipients": ["soc@example.com"],
        "provider": {"endpoint_url": moto_endpoint},
        "channels": [
            {"kind": "slack_webhook", "url_env_var": "TF_VAR_plan_secrets_slack_url"},
            {"kind": "teams_webhook", "url_ssm_parameter": "/plan-secrets/teams-webhook"},
            {"kind": "webhook", "url": HTTPS_URL, "auto_confirms": True},
        ],
    }
    work = tmp_path / "checkout"
    work.mkdir()
    # The workflow's prepare job: this branch synthesized, the base branch unavailable (every stack planned).
    synth_to(parse_config(config), work / "cdktf.out", state_dir=tmp_path / "state")
    (work / "base.out").mkdir()
    (work / "base.out" / "manifest.json").write_text('{"stacks": {}}')
    env = dict(aws_env, TF_VAR_plan_secrets_slack_url=ENV_URL, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")

    # The commands as the workflow runs them (asserted against the workflow, so that they cannot drift apart).
    changed_command = "./bin/app changed-stacks --base base.out --outdir cdktf.out --json"
    assert changed_command in _workflow_runs("prepare")
    changed = main_py(env, work, *changed_command.split()[1:], "--shard-size", "20").stdout
    (work / "changed-stacks.json").write_text(changed)
    shard = json.loads(changed)["shards"][0]
    plan_command = './bin/app plan --changed-since base.out --outdir cdktf.out --shard "$SHARD"'
    assert plan_command in _workflow_runs("plan") and "--plans-dir plans" in _workflow_runs("plan")
    main_py(env, work, *plan_command.replace('"$SHARD"', shard).split()[1:], "--jobs", "1", "--plans-dir", "plans")
    summary_command = "./bin/app plan-summary plans/*.json --changed-stacks changed-stacks.json"
    assert summary_command in _workflow_runs("comment")
    plans = sorted(str(path.relative_to(work)) for path in (work / "plans").glob("*.json"))
    assert plans == [f"plans/{NAME}-{REGION}.json"]
    main_py(
        env,
        work,
        "plan-summary",
        *plans,
        "--changed-stacks",
        "changed-stacks.json",
        "--output",
        "comment/plan-summary.md",
    )

    # Terraform did read the secrets: the binary plan holds them, and it never leaves the stack's folder.
    plan_file = work / "cdktf.out" / "stacks" / f"{NAME}-{REGION}" / f"{NAME}-{REGION}.tfplan"
    assert plan_file.is_file()
    shown = subprocess.run(
        ["terraform", f"-chdir={plan_file.parent}", "show", "-json", plan_file.name],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ENV_URL in shown and SSM_URL in shown, "the test must plan real secrets to prove they are hidden"

    # Every file the workflow uploads (synth output, changed stacks, plans) or posts (the comment).
    reviewed = [work / "changed-stacks.json", work / "comment" / "plan-summary.md"]
    reviewed += [path for path in (work / "plans").rglob("*") if path.is_file()]
    synthesized = [
        path
        for folder in ("cdktf.out", "base.out")
        for path in (work / folder).rglob("*")
        if path.is_file() and ".terraform" not in path.parts and path.suffix != ".tfplan"
    ]
    assert len(reviewed) == 4 and len(synthesized) >= 3
    leaks = {
        str(path.relative_to(work)): [secret for secret in secrets if secret in path.read_text(errors="replace")]
        for files, secrets in ((reviewed, SECRETS), (synthesized, CHAT_SECRETS))
        for path in files
    }
    assert {path: found for path, found in leaks.items() if found} == {}

    # What the reviewer still sees: where findings go, without the secret part.
    comment = (work / "comment" / "plan-summary.md").read_text()
    assert "HTTPS webhook at events.pagerduty.com" in comment
    assert "Slack incoming webhook (URL in environment variable TF_VAR_plan_secrets_slack_url)" in comment
    plan_json = json.loads((work / plans[0]).read_text())
    destinations = [
        change["change"]["after"]["invocation_endpoint"]
        for change in plan_json["resource_changes"]
        if change["type"] == "aws_cloudwatch_event_api_destination"
    ]
    assert destinations == ["(redacted)", "(redacted)"]
    assert plan_json["variables"]["plan_secrets_slack_url"] == {"value": "(redacted)"}

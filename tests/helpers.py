"""Helpers shared by the tests (not fixtures: those are in conftest.py): paths, Terraform, synthesis."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guardduty_alerts_app.config import AlertsConfig

__all__ = [
    "AWS_MANAGED_KEY_PROBLEM",
    "EXAMPLE_CONFIG",
    "FINDINGS_DIR",
    "FIXTURES",
    "GOLDEN",
    "OWN_EVENTS",
    "RECIPIENTS",
    "REPO",
    "TERRAFORM_RC",
    "TF_MIRROR",
    "ExampleDeployment",
    "deploy_example",
    "destination_block",
    "finding_event",
    "only",
    "read_json",
    "ref",
    "run_main",
    "synth_construct",
    "terraform",
    "tree_digest",
    "with_provider_identity",
]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "config" / "guardduty-alerts.yaml"
FIXTURES = REPO / "tests" / "fixtures"
# Real-format GuardDuty events from public repositories (provenance and licences in its README).
FINDINGS_DIR = FIXTURES / "findings"
# Events written for this project: resource types the public corpus lacks.
OWN_EVENTS = FIXTURES / "events"
GOLDEN = FIXTURES / "golden" / "guardduty-alerts-us-east-1.cdk.tf.json"
# An offline provider mirror, where the machine has one (CI here); elsewhere Terraform downloads providers.
TF_MIRROR = Path("/opt/tf-plugins")
RECIPIENTS = ["security-team@example.com", "oncall@example.com"]
# Expected wording, shared by the construct's and the configuration file's rejection of an AWS-managed key.
AWS_MANAGED_KEY_PROBLEM = (
    "is an AWS-managed key: its key policy cannot be changed to let EventBridge (events.amazonaws.com) use it, "
    "so every delivery to the topic would fail and no finding would arrive; allowed: the ARN of a "
    "customer-managed KMS key (or of its alias) in the stack's region, or leave it out to have one created"
)


def _write_terraform_cli_config() -> Path:
    """A Terraform CLI config in a fresh folder.

    With the offline mirror (an unpacked layout) `terraform init` links the provider instead of copying it;
    without it, providers are downloaded once into a cache shared by every stack folder of the session.
    """
    home = Path(tempfile.mkdtemp(prefix="guardduty-alerts-tf-"))
    cache = home / "plugin-cache"
    cache.mkdir()
    lines = []
    if not TF_MIRROR.is_dir():
        lines.append(f'plugin_cache_dir = "{cache}"')
    else:
        lines += [
            "provider_installation {",
            f'  filesystem_mirror {{\n    path    = "{TF_MIRROR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}',
            '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }',
            "}",
        ]
    rc = home / "terraformrc"
    rc.write_text("\n".join(lines) + "\n")
    return rc


TERRAFORM_RC = _write_terraform_cli_config()


@dataclasses.dataclass(frozen=True)
class ExampleDeployment:
    """The example configuration in one region, applied to the emulator. `project` is laid out like a clone:
    the configuration file, cdktf.out/ and the state file beside it."""

    project: Path
    config_file: Path
    config: AlertsConfig
    region: str
    stack_name: str
    stack_dir: Path
    state_file: Path
    outputs: dict[str, Any]
    endpoint: str
    env: dict[str, str]


@contextmanager
def deploy_example(env: dict[str, str], endpoint: str, project: Path, region: str) -> Iterator[ExampleDeployment]:
    """The example configuration in `region` only, applied to the emulator at `endpoint` from `project`. Every
    resource of the example is regional, so deployments in different regions of one emulator never see each
    other: a test that changes or destroys a deployment gets one in a region of its own, and the session's
    (us-east-1) stays as applied, whatever order tests run in.

    Nothing is destroyed on leaving: the emulator lives only as long as the test session (one per xdist
    worker) and the region is nobody else's, so a destroy would check nothing and cost a minute of waiting
    (the AWS provider waits about 25 s for the SQS queue policy's removal to settle). The destroy test
    (test_example_deployment.py) runs and checks its own."""
    import yaml
    from guardduty_alerts_app.config import load_config
    from guardduty_alerts_app.stacks.synth import synth_to  # loads cdktf: only for the sessions that need it

    document = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    document.update(regions=[region], provider={"endpoint_url": endpoint})
    config_file = project / "guardduty-alerts.yaml"
    config_file.write_text(yaml.safe_dump(document))
    config = load_config(config_file)
    (name,) = synth_to(config, project / "cdktf.out", state_dir=project)
    stack_dir = project / "cdktf.out" / "stacks" / name
    state_file = project / f"terraform.{name}.tfstate"
    terraform(env, stack_dir, "init", "-input=false")
    terraform(env, stack_dir, "apply", "-auto-approve", "-input=false")
    outputs = {
        key: value["value"] for key, value in json.loads(terraform(env, stack_dir, "output", "-json").stdout).items()
    }
    yield ExampleDeployment(project, config_file, config, region, name, stack_dir, state_file, outputs, endpoint, env)


def run_main(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python main.py ARGS` in a fresh interpreter, as a user runs it (no configuration named by the environment)."""
    environment = {k: v for k, v in os.environ.items() if k != "GUARDDUTY_ALERTS_CONFIG"}
    environment.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", **(env or {}))
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` (relative path) with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def terraform(env: dict[str, str], stack_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `terraform -chdir=stack_dir ARGS`; on unexpected failure the assertion shows Terraform's output."""
    result = subprocess.run(
        ["terraform", f"-chdir={stack_dir}", *args, "-no-color"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def synth_construct(region: str = "us-east-1", **props: Any) -> tuple[str, dict]:
    """A stack with only an AWS provider and GuardDutyAlerts(props) (recipients default to RECIPIENTS),
    synthesized with cdktf's Testing: the JSON text and its parsed form."""
    from cdktf import TerraformStack
    from cdktf import Testing as CdktfTesting  # aliased: pytest would try to collect a class named Test*
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from guardduty_alerts import GuardDutyAlerts

    app = CdktfTesting.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region=region)
    GuardDutyAlerts(stack, "alerts", **{"recipients": RECIPIENTS, **props})
    text = CdktfTesting.synth(stack)
    return text, json.loads(text)


def only(resources: dict, kind: str) -> dict:
    """The one resource of `kind` in a stack's `resource` mapping (fails if there are none or several)."""
    (value,) = resources[kind].values()
    return value


def ref(resources: dict, kind: str, attribute: str) -> str:
    """The interpolation Terraform receives for `attribute` of the one resource of `kind`."""
    (key,) = resources[kind]
    return "${" + f"{kind}.{key}.{attribute}" + "}"


def with_provider_identity(plan: dict, account: str, region: str) -> dict:
    """A copy of a plan document whose AWS provider is pinned to `account` and `region`, as the app's stacks
    are (`allowed_account_ids`, `region`): how plan-summary tells the stacks of an estate apart."""
    # Only the provider's part is copied: a real plan is large, and 340 deep copies would not fit in memory.
    configuration = dict(plan.get("configuration", {}))
    providers = dict(configuration.get("provider_config", {}))
    aws = dict(providers.get("aws", {}))
    aws["expressions"] = {
        **aws.get("expressions", {}),
        "allowed_account_ids": {"constant_value": [account]},
        "region": {"constant_value": region},
    }
    providers["aws"] = aws
    configuration["provider_config"] = providers
    return {**plan, "configuration": configuration}


def finding_event(severity: float, *, sample: bool = False, **envelope: str) -> dict[str, Any]:
    """A minimal GuardDuty finding as EventBridge delivers it, of `severity` (a sample when `sample`); envelope
    fields (`source`, `detail-type`, …) replaced by `envelope`."""
    event: dict[str, Any] = {
        "version": "0",
        "id": "c8c4daa7-a20c-2f03-0070-b7393dd542ad",
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": "123456789012",
        "time": "2026-11-01T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"schemaVersion": "2.0", "type": "Recon:EC2/Portscan", "severity": severity, "service": {}},
    }
    if sample:
        event["detail"]["service"]["additionalInfo"] = {"sample": True}
    event.update(envelope)
    return event


def destination_block(text: str, title: str) -> list[str]:
    """The lines of one destination in `explain`'s output: its title line (`  - TITLE`), then its indented rows."""
    lines = text.splitlines()
    start = lines.index(f"  - {title}")
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("      "):
            break
        block.append(line)
    return block

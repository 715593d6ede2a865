"""The cdktf app: one stack per configured region, each with its provider, local state and the construct."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from cdktf import App, TerraformOutput, TerraformStack

from constructs import Construct

from ._aws import AwsProvider, AwsProviderEndpoints
from .alerts import GuardDutyAlerts
from .config import AlertsConfig
from .estate import StackPlan, stack_plans
from .estate_stacks import ForwarderStack, add_backend, add_estate_resources, provider_account_settings

__all__ = ["ENDPOINT_SERVICES", "GuardDutyAlertsStack", "build_stacks", "synth_to"]

# Every service the stacks call. With an emulator endpoint all of them go there, never to AWS.
ENDPOINT_SERVICES = ("cloudwatch", "events", "guardduty", "iam", "kms", "lambda_", "logs", "sns", "sqs", "sts")


class GuardDutyAlertsStack(TerraformStack):
    """One account and region: the AWS provider, a local state file and the GuardDutyAlerts construct."""

    def __init__(
        self, scope: Construct, config: AlertsConfig, region: str, *, state_path: str, plan: StackPlan | None = None
    ) -> None:
        plan = plan or StackPlan(name=config.stack_name(region), region=region, config=config)
        super().__init__(scope, plan.name)
        self.region = region
        endpoints = None
        if config.endpoint_url:
            endpoints = [AwsProviderEndpoints(**{service: config.endpoint_url for service in ENDPOINT_SERVICES})]
        AwsProvider(self, "aws", region=region, endpoints=endpoints, **provider_account_settings(plan))
        add_backend(self, plan, state=config.state, state_path=state_path, endpoint_url=config.endpoint_url)
        self.alerts = GuardDutyAlerts(
            self,
            "alerts",
            recipients=config.recipients,
            severity_threshold=config.severity_threshold,
            name=config.name,
            finding_publishing_frequency=config.finding_publishing_frequency,
            existing_detector_id=config.existing_detector_ids.get(region),
            tags=config.tags,
            filters=config.filters,
            suppression_rules=config.suppression_rules,
            subject_formatter=config.subject_formatter,
            encrypt_topic=config.encrypt_topic,
            existing_kms_key_arn=config.existing_kms_key_arns.get(region),
            maximum_event_age_seconds=config.maximum_event_age_seconds,
            maximum_retry_attempts=config.maximum_retry_attempts,
            dead_letter_retention_seconds=config.dead_letter_retention_seconds,
            alarm_actions=config.alarm_actions.get(region, ()),
        )
        TerraformOutput(self, "topic_arn", value=self.alerts.topic.arn, description="SNS topic that mails the alerts")
        TerraformOutput(
            self,
            "rule_arns",
            value={key: rule.arn for key, rule in self.alerts.rules.items()},
            description="EventBridge rules selecting findings, by severity band and mail shape",
        )
        TerraformOutput(
            self, "detector_id", value=self.alerts.detector_id, description="GuardDuty detector in this region"
        )
        if plan.account is not None:
            # The topic's display name is the sender name of the mails: it says which account they are about.
            self.alerts.topic.display_name = plan.account.display_name
        add_estate_resources(self, plan, detector_id=self.alerts.detector_id)
        TerraformOutput(
            self,
            "dead_letter_queue_url",
            value=self.alerts.dead_letter_queue.url,
            description="SQS queue holding findings EventBridge could not deliver after all retries",
        )


def build_stacks(
    app: App, config: AlertsConfig, *, outdir: Path, state_dir: Path
) -> list[GuardDutyAlertsStack | ForwarderStack]:
    """Add one stack per account and region to `app`, in name order so that output is the same whatever the
    order of the lists. With a central inbox, regions other than the home region get a ForwarderStack.

    Each stack keeps its state in `state_dir`/terraform.<stack>.tfstate, written as a path relative to the
    stack's folder under `outdir`: the synthesized JSON does not depend on where the project is checked out,
    and state survives deleting or re-synthesizing `outdir`.
    """
    stacks: list[GuardDutyAlertsStack | ForwarderStack] = []
    for plan in stack_plans(config):
        stack_dir = outdir / "stacks" / plan.name
        state_file = state_dir / f"terraform.{plan.name}.tfstate"
        state_path = os.path.relpath(state_file.resolve(), stack_dir.resolve())
        if plan.forward_to_region:
            stacks.append(ForwarderStack(app, plan, state_path=state_path))
        else:
            stacks.append(GuardDutyAlertsStack(app, plan.config, plan.region, state_path=state_path, plan=plan))
    return stacks


def synth_to(config: AlertsConfig, outdir: Path, *, state_dir: Path) -> list[str]:
    """Synthesize every stack into `outdir`, replacing what it held only once synthesis has succeeded.

    Synthesis runs in a scratch folder beside `outdir`; then each generated file is moved into place, stacks
    no longer configured are removed, and the manifest goes last. Files Terraform keeps in a stack folder
    (`.terraform/`, the lock file) are left alone, so an initialised stack need not be initialised again.
    """
    outdir = Path(outdir).resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".synth-", dir=outdir.parent))
    try:
        app = App(outdir=str(scratch))
        stacks = build_stacks(app, config, outdir=outdir, state_dir=state_dir)
        app.synth()
        names = [stack.node.id for stack in stacks]
        _install(scratch, outdir, names)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return names


def _install(scratch: Path, outdir: Path, names: list[str]) -> None:
    (outdir / "stacks").mkdir(parents=True, exist_ok=True)
    for source in sorted(scratch.rglob("*")):
        relative = source.relative_to(scratch)
        if source.is_dir() or relative == Path("manifest.json"):
            continue
        target = outdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    for stale in sorted((outdir / "stacks").iterdir()):
        if stale.is_dir() and stale.name not in names:
            shutil.rmtree(stale)
    os.replace(scratch / "manifest.json", outdir / "manifest.json")

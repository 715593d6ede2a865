"""The plan summary on real Terraform plans: an empty plan, other providers, and the comment for plans made
against the local emulator from changed configurations."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from guardduty_alerts_app.cli import main
from guardduty_alerts_app.config import AlertsConfig
from guardduty_alerts_review.plan_summary import (
    COMMENT_MARKER,
    load_plans,
    render_markdown,
)
from helpers import ExampleDeployment, terraform


def _plan_files(env: dict[str, str], stack_dir: Path, out: Path, name: str, *plan_args: str, text: bool = True) -> Path:
    """`terraform plan -out`, then its JSON (and its text) beside each other as plan-summary expects them.

    Each `show` starts the provider again: the text is made only where a test reads it.
    """
    plan_file = stack_dir / f"{name}.tfplan"
    terraform(env, stack_dir, "plan", "-input=false", f"-out={plan_file}", *plan_args)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(terraform(env, stack_dir, "show", "-json", str(plan_file)).stdout)
    if text:
        (out / f"{name}.txt").write_text(terraform(env, stack_dir, "show", str(plan_file)).stdout)
    return out / f"{name}.json"


@pytest.mark.terraform
def test_empty_plan_gives_a_short_all_clear(terraform_env: dict[str, str], tmp_path: Path) -> None:
    stack = tmp_path / "empty"
    stack.mkdir()
    (stack / "main.tf.json").write_text("{}")
    terraform(terraform_env, stack, "init", "-input=false")
    plan = _plan_files(terraform_env, stack, tmp_path / "plans", "empty")
    assert render_markdown(load_plans([str(plan)])) == (
        f"{COMMENT_MARKER}\n### GuardDuty alerts: plan review\n\nNo changes in 1 stack: alerting stays as it is.\n"
    )


@pytest.mark.terraform
def test_other_providers_resources_are_counted_without_alerting_impact(
    terraform_env: dict[str, str], tmp_path: Path
) -> None:
    stack = tmp_path / "other"
    stack.mkdir()
    # terraform_data comes with Terraform itself: a real plan of a provider other than AWS, offline.
    config = {"resource": {"terraform_data": {"marker": {"input": "x"}, "second": {"input": "y"}}}}
    (stack / "main.tf.json").write_text(json.dumps(config))
    terraform(terraform_env, stack, "init", "-input=false")
    plan = _plan_files(terraform_env, stack, tmp_path / "plans", "other")
    assert main(["plan-summary", f"tools={plan}", "--output", str(tmp_path / "comment.md")]) == 0
    markdown = (tmp_path / "comment.md").read_text()
    assert "| `tools` | 2 | 0 | 0 | 0 |" in markdown
    assert "None: no change to which findings are mailed or to whom." in markdown
    assert "- Other changes, not about alerting: create `terraform_data.marker`, create `terraform_data.second`." in markdown
    assert "# terraform_data.marker will be created" in markdown  # the raw text, collapsed
    assert markdown.index("<details><summary>Terraform plan: tools</summary>") > markdown.index("#### Alerting impact")


# --- real plans against the emulator ----------------------------------------------------------------------

Customize = Callable[[object], None]


@dataclasses.dataclass
class Baseline:
    config: AlertsConfig
    stack_dir: Path
    state_dir: Path
    outdir: Path
    env: dict[str, str]

    def synth(self, config: AlertsConfig, *customize: Customize) -> None:
        from cdktf import App
        from guardduty_alerts_app.stacks.synth import build_stacks

        app = App(outdir=str(self.outdir))
        (stack,) = build_stacks(app, config, outdir=self.outdir, state_dir=self.state_dir)
        for change in customize:
            change(stack)
        app.synth()

    plans: dict[str, Path] = dataclasses.field(default_factory=dict)

    def plan(
        self,
        name: str,
        config: AlertsConfig | None = None,
        *,
        customize: tuple[Customize, ...] = (),
        destroy: bool = False,
        text: bool = False,
    ) -> Path:
        """Plan a changed configuration against the applied baseline (not applied); made once per name."""
        if name not in self.plans:
            self.synth(config or self.config, *customize)
            self.plans[name] = _plan_files(
                self.env, self.stack_dir, self.outdir.parent / "plans", name, *(["-destroy"] if destroy else []), text=text
            )
        return self.plans[name]


@pytest.fixture(scope="module")
def baseline(example_deployment: ExampleDeployment) -> Baseline:
    """The session's example deployment, and a second stack folder beside it that plans changed configurations
    against the same state (never applied, so the deployment stays as it is for the other tests)."""
    outdir = example_deployment.project / "plan-review" / "cdktf.out"
    outdir.mkdir(parents=True)
    base = Baseline(
        example_deployment.config,
        outdir / "stacks" / example_deployment.stack_name,
        example_deployment.project,
        outdir,
        example_deployment.env,
    )
    base.synth(base.config)
    terraform(base.env, base.stack_dir, "init", "-input=false")
    return base


def _summary(*plans: Path) -> str:
    return render_markdown(load_plans([str(p) for p in plans]))


def _impact_lines(markdown: str) -> list[str]:
    section = markdown.split("#### Alerting impact", 1)[1].split("<details>", 1)[0]
    return [line for line in section.splitlines() if line.startswith("- ")]


STACK = "guardduty-alerts-us-east-1"
FROM_MEDIUM = "MEDIUM, HIGH and CRITICAL findings (severity 4.0 to 10.0)"
FROM_LOW = "LOW, MEDIUM, HIGH and CRITICAL findings (severity 1.0 to 10.0)"


@pytest.mark.terraform
def test_unchanged_configuration_reports_no_changes_and_what_is_mailed(baseline: Baseline) -> None:
    markdown = _summary(baseline.plan("unchanged"))
    assert markdown == (
        f"{COMMENT_MARKER}\n### GuardDuty alerts: plan review\n\nNo changes in 1 stack: alerting stays as it is.\n"
        f"- `unchanged` mails {FROM_MEDIUM} to oncall@example.com and security-team@example.com.\n"
    )


@pytest.mark.terraform
def test_threshold_medium_to_high_and_a_recipient_removed(baseline: Baseline) -> None:
    config = dataclasses.replace(baseline.config, severity_threshold="HIGH", recipients=("security-team@example.com",))
    markdown = _summary(baseline.plan(STACK, config, text=True))
    # Kept for the pull request's closing note: the comment a reviewer would see.
    (baseline.outdir.parent / "comment-threshold-and-recipient.md").write_text(markdown)
    # 3 deletions: the subscription, the MEDIUM rule and its target; 5 updates: the topic policy, the dead-letter
    # queue policy and the delivery alarm (one rule fewer), the sample rule and its target (from 7.0 up now).
    assert f"| `{STACK}` | 0 | 5 | 0 | 3 |" in markdown
    assert _impact_lines(markdown) == [
        "- ⚠️ **Threshold raised from MEDIUM (4.0) to HIGH (7.0)**: MEDIUM findings (severity 4.0 to below 7.0) "
        "will no longer be mailed to anyone; HIGH and CRITICAL findings (severity 7.0 to 10.0) are still mailed.",
        f"- ⚠️ **Recipient removed**: oncall@example.com will no longer be mailed; until now they got {FROM_MEDIUM}.",
        "- 📝 **1 rule deleted**: EventBridge rule `guardduty-alerts-medium` only selected severities that are no "
        "longer mailed (see above).",
        "- Other changes, not about alerting: update "
        "`aws_cloudwatch_metric_alarm.alerts_alarm-failed-invocations_A599A319`, update "
        "`aws_sqs_queue_policy.alerts_dead-letter-queue-policy_A8B03325`.",
        "- After this change the stack mails HIGH and CRITICAL findings (severity 7.0 to 10.0) to "
        "security-team@example.com.",
    ]
    assert f"<details><summary>Terraform plan: {STACK}</summary>" in markdown
    assert "# aws_cloudwatch_event_rule.alerts_rule-medium_" in markdown  # the raw plan, collapsed
    assert len(markdown) <= 65536


@pytest.mark.terraform
def test_threshold_lowered_and_recipient_added_say_what_starts_being_mailed_to_whom(baseline: Baseline) -> None:
    config = dataclasses.replace(
        baseline.config, severity_threshold="LOW", recipients=(*baseline.config.recipients, "soc@example.com")
    )
    assert _impact_lines(_summary(baseline.plan("lowered", config))) == [
        "- 🔔 **Threshold lowered from MEDIUM (4.0) to LOW (1.0)**: LOW findings (severity 1.0 to below 4.0) will now "
        "be mailed to oncall@example.com, security-team@example.com and soc@example.com.",
        f"- 🔔 **Recipient added**: soc@example.com will get {FROM_LOW} once they confirm the subscription mail AWS "
        "sends them; nothing arrives before that.",
        "- Other changes, not about alerting: update "
        "`aws_cloudwatch_metric_alarm.alerts_alarm-failed-invocations_A599A319`, update "
        "`aws_sqs_queue_policy.alerts_dead-letter-queue-policy_A8B03325`.",
        f"- After this change the stack mails {FROM_LOW} to oncall@example.com, security-team@example.com and "
        "soc@example.com.",
    ]


@pytest.mark.terraform
def test_encryption_turned_off_and_guardduty_suspended_are_flagged(baseline: Baseline) -> None:
    def suspend(stack: object) -> None:
        stack.alerts.detector.enable = False  # type: ignore[attr-defined]

    unencrypted = dataclasses.replace(baseline.config, encrypt_topic=False)
    markdown = _summary(baseline.plan("suspended", unencrypted, customize=(suspend,)))
    lines = _impact_lines(markdown)
    assert lines[0] == (
        "- ⚠️ **GuardDuty disabled**: the detector is suspended (enable = false): no new findings, so nothing is "
        "mailed."
    )
    assert re.fullmatch(
        r"- ⚠️ \*\*Encryption removed\*\*: SNS topic `guardduty-alerts` is no longer encrypted with a customer-managed "
        r"key \(was `arn:aws:kms:us-east-1:123456789012:key/[0-9a-f-]{36}`\): alerts are stored with SNS's "
        r"default encryption only\.",
        lines[1],
    ), lines[1]
    # The key goes with the encryption: said as a note, not as a loss of delivery.
    assert re.fullmatch(r"- 📝 \*\*Key deleted\*\*: KMS key `[^`]+` goes with the topic's encryption\.", lines[2]), lines[2]
    assert lines[-2].startswith("- Other changes, not about alerting: ") and "delete `aws_kms_alias." in lines[-2]
    assert lines[-1] == "- After this change the stack mails nothing: GuardDuty is off."
    assert len(lines) == 5, lines


@pytest.mark.terraform
def test_removed_stack_says_alerts_stop_for_everyone(baseline: Baseline) -> None:
    markdown = _summary(baseline.plan("removed", destroy=True))
    assert "| `removed` | 0 | 0 | 0 | 20 |" in markdown
    lines = _impact_lines(markdown)
    other_line = lines.pop(-2)
    assert other_line.startswith("- Other changes, not about alerting: delete `aws_cloudwatch_metric_alarm."), other_line
    rules_line = lines.pop(-2)
    assert lines == [
        "- ⚠️ **GuardDuty disabled**: the detector is deleted: GuardDuty stops in this region, its findings are "
        "deleted, and nothing is mailed.",
        "- ⚠️ **Topic deleted**: SNS topic `guardduty-alerts` is deleted with its subscriptions: alerts stop.",
        "- ⚠️ **Topic policy deleted**: EventBridge is no longer allowed to publish to the topic: deliveries fail "
        "and no mail arrives.",
        f"- ⚠️ **Alerts stop**: {FROM_MEDIUM} will no longer be mailed to anyone.",
        f"- ⚠️ **Recipient removed**: oncall@example.com will no longer be mailed; until now they got {FROM_MEDIUM}.",
        "- ⚠️ **Recipient removed**: security-team@example.com will no longer be mailed; until now they got "
        f"{FROM_MEDIUM}.",
        "- After this change the stack mails nothing: GuardDuty is off.",
    ]
    # One line for the rules, not one per rule.
    assert rules_line == (
        "- 📝 **4 rules deleted**: EventBridge rules `guardduty-alerts-critical`, `guardduty-alerts-high`, "
        "`guardduty-alerts-medium` and `guardduty-alerts-sample` only selected severities that are no longer "
        "mailed (see above)."
    )


@pytest.mark.terraform
def test_several_stacks_in_one_comment(baseline: Baseline) -> None:
    raised = baseline.plan(STACK, dataclasses.replace(baseline.config, severity_threshold="HIGH",
                                                      recipients=("security-team@example.com",)), text=True)
    stacks = load_plans([f"eu-west-1={baseline.plan('unchanged')}", f"us-east-1={raised}"])
    assert [(s.name, s.text is not None) for s in stacks] == [("eu-west-1", False), ("us-east-1", True)]
    markdown = render_markdown(stacks)
    assert "| `eu-west-1` | 0 | 0 | 0 | 0 |\n| `us-east-1` | 0 | 5 | 0 | 3 |" in markdown
    assert "**`us-east-1`**" in markdown
    assert "**`eu-west-1`**" not in markdown, "a stack without changes gets no impact section"
    assert "Threshold raised from MEDIUM (4.0) to HIGH (7.0)" in markdown
    assert markdown.count("<details>") == 1

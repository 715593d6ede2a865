"""The plan summary on real Terraform plans: an empty plan, other providers, and the comment for plans made
against the local emulator from changed configurations."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from guardduty_alerts.notifications import mail_rules
from guardduty_alerts.patterns import FindingFilters, SampleHandling
from guardduty_alerts.suppression import SuppressionRule
from guardduty_alerts_app.cli import main
from guardduty_alerts_app.config import AlertsConfig
from guardduty_alerts_review.plan_summary import (
    COMMENT_MARKER,
    MAX_COMMENT_CHARS,
    StackChanges,
    load_plans,
    render_markdown,
)
from helpers import ExampleDeployment, terraform, with_provider_identity


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
# The example configuration's suppression rule, which the closing line names.
SUPPRESSED = "suppression rule `scanner-port-probes` archives the findings it matches first"


@pytest.mark.terraform
def test_unchanged_configuration_reports_no_changes_and_what_is_mailed(baseline: Baseline) -> None:
    markdown = _summary(baseline.plan("unchanged"))
    assert markdown == (
        f"{COMMENT_MARKER}\n### GuardDuty alerts: plan review\n\nNo changes in 1 stack: alerting stays as it is.\n"
        f"- `unchanged` mails {FROM_MEDIUM} to oncall@example.com and security-team@example.com; {SUPPRESSED}.\n"
    )


def _rule_names(threshold: float, filters: FindingFilters | None = None) -> set[str]:
    """Names of the rules the construct makes for a threshold (the library's own rule list)."""
    return {f"guardduty-alerts-{rule.key}" for rule in mail_rules(threshold, filters)}


@pytest.mark.terraform
def test_threshold_medium_to_high_and_a_recipient_removed(baseline: Baseline) -> None:
    config = dataclasses.replace(baseline.config, severity_threshold="HIGH", recipients=("security-team@example.com",))
    markdown = _summary(baseline.plan(STACK, config, text=True))
    # Kept for the pull request's closing note: the comment a reviewer would see.
    (baseline.outdir.parent / "comment-threshold-and-recipient.md").write_text(markdown)
    # 3 deletions: the subscription, the MEDIUM rule and its target; 5 updates: the topic policy, the dead-letter
    # queue policy and the delivery alarm (one rule fewer), the sample rule and its target (from 7.0 up now).
    assert f"| `{STACK}` | 0 | 5 | 0 | 3 |" in markdown
    (gone,) = sorted(_rule_names(4.0) - _rule_names(7.0))
    assert _impact_lines(markdown) == [
        "- ⚠️ **Threshold raised from MEDIUM (4.0) to HIGH (7.0)**: MEDIUM findings (severity 4.0 to below 7.0) "
        "will no longer be mailed to anyone; HIGH and CRITICAL findings (severity 7.0 to 10.0) are still mailed.",
        f"- ⚠️ **Recipient removed**: oncall@example.com will no longer be mailed; until now they got {FROM_MEDIUM}.",
        f"- 📝 **1 rule deleted**: EventBridge rule `{gone}` only selected findings that are no longer mailed (see "
        "above).",
        "- Other changes, not about alerting: update "
        "`aws_cloudwatch_metric_alarm.alerts_alarm-failed-invocations_A599A319`, update "
        "`aws_sqs_queue_policy.alerts_dead-letter-queue-policy_A8B03325`.",
        "- After this change the stack mails HIGH and CRITICAL findings (severity 7.0 to 10.0) to "
        f"security-team@example.com; {SUPPRESSED}.",
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
        f"- 🔔 **Recipient added**: soc@example.com will get {FROM_LOW}, once they confirm the subscription mail AWS "
        "sends them; nothing arrives before that.",
        "- Other changes, not about alerting: update "
        "`aws_cloudwatch_metric_alarm.alerts_alarm-failed-invocations_A599A319`, update "
        "`aws_sqs_queue_policy.alerts_dead-letter-queue-policy_A8B03325`.",
        f"- After this change the stack mails {FROM_LOW} to oncall@example.com, security-team@example.com and "
        f"soc@example.com; {SUPPRESSED}.",
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
    # No key ARN in the line (it would keep the same change in many stacks from being one line).
    assert lines[1] == (
        "- ⚠️ **Encryption removed**: SNS topic `guardduty-alerts` is no longer encrypted with a customer-managed KMS key: "
        "alerts are stored with SNS's default encryption only."
    )
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
    # One line for every rule, not one each.
    rules = ", ".join(f"`{name}`" for name in sorted(_rule_names(4.0))).rsplit(", ", 1)
    assert rules_line == (
        f"- 📝 **4 rules deleted**: EventBridge rules {' and '.join(rules)} only selected findings that are no longer "
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
    lines = _impact_lines(markdown)
    assert "- ⚠️ **Threshold raised from MEDIUM (4.0) to HIGH (7.0)** (in `us-east-1`): " in "\n".join(lines)
    assert all("(in `us-east-1`)" in line or line.startswith("- After this change `us-east-1`") for line in lines)
    assert not [line for line in lines if "eu-west-1" in line], "a stack without changes gets no impact line"
    assert markdown.count("<details>") == 1


FILTERED = {
    "exclude_types": ("Recon:", "UnauthorizedAccess:EC2/TorClient"),
    "new_findings_only": True,
    "suppression_rules": (SuppressionRule(name="scanner", criteria={"type": {"equals": ["Recon:EC2/Portscan"]}}),),
}
FILTER_LINES = [
    "- ⚠️ **Suppression rule added**: `scanner` archives findings where `type` is `Recon:EC2/Portscan`; GuardDuty "
    "does not send archived findings to EventBridge, so they are not mailed.",
    "- ⚠️ **Finding types excluded**: findings of types Recon:* and UnauthorizedAccess:EC2/TorClient will no longer "
    "be mailed (any severity).",
    "- ⚠️ **Repeats no longer mailed**: repeat occurrences of a finding will no longer be mailed; only its first "
    "occurrence is.",
]


def _filtered_plan(baseline: Baseline) -> Path:
    # The new suppression rule comes after the example's own.
    settings = dict(FILTERED, suppression_rules=(*baseline.config.suppression_rules, *FILTERED["suppression_rules"]))
    return baseline.plan("filtered", dataclasses.replace(baseline.config, **settings), text=True)


@pytest.mark.terraform
def test_excluded_types_repeats_and_a_suppression_rule_read_as_three_sentences(baseline: Baseline) -> None:
    # The change measured in the issue: every rule's pattern changes; before, two lines of JSON per rule.
    markdown = _summary(_filtered_plan(baseline))
    (baseline.outdir.parent / "comment-filters.md").write_text(markdown)
    assert _impact_lines(markdown) == [
        *FILTER_LINES,
        f"- After this change the stack mails {FROM_MEDIUM} of every type except Recon:* and "
        "UnauthorizedAccess:EC2/TorClient to oncall@example.com and security-team@example.com, first occurrences "
        "only; suppression rules `scanner` and `scanner-port-probes` archive the findings they match first.",
    ]
    head = markdown.split("<details>", 1)[0]
    assert not re.search(r"[{\[]\"", head), "pattern JSON only in the collapsed plan"
    assert "anything-but" in markdown.split("<details>", 1)[1], "the raw plan shows the patterns"


@pytest.mark.terraform
def test_dropping_sample_findings_is_one_note_for_all_its_rules(baseline: Baseline) -> None:
    lines = _impact_lines(_summary(baseline.plan("no-samples", dataclasses.replace(baseline.config, sample_findings="drop"))))
    gone = sorted(_rule_names(4.0) - _rule_names(4.0, FindingFilters(samples=SampleHandling.DROP)))
    assert lines[0] == (
        "- 📝 **Sample findings no longer mailed**: sample findings (GuardDuty's \"Generate sample findings\", the way "
        "to test the alert path) will no longer be mailed."
    )
    noun = "rule" if len(gone) == 1 else "rules"
    assert lines[1].startswith(f"- 📝 **{len(gone)} {noun} deleted**: EventBridge {noun} `{gone[0]}`")
    assert lines[1].endswith("only selected findings that are no longer mailed (see above).")
    assert lines[-1] == (
        f"- After this change the stack mails {FROM_MEDIUM} to oncall@example.com and security-team@example.com, "
        f"no sample findings; {SUPPRESSED}."
    )


ESTATE_ACCOUNTS = [f"{210987654300 + number:012d}" for number in range(20)]
ESTATE_REGIONS = ("ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
                  "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2",
                  "eu-west-3", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2")


@pytest.mark.terraform
def test_the_same_real_change_in_340_stacks_is_one_line_per_change(baseline: Baseline) -> None:
    # Real plans stand in for an estate: the filter change in 19 accounts x 17 regions, and the threshold
    # change in the 17 stacks of another account (each stack's provider says its account and region).
    filtered = json.loads(_filtered_plan(baseline).read_text())
    raised = json.loads(baseline.plan(STACK, dataclasses.replace(
        baseline.config, severity_threshold="HIGH", recipients=("security-team@example.com",)), text=True).read_text())
    odd_one = ESTATE_ACCOUNTS[3]
    stacks = [
        StackChanges(name=f"gd-{account}-{region}", source="", account=account, region=region,
                     plan=with_provider_identity(raised if account == odd_one else filtered, account, region))
        for account in ESTATE_ACCOUNTS
        for region in ESTATE_REGIONS
    ]
    markdown = render_markdown(stacks)
    lines = _impact_lines(markdown)
    where_filtered = f"(in the 323 stacks of every account except {odd_one})"
    assert [line for line in lines if "Threshold" in line or "excluded" in line or "Repeats" in line] == [
        FILTER_LINES[1].replace("**:", f"** {where_filtered}:"),
        FILTER_LINES[2].replace("**:", f"** {where_filtered}:"),
        f"- ⚠️ **Threshold raised from MEDIUM (4.0) to HIGH (7.0)** (in the 17 stacks of account {odd_one}): MEDIUM "
        "findings (severity 4.0 to below 7.0) will no longer be mailed to anyone; HIGH and CRITICAL findings "
        "(severity 7.0 to 10.0) are still mailed.",
    ]
    assert len(lines) == len(set(lines)) <= 10, lines
    assert markdown.count("<details>") == 2 and len(markdown) <= MAX_COMMENT_CHARS

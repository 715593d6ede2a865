"""verify without AWS: what each stack is expected to hold, the sample finding chosen, bad usage, the report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from guardduty_alerts.naming import delivery_alarm_names, rule_name
from guardduty_alerts.notifications import mail_rules
from guardduty_alerts.patterns import FindingFilters, SampleHandling
from guardduty_alerts.suppression import SuppressionRule
from guardduty_alerts_app.cli import main
from guardduty_alerts_app.config import load_config, parse_config
from guardduty_alerts_app.review_inputs import stack_expectations
from guardduty_alerts_review.alerting import StackAlerting
from guardduty_alerts_review.verify import CheckResult, StackReport, VerifyReport, render_json, render_text
from guardduty_alerts_review.verify.run import checks_for
from guardduty_alerts_review.verify.sample import SAMPLE_TYPES, choose_sample_type, sample_problem
from helpers import EXAMPLE_CONFIG, FINDINGS_DIR, REPO, read_json


def alerting(threshold: str | float = "MEDIUM", **props: Any) -> StackAlerting:
    return StackAlerting(name="s", region="us-east-1", alerts_name="a", severity_threshold=threshold, **props)


# --- expectations --------------------------------------------------------------------------------------------------


def test_expectations_name_what_the_library_names_for_each_stack_of_the_example() -> None:
    config = load_config(EXAMPLE_CONFIG)
    expectations = stack_expectations(config)
    assert [e.name for e in expectations] == ["guardduty-alerts-eu-west-1", "guardduty-alerts-us-east-1"]
    keys = [rule.key for rule in mail_rules(4.0)]
    for expectation in expectations:
        assert (expectation.account_id, expectation.role_arn, expectation.forwarding) == (None, None, None)
        assert expectation.rule_names == {key: rule_name("guardduty-alerts", key) for key in keys}
        assert expectation.topic_name == "guardduty-alerts"
        assert expectation.dead_letter_queue_name == "guardduty-alerts-dead-letters"
        assert expectation.alarm_names == delivery_alarm_names("guardduty-alerts")
        assert expectation.expected_key == "alias/guardduty-alerts"
        assert expectation.detector.publishing_frequency == "FIFTEEN_MINUTES"
        assert not expectation.detector.adopted


def test_expectations_of_an_estate_assume_each_accounts_role_and_forward_outside_the_home_region() -> None:
    config = parse_config(
        {
            "name": "gd",
            "regions": ["us-east-1", "eu-west-1"],
            "recipients": ["sec@example.com"],
            "central_inbox": {"home_region": "eu-west-1"},
            "detector": {"existing_detector_ids": {}},
            "topic_encryption": {"existing_kms_key_arns": {"eu-west-1": "arn:aws:kms:eu-west-1:111111111111:alias/alerts"}},
            "protection_plans": {"s3_data_events": True},
            "accounts": [
                {"id": "111111111111", "name": "prod", "role_arn": "arn:aws:iam::111111111111:role/deploy"},
            ],
        }
    )
    home, forwarding = sorted(stack_expectations(config), key=lambda e: e.region != "eu-west-1")
    assert (home.name, forwarding.name) == ("gd-prod-eu-west-1", "gd-prod-us-east-1")
    for expectation in (home, forwarding):
        assert (expectation.account_id, expectation.role_arn) == ("111111111111", "arn:aws:iam::111111111111:role/deploy")
        assert expectation.detector.protection_plans
    assert home.expected_key == "arn:aws:kms:eu-west-1:111111111111:alias/alerts"
    assert home.alerting is not None and forwarding.alerting is None
    assert forwarding.forwarding is not None and forwarding.forwarding.rule_name == "gd-to-eu-west-1"
    assert forwarding.forwarding.event_pattern == {"detail-type": ["GuardDuty Finding"], "source": ["aws.guardduty"]}


# --- the sample finding ------------------------------------------------------------------------------------------


def test_a_stack_of_channels_only_is_checked_without_the_mails_topic_rules_and_alarm() -> None:
    config = parse_config(
        {"regions": ["us-east-1"], "channels": [{"kind": "webhook", "url": "https://hooks.example.com/x"}]}
    )
    (expectation,) = stack_expectations(config)
    assert not expectation.mails
    assert checks_for(expectation) == ["detector", "channel-subscriptions", "dead-letter-queue", "alarms"]
    assert expectation.alarm_names == ("guardduty-alerts-dead-letters", "guardduty-alerts-channel-failures")
    assert sample_problem("s", expectation.alerting) == (
        "--send-sample: stack s has no recipients (its findings go to channels only) and the sample proof watches "
        "the mail's rules and topic; allowed: leave this stack out (--stack)"
    )


def test_each_channel_check_runs_only_for_a_stack_with_channels_of_its_kind() -> None:
    config = load_config(REPO / "config" / "channels.example.yaml")
    checks = {expectation.region: checks_for(expectation) for expectation in stack_expectations(config)}
    channel_checks = ["chat-configurations", "api-destinations", "channel-subscriptions", "user-notifications"]
    assert [check for check in checks["us-east-1"] if check in channel_checks] == channel_checks
    plain = parse_config({"regions": ["us-east-1"], "recipients": ["soc@example.com"]})
    assert not set(checks_for(stack_expectations(plain)[0])) & set(channel_checks)


def test_every_sample_type_has_the_severity_of_a_real_sample_finding_in_the_corpus() -> None:
    samples = {}
    for path in sorted(FINDINGS_DIR.glob("*.json")):
        detail = read_json(path)["detail"]
        if (detail.get("service") or {}).get("additionalInfo", {}).get("sample") is True:
            samples[detail["type"]] = float(detail["severity"])
    assert {sample.finding_type: sample.severity for sample in SAMPLE_TYPES}.items() <= samples.items()
    assert [sample.severity for sample in SAMPLE_TYPES] == sorted(sample.severity for sample in SAMPLE_TYPES)


@pytest.mark.parametrize(
    ("threshold", "chosen"),
    [
        ("LOW", "Recon:EC2/PortProbeUnprotectedPort"),
        ("MEDIUM", "Recon:EC2/Portscan"),
        (5.5, "UnauthorizedAccess:EC2/TorClient"),
        ("HIGH", "UnauthorizedAccess:EC2/TorClient"),
        (8.5, "AttackSequence:S3/CompromisedData"),
        ("CRITICAL", "AttackSequence:S3/CompromisedData"),
        (9.5, None),
    ],
)
def test_the_sample_chosen_is_the_lowest_severity_at_or_above_the_threshold(
    threshold: str | float, chosen: str | None
) -> None:
    sample = choose_sample_type(alerting(threshold))
    assert (sample.finding_type if sample else None) == chosen


def test_the_sample_chosen_passes_the_type_filters_and_is_not_suppressed() -> None:
    only_iam = alerting(filters=FindingFilters(include_types=("CredentialAccess:",)))
    assert choose_sample_type(only_iam).finding_type == "CredentialAccess:IAMUser/AnomalousBehavior"
    no_recon = alerting(filters=FindingFilters(exclude_types=("Recon:*",)))
    assert choose_sample_type(no_recon).finding_type == "CredentialAccess:IAMUser/AnomalousBehavior"
    archived = SuppressionRule(name="scan", criteria={"type": {"equals": ["Recon:EC2/Portscan"]}})
    assert choose_sample_type(alerting(suppression_rules=(archived,))).finding_type == (
        "CredentialAccess:IAMUser/AnomalousBehavior"
    )


# --- bad usage: exit code 2, every problem named, nothing read from AWS ------------------------------------------


def write(tmp_path: Path, **changes: Any) -> Path:
    document = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    document.update(changes)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rejects_unknown_stacks_and_wait_without_send_sample_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "verify", "--config", str(write(tmp_path)), "--stack", "prod", "--wait", "60")
    assert (code, out) == (2, "")
    assert err == (
        "error: invalid command line: 2 problems\n"
        "  - --wait: 60 is given without --send-sample; allowed: only with --send-sample\n"
        "  - --stack: 'prod' is not a stack of this configuration; allowed: guardduty-alerts-eu-west-1, "
        "guardduty-alerts-us-east-1\n"
    )


def test_rejects_send_sample_for_a_stack_that_drops_sample_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, sample_findings=SampleHandling.DROP.value)
    code, _, err = run(capsys, "verify", "--config", str(config), "--send-sample", "--stack", "guardduty-alerts-us-east-1")
    assert code == 2
    assert err == (
        "error: invalid command line: 1 problem\n"
        "  - --send-sample: stack guardduty-alerts-us-east-1 drops sample findings (sample_findings: drop), so a "
        "sample would never be mailed; allowed: set sample_findings to deliver, or leave this stack out (--stack)\n"
    )


def test_rejects_send_sample_when_no_sample_type_reaches_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "verify", "--config", str(write(tmp_path, severity_threshold=9.5)), "--send-sample")
    assert code == 2
    problems = err.splitlines()[1:]
    assert len(problems) == 2  # both stacks
    assert problems[0].startswith(
        "  - --send-sample: stack guardduty-alerts-eu-west-1 mails severity 9.5 and above through its finding_types "
        "and suppression_rules, and none of the sample types it can generate would be mailed (Recon:EC2/"
    )


# --- the report ----------------------------------------------------------------------------------------------------

REPORT = VerifyReport(
    (
        StackReport(
            "alerts-us-east-1",
            "us-east-1",
            "123456789012",
            (
                CheckResult("detector", True, ("detector d is ENABLED",)),
                CheckResult("rules", False, ("rule a-high-other is DISABLED", "rule a-high-eks does not exist"),
                            ("aws events enable-rule --name a-high-other", "apply stack alerts-us-east-1")),
            ),
        ),
    )
)


def test_the_report_names_an_account_of_the_config_in_words() -> None:
    named = VerifyReport(
        tuple(dataclasses.replace(stack, account_names={"123456789012": "payments-prod"}) for stack in REPORT.stacks)
    )
    assert render_text(named).splitlines()[0] == (
        "stack alerts-us-east-1 (account payments-prod (123456789012), region us-east-1)"
    )
    assert render_json(named) == render_json(REPORT)  # the JSON keeps the id alone


def test_verify_expectations_carry_every_account_name_of_the_config() -> None:
    expectations = stack_expectations(load_config(REPO / "config" / "estate.example.yaml"))
    assert {tuple(e.account_names.items()) for e in expectations} == {
        (("111111111111", "management"), ("222222222222", "security"))
    }


def test_the_report_in_words_is_a_checklist_with_the_fix_under_each_failure() -> None:
    assert render_text(REPORT).splitlines() == [
        "stack alerts-us-east-1 (account 123456789012, region us-east-1)",
        "  PASS  GuardDuty detector  detector d is ENABLED",
        "  FAIL  EventBridge rules   rule a-high-other is DISABLED",
        "                            rule a-high-eks does not exist",
        "                            fix: aws events enable-rule --name a-high-other",
        "                            fix: apply stack alerts-us-east-1",
        "",
        "verify: 1 of 2 checks failed in 1 of 1 stack (alerts-us-east-1: EventBridge rules)",
    ]


def test_the_summary_says_check_for_a_single_check() -> None:
    (stack,) = REPORT.stacks
    one_failed = VerifyReport((dataclasses.replace(stack, checks=stack.checks[1:]),))
    assert render_text(one_failed).splitlines()[-1] == (
        "verify: 1 of 1 check failed in 1 of 1 stack (alerts-us-east-1: EventBridge rules)"
    )
    one_passed = VerifyReport((dataclasses.replace(stack, checks=stack.checks[:1]),))
    assert render_text(one_passed).splitlines()[-1] == "verify: the 1 check passed in 1 stack"


def test_the_report_in_json_has_the_same_results() -> None:
    document = json.loads(render_json(REPORT))
    assert document == {
        "passed": False,
        "stacks": [
            {
                "stack": "alerts-us-east-1",
                "region": "us-east-1",
                "account": "123456789012",
                "passed": False,
                "checks": [
                    {"check": "detector", "passed": True, "found": ["detector d is ENABLED"], "fix": []},
                    {
                        "check": "rules",
                        "passed": False,
                        "found": ["rule a-high-other is DISABLED", "rule a-high-eks does not exist"],
                        "fix": ["aws events enable-rule --name a-high-other", "apply stack alerts-us-east-1"],
                    },
                ],
            }
        ],
    }
    assert render_json(REPORT) == json.dumps(document, indent=2, sort_keys=True)

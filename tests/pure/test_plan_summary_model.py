"""The plan summary (`main.py plan-summary`) on plan data: severity arithmetic checked against moto's
EventBridge matcher, impacts of hand-made changes, and rejected input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from guardduty_alerts_app.cli import main
from guardduty_alerts_review.plan_summary import (
    StackChanges,
    describe_severities,
    severity_filter,
    summarize,
)
from moto.events.models import EventPattern

# --- severity arithmetic ---------------------------------------------------------------------------------

SCORES = [round(1.0 + step * 0.05, 2) for step in range(181)]  # 1.0, 1.05, ... 10.0


@pytest.mark.parametrize(
    "severity",
    [
        [{"numeric": [">=", 4]}],
        [{"numeric": [">", 6.9]}],
        [{"numeric": [">=", 4, "<", 7]}, {"numeric": [">=", 9]}],
        [{"numeric": ["<=", 3.95]}],
        [{"numeric": ["=", 5]}, 8],
        [{"anything-but": [5, 8.5]}],
        [{"exists": True}],
    ],
)
def test_severity_set_agrees_with_moto_eventbridge_matching(severity: list) -> None:
    pattern = {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": {"severity": severity}}
    matcher = EventPattern.load(json.dumps(pattern))
    severities = severity_filter(pattern)
    for score in SCORES:
        event = {"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "detail": {"severity": score}}
        assert severities.contains(score) == matcher.matches_event(event), score


@pytest.mark.parametrize(
    ("severity", "words"),
    [
        ([{"numeric": [">=", 4]}], "MEDIUM, HIGH and CRITICAL findings (severity 4.0 to 10.0)"),
        ([{"numeric": [">=", 4, "<", 7]}], "MEDIUM findings (severity 4.0 to below 7.0)"),
        (
            [{"numeric": [">=", 1, "<", 4]}, {"numeric": [">=", 9]}],
            "LOW and CRITICAL findings (severity 1.0 to below 4.0, 9.0 to 10.0)",
        ),
        ([{"numeric": [">", 7.5]}], "findings of severity above 7.5 to 10.0 (CRITICAL and part of HIGH)"),
        (None, "LOW, MEDIUM, HIGH and CRITICAL findings (severity 1.0 to 10.0)"),
    ],
)
def test_severities_are_described_by_band_and_number(severity: list | None, words: str) -> None:
    pattern = {"detail": {"severity": severity}} if severity else {}
    assert describe_severities(severity_filter(pattern)) == words


# --- resource changes in words (plan documents shaped like `terraform show -json`) --------------------------


def _rule(name: str, *severity: object) -> dict:
    pattern = {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": {"severity": list(severity)}}
    return {"name": name, "event_pattern": json.dumps(pattern, sort_keys=True), "state": "ENABLED"}


def _change(address: str, actions: list[str], before: dict | None, after: dict | None) -> dict:
    type_ = address.split(".")[0]
    return {"address": address, "mode": "managed", "type": type_, "change": {"actions": actions, "before": before,
            "after": after, "after_unknown": {}}}


def _impacts(*changes: dict) -> list[str]:
    plan = {"format_version": "1.2", "planned_values": {}, "resource_changes": list(changes)}
    (summary,) = [summarize(StackChanges(name="s", plan=plan, source="s.json"))]
    return [impact.markdown() for impact in summary.impacts]


RESTRUCTURED_TAIL = (
    "together they select the same severities, so the same findings are mailed. A finding raised in the seconds "
    "between the old rules' deletion and the new rules' creation during the apply is not mailed (it stays in "
    "GuardDuty's console)."
)


def test_moving_from_one_rule_to_one_per_band_is_one_line_about_the_same_findings() -> None:
    assert _impacts(
        _change("aws_cloudwatch_event_rule.rule", ["delete"], _rule("a-findings", {"numeric": [">=", 4]}), None),
        _change("aws_cloudwatch_event_rule.medium", ["create"], None, _rule("a-medium", {"numeric": [">=", 4, "<", 7]})),
        _change("aws_cloudwatch_event_rule.high", ["create"], None, _rule("a-high", {"numeric": [">=", 7, "<", 9]})),
        _change("aws_cloudwatch_event_rule.critical", ["create"], None, _rule("a-critical", {"numeric": [">=", 9]})),
    ) == [
        "- 📝 **Alert rules restructured**: 1 EventBridge rule is replaced by 3 (`a-critical`, `a-high` and "
        f"`a-medium`); {RESTRUCTURED_TAIL}"
    ]


# The rules of version 0.1: one per severity band and mail shape, each with a resource condition.
PER_SHAPE = {
    "instance": {"resourceType": ["Instance"], "instanceDetails": {"instanceId": [{"exists": True}]}},
    "accesskey": {"resourceType": ["AccessKey"]},
    "s3bucket": {"resourceType": ["S3Bucket"]},
    "eks": {"resourceType": ["EKSCluster"]},
    "ecs": {"resourceType": ["ECSCluster"]},
    "container": {"resourceType": ["Container"]},
    "rds": {"resourceType": ["RDSDBInstance"]},
    "lambda": {"resourceType": ["Lambda"]},
    "other": {"$or": [{"resourceType": [{"anything-but": ["Instance", "AccessKey"]}]}]},
}
BANDS = {"medium": [">=", 4, "<", 7], "high": [">=", 7, "<", 9], "critical": [">=", 9]}
NOT_SAMPLE = {"additionalInfo": {"sample": [False, {"exists": False}]}}


def _shaped_rule(name: str, numeric: list, detail: dict) -> dict:
    pattern = {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": {"severity": [{"numeric": numeric}], **detail}}
    return {"name": name, "event_pattern": json.dumps(pattern), "state": "ENABLED"}


def test_upgrading_from_thirty_per_shape_rules_to_four_lean_ones_is_one_line() -> None:
    changes = []
    for band, numeric in BANDS.items():
        for shape, resource in [*PER_SHAPE.items(), ("sample", None)]:
            detail = {"service": {"additionalInfo": {"sample": [True]}}} if resource is None else {"resource": resource, "service": NOT_SAMPLE}
            name = f"gd-{band}-{shape}"
            changes.append(_change(f"aws_cloudwatch_event_rule.{band}-{shape}", ["delete"], _shaped_rule(name, numeric, detail), None))
            changes.append(_change(f"aws_cloudwatch_event_target.{band}-{shape}", ["delete"], {"rule": name, "arn": "arn:topic"}, None))
    for band, numeric in BANDS.items():
        changes.append(_change(f"aws_cloudwatch_event_rule.{band}", ["create"], None, _shaped_rule(f"gd-{band}", numeric, {"service": NOT_SAMPLE})))
    changes.append(_change("aws_cloudwatch_event_rule.sample", ["create"], None, _shaped_rule("gd-sample", [">=", 4], {"service": {"additionalInfo": {"sample": [True]}}})))
    assert len([c for c in changes if c["change"]["actions"] == ["delete"] and "rule" in c["type"] and "target" not in c["type"]]) == 30
    assert _impacts(*changes) == [
        "- 📝 **Alert rules restructured**: 30 EventBridge rules are replaced by 4 (`gd-critical`, `gd-high`, "
        f"`gd-medium` and `gd-sample`); {RESTRUCTURED_TAIL}"
    ]


def test_dropping_one_band_rule_names_the_band() -> None:
    high = _rule("a-high", {"numeric": [">=", 7, "<", 9]})
    assert _impacts(
        _change("aws_cloudwatch_event_rule.medium", ["no-op"], *[_rule("a-medium", {"numeric": [">=", 4, "<", 7]})] * 2),
        _change("aws_cloudwatch_event_rule.high", ["delete"], high, None),
        _change("aws_cloudwatch_event_rule.critical", ["no-op"], *[_rule("a-critical", {"numeric": [">=", 9]})] * 2),
    ) == [
        "- ⚠️ **Mailed severities change**: HIGH findings (severity 7.0 to below 9.0) will no longer be mailed to "
        "anyone; MEDIUM and CRITICAL findings (severity 4.0 to below 7.0, 9.0 to 10.0) are still mailed.",
        "- 📝 **1 rule deleted**: EventBridge rule `a-high` only selected findings that are no longer mailed (see "
        "above).",
    ]


def test_suppression_rule_and_type_filter_changes_are_spelled_out() -> None:
    criteria = {"finding_criteria": [{"criterion": [{"field": "type", "equals": ["Recon:EC2/Portscan"]}]}]}
    before = _rule("a-findings", {"numeric": [">=", 4]})
    after = json.loads(before["event_pattern"])
    after["detail"]["type"] = [{"prefix": "Recon:"}]
    assert _impacts(
        _change("aws_guardduty_filter.scans", ["create"], None, {"name": "scans", "action": "ARCHIVE", **criteria}),
        _change("aws_cloudwatch_event_rule.rule", ["update"], before, {**before, "event_pattern": json.dumps(after)}),
    ) == [
        "- ⚠️ **Suppression rule added**: `scans` archives findings where `type` is `Recon:EC2/Portscan`; GuardDuty "
        "does not send archived findings to EventBridge, so they are not mailed.",
        "- ⚠️ **Only some finding types mailed**: only findings of type Recon:* will be mailed from now on; findings "
        "of every other type will no longer be mailed (any severity).",
    ]


# --- bad input -------------------------------------------------------------------------------------------


def test_rejects_files_that_are_not_plan_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.json").write_text("# not json\n")
    (tmp_path / "state.json").write_text(json.dumps({"format_version": "1.0", "values": {}}))
    (tmp_path / "list.json").write_text("[]")
    files = [str(tmp_path / name) for name in ("notes.json", "state.json", "list.json", "missing.json")]
    assert main(["plan-summary", *files]) == 2
    allowed = "allowed: the JSON that `terraform show -json PLANFILE` prints"
    assert capsys.readouterr().err == "\n".join(
        [
            "error: unusable plan file: 4 problems",
            f"  - {files[0]}: is not JSON (Expecting value: line 1 column 1 (char 0)); {allowed}",
            f"  - {files[1]}: is a Terraform state (terraform show -json without a plan file), not a plan; {allowed}",
            f"  - {files[2]}: a JSON array without format_version is not a Terraform plan; {allowed}",
            f"  - {files[3]}: cannot be read (No such file or directory); {allowed}",
            "",
        ]
    )


def test_rejects_a_plan_that_errored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "stack.json"
    path.write_text(json.dumps({"format_version": "1.2", "planned_values": {}, "errored": True}))
    assert main(["plan-summary", str(path)]) == 2
    assert capsys.readouterr().err == (
        "error: unusable plan file: 1 problem\n"
        f"  - {path}: Terraform reported errors while planning (errored: true); this plan is incomplete; "
        "allowed: the JSON that `terraform show -json PLANFILE` prints\n"
    )

"""The plan summary in words, grouped: each change to what is mailed is one sentence, whatever the number of
rules that carry it, and the same change in many stacks is one line saying where. Plans here are built from
the construct library's own rule patterns (`mail_rules`), so they follow whatever rules the construct makes;
tests/terraform/test_plan_summary_terraform.py checks the same on real Terraform plans."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from guardduty_alerts.notifications import mail_rules
from guardduty_alerts.patterns import FindingFilters, SampleHandling
from guardduty_alerts_app.cli import main
from guardduty_alerts_review.plan_summary import (
    MAX_COMMENT_CHARS,
    StackChanges,
    render_markdown,
    summarize,
    where,
)
from helpers import with_provider_identity

RECIPIENTS = ("sec@example.com",)
MEDIUM, HIGH = 4.0, 7.0
DEFAULT = FindingFilters()
FROM_MEDIUM = "MEDIUM, HIGH and CRITICAL findings (severity 4.0 to 10.0)"


def _rules(threshold: float | None, filters: FindingFilters) -> dict[str, dict]:
    """Rule key -> the values Terraform holds for each rule GuardDutyAlerts makes for these settings."""
    if threshold is None:
        return {}
    return {
        rule.key: {"name": f"gd-{rule.key}", "event_pattern": json.dumps(rule.event_pattern, sort_keys=True),
                   "state": "ENABLED"}
        for rule in mail_rules(threshold, filters)
    }


def _change(type_: str, name: str, before: dict | None, after: dict | None) -> dict:
    actions = ["no-op"] if before == after else ["create"] if before is None else ["delete"] if after is None else ["update"]
    return {"address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name,
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}}}


def plan(
    before: tuple[float | None, FindingFilters] = (MEDIUM, DEFAULT),
    after: tuple[float | None, FindingFilters] = (MEDIUM, DEFAULT),
    *,
    recipients: tuple[tuple[str, ...], tuple[str, ...]] = (RECIPIENTS, RECIPIENTS),
    extra: tuple[dict, ...] = (),
) -> dict:
    """A `terraform show -json` document with the rules (and subscriptions) of two configurations."""
    was, now = _rules(*before), _rules(*after)
    changes = [_change("aws_cloudwatch_event_rule", key, was.get(key), now.get(key)) for key in sorted(set(was) | set(now))]
    for address in sorted(set(recipients[0]) | set(recipients[1])):
        values = {"protocol": "email", "endpoint": address, "topic_arn": "arn:aws:sns:us-east-1:1:gd"}
        changes.append(_change("aws_sns_topic_subscription", address,
                               values if address in recipients[0] else None, values if address in recipients[1] else None))
    return {"format_version": "1.2", "planned_values": {}, "resource_changes": [*changes, *extra]}


def _lines(document: dict) -> list[str]:
    (summary,) = [summarize(StackChanges(name="s", plan=document, source="s.json"))]
    return [impact.markdown() for impact in summary.impacts]


def _state(document: dict) -> str | None:
    return summarize(StackChanges(name="s", plan=document, source="s.json")).after_state


def _filter(name: str, types: list[str]) -> dict:
    criteria = {"finding_criteria": [{"criterion": [{"field": "type", "equals": types}]}]}
    return _change("aws_guardduty_filter", name, None, {"name": name, "action": "ARCHIVE", **criteria})


# --- one sentence per change, however many rules carry it ------------------------------------------------


def test_excluded_types_repeats_and_a_suppression_rule_are_three_sentences() -> None:
    # The change measured in the issue: every rule's pattern gains the same two conditions.
    filters = FindingFilters(exclude_types=("Recon:", "UnauthorizedAccess:EC2/TorClient"), new_only=True)
    document = plan(after=(MEDIUM, filters), extra=(_filter("scanner", ["Recon:EC2/Portscan"]),))
    assert _lines(document) == [
        "- ⚠️ **Suppression rule added**: `scanner` archives findings where `type` is `Recon:EC2/Portscan`; GuardDuty "
        "does not send archived findings to EventBridge, so they are not mailed.",
        "- ⚠️ **Finding types excluded**: findings of types Recon:* and UnauthorizedAccess:EC2/TorClient will no "
        "longer be mailed (any severity).",
        "- ⚠️ **Repeats no longer mailed**: repeat occurrences of a finding will no longer be mailed; only its first "
        "occurrence is.",
    ]
    assert _state(document) == (
        f"mails {FROM_MEDIUM} of every type except Recon:* and UnauthorizedAccess:EC2/TorClient to sec@example.com, "
        "first occurrences only; suppression rule `scanner` archives the findings it matches first"
    )


@pytest.mark.parametrize(
    ("before", "after", "lines"),
    [
        (DEFAULT, FindingFilters(include_types=("Backdoor:", "CryptoCurrency:EC2/BitcoinTool.B")), [
            "- ⚠️ **Only some finding types mailed**: only findings of types Backdoor:* and "
            "CryptoCurrency:EC2/BitcoinTool.B will be mailed from now on; findings of every other type will no longer "
            "be mailed (any severity).",
        ]),
        (FindingFilters(include_types=("Backdoor:",)), DEFAULT, [
            "- 🔔 **Every finding type mailed**: findings of every type will be mailed again, not only Backdoor:* (at "
            "the severities mailed).",
        ]),
        (FindingFilters(exclude_types=("Recon:",)), DEFAULT, [
            "- 🔔 **Finding types mailed again**: findings of type Recon:* will be mailed again (at the severities "
            "mailed).",
        ]),
        (FindingFilters(exclude_types=("Recon:",)), FindingFilters(exclude_types=("Recon:EC2/Portscan", "Policy:")), [
            "- ⚠️ **Finding types excluded**: findings of type Policy:* will no longer be mailed (any severity).",
            "- 🔔 **Finding types mailed again**: findings of type Recon:* (except Recon:EC2/Portscan) will be mailed "
            "again (at the severities mailed).",
        ]),
        (FindingFilters(include_types=("Backdoor:", "Trojan:")), FindingFilters(include_types=("Backdoor:EC2/C&CActivity.B", "Impact:")), [
            "- ⚠️ **Finding types no longer mailed**: findings of types Backdoor:* (except Backdoor:EC2/C&CActivity.B) "
            "and Trojan:* will no longer be mailed (any severity).",
            "- 🔔 **Finding types added**: findings of type Impact:* will now be mailed too (at the severities mailed).",
        ]),
        (FindingFilters(include_types=("Backdoor:",)), FindingFilters(exclude_types=("Recon:",)), [
            "- 🔔 **Finding types change**: until now only findings of type Backdoor:* were mailed; after this change "
            "findings of every type except Recon:* are (at the severities mailed).",
        ]),
        (FindingFilters(exclude_types=("Recon:",)), FindingFilters(include_types=("Backdoor:",)), [
            "- ⚠️ **Finding types change**: until now findings of every type except Recon:* were mailed; after this "
            "change only findings of type Backdoor:* are (at the severities mailed).",
        ]),
    ],
)
def test_finding_type_filter_changes_are_said_as_types(before: FindingFilters, after: FindingFilters, lines: list[str]) -> None:
    assert _lines(plan(before=(MEDIUM, before), after=(MEDIUM, after))) == lines


def test_sample_findings_and_repeats_turned_back_on() -> None:
    before = FindingFilters(samples=SampleHandling.DROP, new_only=True)
    document = plan(before=(MEDIUM, before))
    assert _lines(document) == [
        "- 🔔 **Repeats mailed again**: repeat occurrences of a finding will be mailed again, each time GuardDuty "
        "publishes it anew, not only its first occurrence.",
        "- 📝 **Sample findings mailed**: sample findings (GuardDuty's \"Generate sample findings\") will now be "
        "mailed too.",
    ]
    dropped = FindingFilters(samples=SampleHandling.DROP)
    sample_rules = sorted(set(_rules(MEDIUM, DEFAULT)) - set(_rules(MEDIUM, dropped)))
    note, rules_line = _lines(plan(after=(MEDIUM, dropped)))
    assert note == (
        "- 📝 **Sample findings no longer mailed**: sample findings (GuardDuty's \"Generate sample findings\", the way "
        "to test the alert path) will no longer be mailed."
    )
    # However many rules mailed samples, their deletion is one note that points to the line above.
    count = f"{len(sample_rules)} rule" + ("s" if len(sample_rules) > 1 else "")
    assert rules_line.startswith(f"- 📝 **{count} deleted**: EventBridge rule")
    assert rules_line.endswith("only selected findings that are no longer mailed (see above).")
    assert all(f"`gd-{key}`" in rules_line for key in sample_rules)
    assert _state(plan(after=(HIGH, FindingFilters(samples=SampleHandling.DROP)))) == (
        "mails HIGH and CRITICAL findings (severity 7.0 to 10.0) to sec@example.com, no sample findings"
    )


def test_recipient_lines_say_what_they_got_with_the_filters() -> None:
    filters = FindingFilters(exclude_types=("Recon:",), new_only=True)
    document = plan(before=(HIGH, filters), after=(HIGH, filters), recipients=(("old@example.com",), ("new@example.com",)))
    assert _lines(document) == [
        "- ⚠️ **Recipient removed**: old@example.com will no longer be mailed; until now they got HIGH and CRITICAL "
        "findings (severity 7.0 to 10.0) of every type except Recon:*, first occurrences only.",
        "- 🔔 **Recipient added**: new@example.com will get HIGH and CRITICAL findings (severity 7.0 to 10.0) of every "
        "type except Recon:*, first occurrences only, once they confirm the subscription mail AWS sends them; "
        "nothing arrives before that.",
    ]


def test_rules_that_only_change_shape_change_nothing_mailed() -> None:
    # The construct's rules replaced by hand-written ones with other names and the same filters: the patterns
    # select the same findings, so the comment says nothing about filters, whatever the rules are called.
    filters = FindingFilters(exclude_types=("Recon:",), new_only=True)
    per_shape = _rules(MEDIUM, filters)
    lean: dict[str, dict] = {}
    for band, numeric in (("medium", [">=", 4, "<", 7]), ("high", [">=", 7, "<", 9]), ("critical", [">=", 9])):
        lean[band] = {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": {
            "severity": [{"numeric": numeric}], "type": [{"anything-but": {"prefix": "Recon:"}}],
            "service": {"count": [{"numeric": ["=", 1]}], "additionalInfo": {"sample": [False, {"exists": False}]}}}}
    lean["sample"] = {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": {
        "severity": [{"numeric": [">=", 4]}], "service": {"additionalInfo": {"sample": [True]}}}}
    changes = [_change("aws_cloudwatch_event_rule", key, values, None) for key, values in per_shape.items()]
    changes += [_change("aws_cloudwatch_event_rule", f"lean-{key}", None, {"name": f"gd-{key}", "state": "ENABLED",
                        "event_pattern": json.dumps(pattern)}) for key, pattern in lean.items()]
    document = {"format_version": "1.2", "planned_values": {}, "resource_changes": changes}
    (line,) = _lines(document)
    assert line.startswith(f"- 📝 **Alert rules restructured**: {len(per_shape)} EventBridge rules are replaced by 4 (`gd-")
    assert "together they select the same severities, so the same findings are mailed" in line


def test_any_other_condition_is_said_in_words_without_json() -> None:
    before = _rules(MEDIUM, DEFAULT)
    after = {}
    for key, values in before.items():
        pattern = json.loads(values["event_pattern"])
        pattern["detail"]["accountId"] = ["111111111111", {"prefix": "2222"}]
        after[key] = {**values, "event_pattern": json.dumps(pattern)}
    changes = [_change("aws_cloudwatch_event_rule", key, before[key], after[key]) for key in before]
    lines = _lines({"format_version": "1.2", "planned_values": {}, "resource_changes": changes})
    assert lines == [
        "- 📝 **Finding filter changed**: findings are filtered on `detail.accountId`: until now no condition; after "
        "this change it is 111111111111 or starts with 2222.",
    ]


# --- where a change applies -----------------------------------------------------------------------------------

ACCOUNTS = [f"{100000000000 + n:012d}" for n in range(20)]
REGIONS = ["ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
           "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
           "us-east-1", "us-east-2", "us-west-1", "us-west-2"]


def _estate(document_for: object) -> list[StackChanges]:
    stacks = []
    for number, account in enumerate(ACCOUNTS):
        for region in REGIONS:
            document = with_provider_identity(document_for(account), account, region)  # type: ignore[operator]
            name = f"gd-account-{number:02d}-{region}"
            stacks.append(StackChanges(name=name, plan=document, source=f"{name}.json", account=account, region=region))
    return stacks


def test_the_same_change_in_340_stacks_is_one_line_and_one_account_is_named() -> None:
    raised = ACCOUNTS[3]

    def document(account: str) -> dict:
        threshold = HIGH if account == raised else MEDIUM
        return plan(after=(threshold, FindingFilters(new_only=True)), recipients=(RECIPIENTS, (*RECIPIENTS, "soc@example.com")))

    markdown = render_markdown(_estate(document))
    head = markdown.split("<details>", 1)[0]
    impacts = [line for line in head.splitlines() if line.startswith("- ")]
    assert impacts[:3] == [
        "- ⚠️ **Repeats no longer mailed** (in all 340 stacks): repeat occurrences of a finding will no longer be "
        "mailed; only its first occurrence is.",
        f"- ⚠️ **Threshold raised from MEDIUM (4.0) to HIGH (7.0)** (in the 17 stacks of account {raised}): MEDIUM "
        "findings (severity 4.0 to below 7.0) will no longer be mailed to anyone; HIGH and CRITICAL findings "
        "(severity 7.0 to 10.0) are still mailed.",
        f"- 🔔 **Recipient added** (in the 323 stacks of every account except {raised}): soc@example.com will get "
        f"{FROM_MEDIUM}, first occurrences only, once they confirm the subscription mail AWS sends them; nothing "
        "arrives before that.",
    ]
    assert impacts[-2:] == [
        f"- After this change the 323 stacks of every account except {raised} mail {FROM_MEDIUM} to sec@example.com "
        "and soc@example.com, first occurrences only.",
        f"- After this change the 17 stacks of account {raised} mail HIGH and CRITICAL findings (severity 7.0 to "
        "10.0) to sec@example.com and soc@example.com, first occurrences only.",
    ]
    # Two groups of identical changes: two table rows and two raw plans, not 340.
    assert f"| the 323 stacks of every account except {raised} |" in head
    assert f"| the 17 stacks of account {raised} |" in head
    assert markdown.count("<details>") == 2
    assert "(16 other stacks with the same changes)" in markdown
    assert len(markdown) <= MAX_COMMENT_CHARS
    # Patterns are JSON; JSON appears only in the collapsed plans.
    assert not re.search(r"[{\[]\"", head), head


def test_where_names_accounts_regions_and_single_stacks() -> None:
    stacks = _estate(lambda account: plan())
    summaries = [summarize(stack) for stack in stacks]
    names = [s.name for s in summaries]
    account_00 = [n for n in names if n.startswith("gd-account-00-")]
    eu_west_1 = [n for n in names if n.endswith("-eu-west-1")]
    assert where(names, summaries) == "all 340 stacks"
    assert where(account_00, summaries) == f"the 17 stacks of account {ACCOUNTS[0]}"
    assert where(eu_west_1, summaries) == "the 20 stacks in region eu-west-1"
    assert where([*account_00, "gd-account-05-us-east-1"], summaries) == (
        f"the 17 stacks of account {ACCOUNTS[0]} and `gd-account-05-us-east-1`"
    )
    assert where(names[17:27], summaries) == "`gd-account-01-ap-northeast-1`, `gd-account-01-ap-northeast-2`, " \
        "`gd-account-01-ap-northeast-3`, `gd-account-01-ap-south-1`, `gd-account-01-ap-southeast-1`, " \
        "`gd-account-01-ap-southeast-2` and 4 more stacks"


def test_where_names_the_configs_accounts_in_words_and_others_by_id() -> None:
    stacks = _estate(lambda account: plan())
    summaries = [summarize(stack) for stack in stacks]
    names = [s.name for s in summaries]
    words = {ACCOUNTS[0]: "payments-prod", ACCOUNTS[1]: "security"}
    of = {number: [n for n in names if n.startswith(f"gd-account-{number:02d}-")] for number in range(20)}
    assert where(of[0], summaries, words) == "the 17 stacks of account payments-prod (100000000000)"
    assert where(of[0] + of[1], summaries, words) == (
        "the 34 stacks of account payments-prod (100000000000) and account security (100000000001)"
    )
    assert where(names[17:], summaries, words) == (
        "the 323 stacks of every account except account payments-prod (100000000000)"
    )
    # An account the config does not name, and regions, read as before.
    assert where(of[5], summaries, words) == "the 17 stacks of account 100000000005"
    eu_west_1 = [n for n in names if n.endswith("-eu-west-1")]
    assert where(eu_west_1, summaries, words) == "the 20 stacks in region eu-west-1"


def test_plan_summary_with_the_config_names_its_accounts_in_words(tmp_path: Path) -> None:
    # The plans know accounts by id only (allowed_account_ids); --config gives their names.
    files = []
    for account, short in (("222222222222", "security"), ("111111111111", "management")):
        for region in ("eu-west-1", "us-east-1"):
            raised = (HIGH, DEFAULT) if short == "security" else (MEDIUM, DEFAULT)
            path = tmp_path / f"gd-{short}-{region}.json"
            path.write_text(json.dumps(with_provider_identity(plan(after=raised), account, region)))
            files.append(str(path))
    config = Path(__file__).parents[2] / "config" / "estate.example.yaml"
    output = tmp_path / "comment.md"
    assert main(["plan-summary", *files, "--config", str(config), "--output", str(output)]) == 0
    text = output.read_text()
    assert "**Threshold raised from MEDIUM (4.0) to HIGH (7.0)** (in the 2 stacks of account security (222222222222)): " in text
    assert "| the 2 stacks of account security (222222222222) |" in text
    assert main(["plan-summary", *files, "--output", str(output)]) == 0
    assert "(in the 2 stacks of account 222222222222): " in output.read_text()


# --- the comment with changed-stacks -------------------------------------------------------------------------


def test_no_changed_stack_gives_a_comment_that_says_so(tmp_path: Path) -> None:
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({"added": [], "changed": [], "removed": [], "unchanged": ["a", "b"], "shards": []}))
    assert main(["plan-summary", "--changed-stacks", str(changed), "--output", str(tmp_path / "comment.md")]) == 0
    assert (tmp_path / "comment.md").read_text() == (
        "<!-- guardduty-alerts:plan-summary -->\n### GuardDuty alerts: plan review\n\n"
        "No stack's Terraform changes (2 stacks compared with the base branch): nothing to plan, alerting stays as "
        "it is.\n"
    )


def test_fails_when_a_changed_stack_has_no_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({"added": ["gd-new"], "changed": ["gd-a"], "removed": ["gd-old"], "unchanged": []}))
    (tmp_path / "gd-a.json").write_text(json.dumps(plan()))
    assert main(["plan-summary", str(tmp_path / "gd-a.json"), "--changed-stacks", str(changed)]) == 2
    allowed = "allowed: a plan file for every stack that changed-stacks lists as added, changed or removed"
    assert capsys.readouterr().err == (
        "error: unusable plan file: 2 problems\n"
        f"  - {changed}: stack gd-new is added, but no plan of it is given; {allowed}\n"
        f"  - {changed}: stack gd-old is removed, but no plan of it is given; {allowed}\n"
    )


def test_fails_on_a_changed_stacks_file_that_is_not_its_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({"added": "gd-a", "changed": []}))
    assert main(["plan-summary", "--changed-stacks", str(changed)]) == 2
    assert capsys.readouterr().err == (
        "error: unusable plan file: 1 problem\n"
        f"  - {changed}: added, removed, unchanged: not a list of stack names; allowed: the JSON that `main.py "
        "changed-stacks --json` prints\n"
    )


def test_the_comment_says_how_many_stacks_were_not_planned(tmp_path: Path) -> None:
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({"added": [], "changed": ["gd-a"], "removed": [], "unchanged": ["gd-b", "gd-c"]}))
    (tmp_path / "gd-a.json").write_text(json.dumps(plan(after=(HIGH, DEFAULT))))
    assert main(["plan-summary", str(tmp_path / "gd-a.json"), "--changed-stacks", str(changed),
                 "--output", str(tmp_path / "comment.md")]) == 0
    assert "Planned the 1 of 3 stacks whose Terraform this change touches; the other 2 are unchanged.\n" in (
        tmp_path / "comment.md"
    ).read_text()

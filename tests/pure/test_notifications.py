"""Mail rules and templates, run through moto's EventBridge pattern matcher and input-transformer pieces
over every GuardDuty event of the shared corpus and the events written for this project (tests/events)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path

import pytest
from guardduty_alerts.notifications import mail_rules
from guardduty_alerts.patterns import FindingFilters, SampleHandling
from guardduty_alerts.severity import Severity
from guardduty_alerts_app.cli import main
from guardduty_alerts_app.config import AlertsConfig, load_config
from guardduty_alerts_app.review_inputs import stack_alerting
from guardduty_alerts_review.alerting import StackAlerting
from guardduty_alerts_review.preview import load_events, preview_event, render_mail
from helpers import EXAMPLE_CONFIG, FINDINGS_DIR, OWN_EVENTS
from moto.events.utils import EventTemplateParser

CORPUS = sorted(FINDINGS_DIR.glob("*.json"))
OWN = sorted(OWN_EVENTS.glob("*.json"))
NON_FINDINGS = sorted((FINDINGS_DIR / "non_findings").glob("*.json"))
ALL_FINDINGS = CORPUS + OWN
REGIONS = ("ap-southeast-2", "eu-west-1", "us-east-1")
# The identifying value each resource type's mail must show (None: the type only).
IDENTIFIER = {
    "Instance": ("instanceDetails", "instanceId"),
    "AccessKey": ("accessKeyDetails", "userName"),
    "EKSCluster": ("eksClusterDetails", "name"),
    "ECSCluster": ("ecsClusterDetails", "name"),
    "Container": ("containerDetails", "image"),
    "RDSDBInstance": ("rdsDbInstanceDetails", "dbInstanceIdentifier"),
    "Lambda": ("lambdaDetails", "functionName"),
}


def read(path: Path) -> dict:
    return json.loads(path.read_text())


BASE_CONFIG = load_config(EXAMPLE_CONFIG)


def config_at(threshold: str | float, **changes: object) -> AlertsConfig:
    return dataclasses.replace(BASE_CONFIG, **{"regions": REGIONS, "severity_threshold": threshold, **changes})


def stack(config: AlertsConfig, region: str) -> StackAlerting:
    """The review tools' view of the stack of `region`, as the app hands it to preview."""
    return next(alerting for alerting in stack_alerting(config) if alerting.region == region)


def test_corpus_and_own_events_are_present() -> None:
    assert len(CORPUS) >= 27, "the corpus lives in tests/fixtures/findings"
    kinds = {read(path)["detail"]["resource"]["resourceType"] for path in OWN}
    assert {"Lambda", "ECSCluster", "Container", "Instance", "S3Bucket"} <= kinds


@pytest.mark.parametrize("threshold", ["LOW", "MEDIUM", "HIGH", "CRITICAL"])
@pytest.mark.parametrize("path", ALL_FINDINGS, ids=lambda p: p.name)
def test_every_finding_is_mailed_once_with_its_band_label_and_a_clean_body(path: Path, threshold: str) -> None:
    config = config_at(threshold)
    event = read(path)
    detail = event["detail"]
    outcome = preview_event(stack(config, event["region"]), path, event)
    expected = detail["severity"] >= Severity[threshold].floor
    assert (outcome.mail is not None) == expected, outcome.reason
    if not expected:
        assert outcome.mailed_by == () and "below the threshold" in outcome.reason
        return
    assert len(outcome.mailed_by) == 1, "each finding matches exactly one rule, so it is mailed once"
    band = Severity.of_score(detail["severity"])
    assert outcome.mailed_by[0].startswith(f"guardduty-alerts-{band.name.lower()}-")
    mail = outcome.mail
    assert mail is not None
    first = mail.splitlines()[0]
    assert first == (
        f'"GuardDuty finding: {band.name} {detail["severity"]} {detail["type"]} '
        f'in account {event["account"]}, region {event["region"]}"'
    )
    link = (
        f"https://{event['region']}.console.aws.amazon.com/guardduty/home?region={event['region']}"
        f"#/findings?macros=current&fId={detail['id']}"
    )
    assert f'"Console: {link}"' in mail
    assert f'"Title: {detail["title"]}"' in mail
    assert "null" not in mail.replace(detail["description"], "")
    assert "<" not in mail and ">" not in mail, "no placeholder residue"
    is_sample = (detail["service"].get("additionalInfo") or {}).get("sample") is True
    assert ("SAMPLE FINDING" in mail) == is_sample
    resource = detail["resource"]
    if not is_sample and resource["resourceType"] in IDENTIFIER:
        block, key = IDENTIFIER[resource["resourceType"]]
        assert resource[block][key] in mail.splitlines()[4 if is_sample else 3]
    if not is_sample and resource["resourceType"] == "S3Bucket":
        assert f'"Resource: S3 bucket {resource["s3BucketDetails"][0]["name"]}"' in mail


@pytest.mark.parametrize("path", ALL_FINDINGS, ids=lambda p: p.name)
def test_rendering_agrees_with_motos_input_transformer(path: Path) -> None:
    """Where moto's EventTemplateParser can decode a line (no raw line break or quote in a value), it gives
    the same text; those values are the reason the preview stops short of moto's final JSON decoding."""
    event = dict(read(path), **{"ingestion-time": 0})
    outcome = preview_event(stack(config_at("LOW"), event["region"]), path, event)
    (rule,) = [rule for rule in mail_rules(1.0) if f"guardduty-alerts-{rule.key}" in outcome.mailed_by]
    rendered = render_mail(rule, event).splitlines()
    for line_template in rule.input_template.splitlines():
        names = re.findall(r"<([A-Za-z]+)>", line_template)
        paths = {name: rule.input_paths[name] for name in names}
        try:
            decoded = EventTemplateParser.parse(line_template, paths, event)
        except json.JSONDecodeError:
            assert "description" in names and "\n" in event["detail"]["description"]
            continue
        assert json.dumps(decoded) in rendered


@pytest.mark.parametrize("path", NON_FINDINGS, ids=lambda p: p.name)
def test_other_guardduty_events_are_never_mailed(path: Path) -> None:
    event = read(path)
    outcome = preview_event(stack(config_at("LOW", regions=(event["region"],)), event["region"]), path, event)
    assert outcome.mail is None and outcome.mailed_by == ()
    assert outcome.reason.startswith("not a finding (detail-type ")


BAND_EDGES = [(1.0, "LOW"), (3.9, "LOW"), (4.0, "MEDIUM"), (6.9, "MEDIUM"), (7.0, "HIGH"), (8.9, "HIGH"), (9.0, "CRITICAL"), (10.0, "CRITICAL")]


def finding(severity: float, **detail: object) -> dict:
    event = copy.deepcopy(read(OWN_EVENTS / "runtime_ec2__PrivilegeEscalation_Runtime_DockerSocketAccessed.json"))
    event["detail"]["severity"] = severity
    event["detail"].update(detail)
    return event


@pytest.mark.parametrize(("severity", "label"), BAND_EDGES)
@pytest.mark.parametrize("threshold", ["LOW", "MEDIUM", "HIGH", "CRITICAL"])
def test_band_edges_get_the_right_label_and_decision(severity: float, label: str, threshold: str) -> None:
    outcome = preview_event(stack(config_at(threshold), "us-east-1"), Path("edge.json"), finding(severity))
    if severity < Severity[threshold].floor:
        assert outcome.mail is None
        return
    assert outcome.mailed_by == (f"guardduty-alerts-{label.lower()}-instance",)
    assert outcome.mail is not None and outcome.mail.startswith(f'"GuardDuty finding: {label} {severity} ')


def test_numeric_threshold_starts_with_a_partial_band() -> None:
    rules = mail_rules(5.5)
    assert [rule.band for rule in rules][:1] == [Severity.MEDIUM]
    assert rules[0].event_pattern["detail"]["severity"] == [{"numeric": [">=", 5.5, "<", 7]}]
    config = config_at(5.5)
    assert preview_event(stack(config, "us-east-1"), Path("x"), finding(5.4)).mail is None
    assert preview_event(stack(config, "us-east-1"), Path("x"), finding(5.5)).mailed_by == ("guardduty-alerts-medium-instance",)


def test_a_known_resource_type_without_its_identifier_falls_back_to_the_generic_mail() -> None:
    event = finding(7.5)
    del event["detail"]["resource"]["instanceDetails"]["instanceId"]
    outcome = preview_event(stack(config_at("LOW"), "us-east-1"), Path("x"), event)
    assert outcome.mailed_by == ("guardduty-alerts-high-other",)
    assert '"Resource type: Instance"' in (outcome.mail or "")


def decision(filters: FindingFilters, event: dict) -> bool:
    config = config_at(
        "LOW",
        include_types=filters.include_types,
        exclude_types=filters.exclude_types,
        sample_findings=filters.samples.value,
        new_findings_only=filters.new_only,
    )
    return preview_event(stack(config, event["region"]), Path("x"), event).mail is not None


PRIV_ESC = "PrivilegeEscalation:Runtime/DockerSocketAccessed"


@pytest.mark.parametrize(
    ("filters", "mailed"),
    [
        (FindingFilters(include_types=("PrivilegeEscalation:",)), True),
        (FindingFilters(include_types=("PrivilegeEscalation:Runtime/",)), True),
        (FindingFilters(include_types=("PrivilegeEscalation:Runtime/Docker*",)), True),
        (FindingFilters(include_types=(PRIV_ESC,)), True),
        (FindingFilters(include_types=("Recon:", "UnauthorizedAccess:IAMUser/")), False),
        (FindingFilters(include_types=("PrivilegeEscalation:Runtime/DockerSocket",)), False),  # exact, not prefix
        (FindingFilters(exclude_types=("PrivilegeEscalation:",)), False),
        (FindingFilters(exclude_types=(PRIV_ESC,)), False),
        (FindingFilters(exclude_types=("Recon:", PRIV_ESC)), False),
        (FindingFilters(exclude_types=("Recon:",)), True),
        (FindingFilters(exclude_types=("Recon:", "Trojan:EC2/DropPoint")), True),
    ],
)
def test_finding_type_filters(filters: FindingFilters, mailed: bool) -> None:
    assert decision(filters, finding(5.0)) is mailed


def test_sample_findings_are_delivered_marked_by_default_or_dropped() -> None:
    sample = read(OWN_EVENTS / "sample_lambda__Backdoor_Lambda_C2Activity_B.json")
    real = read(OWN_EVENTS / "lambda__Backdoor_Lambda_C2Activity_B.json")
    assert decision(FindingFilters(), sample) is True
    assert decision(FindingFilters(samples=SampleHandling.DROP), sample) is False
    assert decision(FindingFilters(samples=SampleHandling.DROP), real) is True
    outcome = preview_event(stack(config_at("LOW", sample_findings="drop"), "us-east-1"), Path("x"), sample)
    assert outcome.reason == "a sample finding, and sample_findings is drop"


def test_new_findings_only_mails_the_first_occurrence() -> None:
    first, repeat = finding(5.0), finding(5.0)
    repeat["detail"]["service"]["count"] = 3
    assert decision(FindingFilters(new_only=True), first) is True
    assert decision(FindingFilters(new_only=True), repeat) is False
    assert decision(FindingFilters(new_only=False), repeat) is True


def test_an_event_from_another_region_is_not_mailed_by_this_stack() -> None:
    outcome = preview_event(stack(config_at("LOW"), "eu-west-1"), Path("x"), finding(8.0))
    assert outcome.mail is None and outcome.reason == "the event is from region us-east-1, not eu-west-1"


def test_preview_command_prints_decisions_and_mails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("regions: [us-east-1]\nrecipients: [a@example.com]\nseverity_threshold: HIGH\n")
    assert main(["preview", str(OWN_EVENTS), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "== stack guardduty-alerts-us-east-1 (threshold HIGH) ==" in out
    assert "-- lambda__Backdoor_Lambda_C2Activity_B.json: MAILED by rule guardduty-alerts-high-lambda" in out
    assert '"Resource: Lambda function invoice-export"' in out
    assert "-- container__Execution_Runtime_NewBinaryExecuted.json: not mailed: severity 5 (MEDIUM) is below the threshold 7" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot be read as JSON"),
        ("[1, 2]", "not an EventBridge event (a JSON object with source, detail-type and detail)"),
        ('{"source": "aws.ec2", "detail-type": "x", "detail": {}, "region": "us-east-1", "account": "1"}',
         'source is "aws.ec2"; allowed: aws.guardduty'),
        ('{"source": "aws.guardduty", "detail": {}}', "not an EventBridge event: detail-type, region, account missing"),
    ],
)
def test_rejects_a_file_that_is_not_a_guardduty_event(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["preview", str(bad), "--config", str(EXAMPLE_CONFIG)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: not a GuardDuty event: 1 problem\n")
    assert f"  - {bad}: {message}" in err
    assert "Traceback" not in err


def test_load_events_reads_a_folder_in_name_order() -> None:
    names = [path.name for path, _ in load_events(OWN_EVENTS)]
    assert names == sorted(names) and len(names) == len(OWN)


def test_templates_only_reference_defined_paths() -> None:
    for rule in mail_rules(1.0):
        assert set(re.findall(r"<([A-Za-z]+)>", rule.input_template)) == set(rule.input_paths), rule.key
        assert len(rule.input_template) <= 8192 and len(rule.input_paths) <= 100

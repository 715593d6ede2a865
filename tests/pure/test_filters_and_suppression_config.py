"""Configuration of finding filters, suppression rules and the formatter switch; explain's table."""

from __future__ import annotations

import pytest
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.patterns import FindingFilters, SampleHandling
from guardduty_alerts_app.cli import main
from guardduty_alerts_app.config import AlertsConfig, parse_config
from helpers import EXAMPLE_CONFIG

MINIMAL = {"regions": ["us-east-1"], "recipients": ["sec@example.com"]}
SCANNER = {
    "name": "scanner",
    "criteria": {"type": {"equals": ["Recon:EC2/Portscan"]}, "severity": {"less_than": 4}},
}


def problems_of(**changes: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({**MINIMAL, **changes})
    return list(caught.value.problems)


def test_defaults_mail_every_type_and_mark_samples() -> None:
    config = parse_config(MINIMAL)
    assert config.filters == FindingFilters()
    assert config.filters.samples is SampleHandling.DELIVER
    assert config.suppression_rules == ()
    assert config.subject_formatter is False


def test_filters_and_suppression_rules_are_read() -> None:
    config = parse_config(
        {
            **MINIMAL,
            "finding_types": {"exclude": ["Recon:", "UnauthorizedAccess:EC2/TorClient"]},
            "sample_findings": "drop",
            "new_findings_only": True,
            "suppression_rules": [SCANNER],
            "subject_formatter": True,
        }
    )
    assert config.filters == FindingFilters(
        exclude_types=("Recon:", "UnauthorizedAccess:EC2/TorClient"), samples=SampleHandling.DROP, new_only=True
    )
    (rule,) = config.suppression_rules
    assert rule.name == "scanner"
    assert rule.criterion_list() == [
        {"field": "severity", "less_than": "4"},
        {"field": "type", "equals": ["Recon:EC2/Portscan"]},
    ]
    assert config.subject_formatter is True


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"finding_types": {"include": ["Recon:"], "exclude": ["Recon:EC2/Portscan"]}},
            "finding_types: both include and exclude are set; allowed: one of them (an EventBridge pattern cannot "
            "require and refuse values of one field at once; list the wanted types under include)",
        ),
        (
            {"finding_types": {"include": []}},
            "finding_types.include: the list is empty; allowed: a non-empty list of finding types; an entry ending "
            "in ':', '/' or '*' is a prefix",
        ),
        (
            {"finding_types": {"include": ["Recon: EC2"]}},
            'finding_types.include[0]: "Recon: EC2" is not allowed; allowed: a finding type such as '
            "Recon:EC2/Portscan, or a prefix such as Recon: or UnauthorizedAccess:IAMUser/",
        ),
        (
            {"finding_types": {"exclude": ["Recon:", "Recon:"]}},
            'finding_types.exclude[1]: "Recon:" repeats finding_types.exclude[0]; allowed: each type once',
        ),
        ({"sample_findings": "keep"}, 'sample_findings: "keep" is not allowed; allowed: deliver (mailed, marked as samples) or drop'),
        (
            {"new_findings_only": "yes"},
            'new_findings_only: "yes" is not allowed; allowed: true (mail a finding once, when first seen) or false '
            "(every occurrence)",
        ),
        (
            {"subject_formatter": 1},
            "subject_formatter: 1 is not allowed; allowed: true (a Lambda function publishes with a readable "
            "subject) or false",
        ),
        (
            {"suppression_rules": [{"name": "x", "criteria": {"type": {"equals": ["a"]}}}]},
            "suppression_rules[0].name: \"x\" is not allowed; allowed: 3 to 64 letters, digits, '-', '_' or '.'",
        ),
        (
            {"suppression_rules": [SCANNER, SCANNER]},
            'suppression_rules[1].name: "scanner" repeats suppression_rules[0]; allowed: each name once (it names '
            "the GuardDuty filter)",
        ),
        (
            {"suppression_rules": [{"name": "empty", "criteria": {}}]},
            "suppression_rules[0].criteria: {} is not allowed; allowed: a mapping of GuardDuty finding attributes "
            "(type, severity, resource.instanceDetails.instanceId, ...) to conditions",
        ),
        (
            {"suppression_rules": [{"name": "bad-op", "criteria": {"type": {"like": ["Recon"]}}}]},
            "suppression_rules[0].criteria.type.like: unknown key; allowed keys: equals, greater_than, "
            "greater_than_or_equal, less_than, less_than_or_equal, not_equals",
        ),
        (
            {"suppression_rules": [{"name": "mixed", "criteria": {"severity": {"equals": [2], "less_than": 4}}}]},
            "suppression_rules[0].criteria.severity: equals is combined with less_than; allowed: equals alone, or "
            "other operators",
        ),
        (
            {"suppression_rules": [{"criteria": {"type": {"equals": ["a"]}}}]},
            "suppression_rules[0].name: missing; required: 3 to 64 letters, digits, '-', '_' or '.'",
        ),
    ],
)
def test_rejects_bad_filters_and_suppression_rules(changes: dict, expected: str) -> None:
    assert expected in problems_of(**changes)


def test_explain_prints_a_table_per_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--config", str(EXAMPLE_CONFIG)]) == 0
    block = [
        "  severities mailed      MEDIUM 4.0-6.9, HIGH 7.0-8.9, CRITICAL 9.0-10.0",
        "  finding types          all",
        "  sample findings        mailed, marked SAMPLE",
        "  occurrences            every occurrence",
        "  recipients             security-team@example.com, oncall@example.com",
        "  suppressed (archived)  scanner-port-probes (resource.instanceDetails.tags.value equals "
        "vulnerability-scanner, type equals Recon:EC2/PortProbeUnprotectedPort)",
        "  subject formatter      off",
        "  EventBridge rules      4 (medium, high, critical, sample)",
    ]
    expected = "\n".join(
        ["stack guardduty-alerts-eu-west-1 (region eu-west-1)", *block, "",
         "stack guardduty-alerts-us-east-1 (region us-east-1)", *block]
    )
    assert capsys.readouterr().out == expected + "\n"


def test_example_config_sets_the_new_keys(example_config: AlertsConfig) -> None:
    assert [rule.name for rule in example_config.suppression_rules] == ["scanner-port-probes"]
    assert example_config.filters == FindingFilters()

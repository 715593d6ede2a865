"""Configuration of finding filters, suppression rules and the formatter switch; explain's table."""

from __future__ import annotations

import re

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
        (
            {"sample_findings": "keep"},
            'sample_findings: "keep" is not allowed; allowed: deliver (mailed, marked as samples) or drop',
        ),
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
        "  alarms notify          the alert topic guardduty-alerts, mailed to oncall@example.com, "
        "security-team@example.com",
    ]
    expected = "\n".join(
        [
            "stack guardduty-alerts-eu-west-1 (region eu-west-1)",
            *block,
            "",
            "stack guardduty-alerts-us-east-1 (region us-east-1)",
            *block,
        ]
    )
    assert capsys.readouterr().out == expected + "\n"


def test_example_config_sets_the_new_keys(example_config: AlertsConfig) -> None:
    assert [rule.name for rule in example_config.suppression_rules] == ["scanner-port-probes"]
    assert example_config.filters == FindingFilters()


# Documented GuardDuty finding types with '&' and '!' in their names (GuardDuty's finding type reference).
REAL_TYPES = [
    "Backdoor:EC2/C&CActivity.B!DNS",
    "Trojan:EC2/DropPoint!DNS",
    "Backdoor:Lambda/C&CActivity.B",
    "CryptoCurrency:EC2/BitcoinTool.B!DNS",
    "Backdoor:Runtime/C&CActivity.B!DNS",
]


@pytest.mark.parametrize("key", ["include", "exclude"])
def test_finding_types_accept_every_documented_type(key: str) -> None:
    config = parse_config({**MINIMAL, "finding_types": {key: REAL_TYPES}})
    assert getattr(config, f"{key}_types") == tuple(REAL_TYPES)


# 60 exact types of 45 characters: a pattern over EventBridge's default 2,048-character quota, under 4,096.
LONG_LIST = [f"UnauthorizedAccess:EC2/SomeLongFindingName{n:03}" for n in range(60)]


def test_rejects_a_type_list_whose_pattern_is_over_eventbridge_s_size_quota() -> None:
    (problem,) = problems_of(finding_types={"exclude": LONG_LIST})
    length = re.search(r"event pattern (\d+) characters long", problem)
    assert length and int(length.group(1)) > 2048, problem
    assert problem.startswith("finding_types: the finding types make rule 'medium''s event pattern ")
    assert problem.endswith(
        "characters long, over the limit of 2048 (EventBridge's event pattern size quota); allowed: fewer types, "
        "prefixes (Recon: or UnauthorizedAccess:EC2/) instead of many exact types, or a raised quota declared as "
        "the event pattern size limit (up to 4096)"
    )


def test_a_declared_raised_quota_lets_the_longer_pattern_through() -> None:
    config = parse_config({**MINIMAL, "finding_types": {"exclude": LONG_LIST}, "event_pattern_size_limit": 4096})
    assert config.event_pattern_size_limit == 4096


def test_rejects_an_event_pattern_size_limit_outside_eventbridge_s_bounds() -> None:
    assert problems_of(event_pattern_size_limit=8192) == [
        "event_pattern_size_limit: 8192 is not allowed; allowed: an integer from 2048 (EventBridge's default quota) "
        "to 4096: the account's 'Event pattern size' quota, once raised"
    ]

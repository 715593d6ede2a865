"""Severity thresholds and the event pattern, evaluated by moto's EventBridge pattern implementation."""

from __future__ import annotations

import json

import pytest
from guardduty_alerts.patterns import (
    FindingFilters,
    SampleHandling,
    all_findings_pattern,
    band_range,
    bands_at_or_above,
    exclusion_uses_wildcard,
    finding_event_pattern,
    type_matcher,
)
from guardduty_alerts.severity import Severity, parse_threshold, threshold_problem
from helpers import finding_event
from moto.events.models import EventPattern


def event(severity: float, **envelope: str) -> dict:
    return finding_event(severity, **envelope)


def matches(threshold: float, candidate: dict) -> bool:
    # The same JSON string Terraform receives, parsed the way moto parses a rule's pattern.
    pattern = EventPattern.load(json.dumps(finding_event_pattern(threshold), sort_keys=True))
    return pattern.matches_event(candidate)


@pytest.mark.parametrize(
    ("value", "floor"),
    [
        ("LOW", 1.0),
        ("MEDIUM", 4.0),
        ("high", 7.0),
        ("Critical", 9.0),
        (Severity.HIGH, 7.0),
        (1, 1.0),
        (5.5, 5.5),
        (10, 10.0),
    ],
)
def test_threshold_accepts_labels_and_numbers(value: object, floor: float) -> None:
    assert parse_threshold(value) == floor


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "0 is out of range; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"),
        (11, "11 is out of range; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"),
        (0.99, "0.99 is out of range; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"),
        (
            "SEVERE",
            "'SEVERE' is not a severity; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0",
        ),
        (True, "True is not a severity; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"),
        (float("nan"), "nan is out of range; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"),
    ],
)
def test_rejects_threshold_outside_bands(value: object, message: str) -> None:
    assert threshold_problem(value) == message
    with pytest.raises(ValueError, match="allowed"):
        parse_threshold(value)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        # Below GuardDuty's 1.0 (a hand-written finding given to `preview`): still a band, the lowest.
        (0.5, "LOW"),
        (1.0, "LOW"),
        (3.9, "LOW"),
        (4.0, "MEDIUM"),
        (6.9, "MEDIUM"),
        (7.0, "HIGH"),
        (8.9, "HIGH"),
        (9.0, "CRITICAL"),
        (10.0, "CRITICAL"),
    ],
)
def test_band_of_a_score_follows_guardduty_bands(score: float, band: str) -> None:
    assert Severity.of_score(score).name == band


def test_pattern_is_the_console_pattern_of_the_origin_post() -> None:
    assert json.dumps(finding_event_pattern(4.0), sort_keys=True) == (
        '{"detail": {"severity": [{"numeric": [">=", 4]}]}, '
        '"detail-type": ["GuardDuty Finding"], "source": ["aws.guardduty"]}'
    )
    assert finding_event_pattern(5.5)["detail"]["severity"] == [{"numeric": [">=", 5.5]}]


@pytest.mark.parametrize("severity", [4.0, 5.0, 6.9, 7.0, 8.9, 9.0, 10.0, 4, 10])
def test_default_threshold_delivers_medium_and_above(severity: float) -> None:
    assert matches(parse_threshold("MEDIUM"), event(severity))


@pytest.mark.parametrize("severity", [1.0, 2.0, 3.9, 1])
def test_default_threshold_drops_low(severity: float) -> None:
    assert not matches(parse_threshold("MEDIUM"), event(severity))


def test_pattern_drops_guardduty_api_calls_logged_by_cloudtrail() -> None:
    api_call = event(8.0, **{"detail-type": "AWS API Call via CloudTrail"})
    assert not matches(4.0, api_call)


def test_pattern_drops_other_sources() -> None:
    assert not matches(4.0, event(8.0, source="aws.securityhub"))
    assert not matches(4.0, event(8.0, source="custom.guardduty"))


def test_high_threshold_drops_upper_medium_and_keeps_high() -> None:
    high = parse_threshold("HIGH")
    assert not matches(high, event(6.9))
    assert matches(high, event(7.0))
    assert matches(high, event(8.9))


def test_critical_threshold_keeps_only_critical() -> None:
    critical = parse_threshold("CRITICAL")
    assert [s for s in (6.9, 7.0, 8.9, 9.0, 10.0) if matches(critical, event(s))] == [9.0, 10.0]


def test_numeric_threshold_between_bands() -> None:
    assert not matches(5.5, event(5.4))
    assert matches(5.5, event(5.5))


def test_patterns_are_independent_of_each_other_whatever_was_built_before() -> None:
    # Regression: the sample condition was shared between patterns, and a new-findings-only pattern wrote its
    # count condition into every later one.
    from guardduty_alerts.notifications import mail_rules
    from guardduty_alerts.patterns import FindingFilters

    plain = [rule.pattern_json() for rule in mail_rules(4.0)]
    mail_rules(4.0, FindingFilters(new_only=True))
    assert [rule.pattern_json() for rule in mail_rules(4.0)] == plain
    assert all('"count"' not in pattern for pattern in plain)


@pytest.mark.parametrize(
    ("entry", "matcher"),
    [
        ("Recon:EC2/PortProbeUnprotectedPort", ("exact", "Recon:EC2/PortProbeUnprotectedPort")),
        ("Recon:*", ("prefix", "Recon:")),  # the star is dropped, nothing before it
        ("CryptoCurrency:EC2/BitcoinTool.B!*", ("prefix", "CryptoCurrency:EC2/BitcoinTool.B!")),
        ("Recon:", ("prefix", "Recon:")),
        ("Recon:EC2/", ("prefix", "Recon:EC2/")),
    ],
)
def test_type_entries_read_as_exact_types_or_prefixes(entry: str, matcher: tuple[str, str]) -> None:
    assert type_matcher(entry) == matcher


# EventBridge User Guide, "Comparison operators for use in event patterns": anything-but takes a list of exact
# values, one {"prefix": ...}, or {"wildcard": ...}; several prefixes, or prefixes with exact values, need the
# wildcard form. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
@pytest.mark.parametrize(
    ("excluded", "condition", "wildcard"),
    [
        (
            ("Recon:EC2/PortProbeUnprotectedPort", "Backdoor:EC2/DenialOfService.Tcp"),
            [{"anything-but": ["Backdoor:EC2/DenialOfService.Tcp", "Recon:EC2/PortProbeUnprotectedPort"]}],
            False,
        ),
        (("Recon:*",), [{"anything-but": {"prefix": "Recon:"}}], False),
        (("Recon:", "Backdoor:*"), [{"anything-but": {"wildcard": ["Backdoor:*", "Recon:*"]}}], True),
        (
            ("Recon:", "Trojan:EC2/DNSDataExfiltration"),
            [{"anything-but": {"wildcard": ["Recon:*", "Trojan:EC2/DNSDataExfiltration"]}}],
            True,
        ),
    ],
)
def test_excluded_types_take_the_smallest_anything_but_form(
    excluded: tuple[str, ...], condition: list[object], wildcard: bool
) -> None:
    assert all_findings_pattern(4, FindingFilters(exclude_types=excluded))["detail"]["type"] == condition
    assert exclusion_uses_wildcard(excluded) is wildcard


def test_included_types_are_exact_values_or_prefix_matchers() -> None:
    pattern = all_findings_pattern(4, FindingFilters(include_types=("Recon:*", "Trojan:EC2/DNSDataExfiltration")))
    assert pattern["detail"]["type"] == [{"prefix": "Recon:"}, "Trojan:EC2/DNSDataExfiltration"]


def test_all_findings_pattern_keeps_samples_unless_dropped() -> None:
    assert all_findings_pattern(7) == {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 7]}]},
    }
    assert all_findings_pattern(5.5, FindingFilters(samples=SampleHandling.DROP))["detail"] == {
        "severity": [{"numeric": [">=", 5.5]}],
        "service": {"additionalInfo": {"sample": [False, {"exists": False}]}},
    }


@pytest.mark.parametrize(
    ("band", "threshold", "scores"),
    [
        (Severity.HIGH, 4.0, (7.0, 9.0)),
        (Severity.HIGH, 8.5, (8.5, 9.0)),
        (Severity.HIGH, 9.0, None),
        (Severity.CRITICAL, 10.0, (10.0, None)),
        (Severity.CRITICAL, 10.5, None),  # above GuardDuty's 10.0: no score left in the top band
    ],
)
def test_band_range_is_the_band_cut_at_the_threshold(
    band: Severity, threshold: float, scores: tuple[float, float | None] | None
) -> None:
    assert band_range(band, threshold) == scores


def test_bands_at_or_above_the_top_score() -> None:
    assert bands_at_or_above(10.0) == [Severity.CRITICAL]
    assert bands_at_or_above(10.5) == []

"""The edges of every numeric rule: a threshold of exactly 1.0 or 10.0, an event pattern exactly at EventBridge's
size quota, the quota's own bounds. Off-by-one mistakes live here, and only a test at the edge catches them."""

from __future__ import annotations

import json

import pytest
from guardduty_alerts.notifications import mail_rules, pattern_size_limit_problem, pattern_size_problem
from guardduty_alerts.patterns import FindingFilters
from guardduty_alerts.severity import MAX_SEVERITY, MIN_SEVERITY, Severity, parse_threshold, threshold_problem
from helpers import finding_event
from moto.events.models import EventPattern


def finding(severity: float, *, sample: bool = False) -> dict:
    return finding_event(severity, sample=sample)


def mailed_by(threshold: float, event: dict) -> list[str]:
    """Keys of the rules (built at `threshold`) whose pattern, as Terraform receives it, matches `event`."""
    return [
        rule.key
        for rule in mail_rules(threshold, FindingFilters())
        if EventPattern.load(rule.pattern_json()).matches_event(event)
    ]


# GuardDuty scores findings from 1.0 to 10.0 ("Severity levels of GuardDuty findings", GuardDuty user guide).
@pytest.mark.parametrize("value", [MIN_SEVERITY, MAX_SEVERITY, 1, 10])
def test_the_ends_of_guardduty_s_scale_are_valid_thresholds(value: float) -> None:
    assert threshold_problem(value) is None
    assert parse_threshold(value) == float(value)


@pytest.mark.parametrize("value", [0.9999999, 10.0000001, -0.0, float("inf"), float("-inf")])
def test_rejects_a_threshold_just_outside_guardduty_s_scale(value: float) -> None:
    assert threshold_problem(value) == (
        f"{value!r} is out of range; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"
    )


def test_a_threshold_of_exactly_ten_mails_only_findings_of_severity_ten() -> None:
    assert [rule.key for rule in mail_rules(10.0, FindingFilters())] == ["critical", "sample"]
    assert mailed_by(10.0, finding(10.0)) == ["critical"]
    assert mailed_by(10.0, finding(9.99)) == []
    assert mailed_by(10.0, finding(10.0, sample=True)) == ["sample"]
    assert mailed_by(10.0, finding(9.99, sample=True)) == []


def test_a_threshold_of_exactly_one_mails_every_band_once() -> None:
    assert [rule.key for rule in mail_rules(1.0, FindingFilters())] == ["low", "medium", "high", "critical", "sample"]
    for score, band in [
        (1.0, "low"),
        (3.99, "low"),
        (4.0, "medium"),
        (6.99, "medium"),
        (7.0, "high"),
        (9.0, "critical"),
        (10.0, "critical"),
    ]:
        assert mailed_by(1.0, finding(score)) == [band], score
    assert mailed_by(1.0, finding(0.99)) == []


@pytest.mark.parametrize(("threshold", "first"), [(9.0, "critical"), (8.99, "high"), (4.0, "medium"), (3.99, "low")])
def test_a_threshold_just_below_a_band_starts_in_the_band_below(threshold: float, first: str) -> None:
    rules = mail_rules(threshold, FindingFilters())
    assert rules[0].key == first
    assert Severity.of_score(threshold).name.lower() == first
    assert mailed_by(threshold, finding(threshold)) == [first]
    assert mailed_by(threshold, finding(round(threshold - 0.01, 2))) == []


# EventBridge's "Event pattern size" quota: 2,048 characters by default, adjustable up to 4,096 (EventBridge user
# guide, "Amazon EventBridge quotas").
@pytest.mark.parametrize("limit", [2048, 4096])
def test_the_quota_s_own_bounds_are_allowed(limit: int) -> None:
    assert pattern_size_limit_problem(limit) is None


@pytest.mark.parametrize("limit", [2047, 4097, 2048.0, True])
def test_rejects_a_quota_outside_eventbridge_s_bounds(limit: object) -> None:
    assert pattern_size_limit_problem(limit) is not None
    assert str(limit) in pattern_size_limit_problem(limit)  # type: ignore[operator]


def types_for_pattern_length(length: int) -> tuple[str, ...]:
    """Excluded finding types that make the longest rule's pattern exactly `length` characters."""
    types = [f"UnauthorizedAccess:EC2/SomeLongFindingName{n:03}" for n in range(length // 60)]

    def longest(candidate: list[str]) -> int:
        rules = mail_rules(4.0, FindingFilters(exclude_types=tuple(candidate)))
        return max(len(rule.pattern_json()) for rule in rules)

    missing = length - longest(types)
    assert missing >= 0
    types[-1] += "X" * missing
    assert longest(types) == length
    return tuple(types)


@pytest.mark.parametrize("limit", [2048, 4096])
def test_a_pattern_exactly_at_the_quota_is_accepted_and_one_character_more_is_refused(limit: int) -> None:
    at_quota = types_for_pattern_length(limit)
    assert pattern_size_problem(mail_rules(4.0, FindingFilters(exclude_types=at_quota)), limit) is None
    over = types_for_pattern_length(limit + 1)
    problem = pattern_size_problem(mail_rules(4.0, FindingFilters(exclude_types=over)), limit)
    assert problem is not None
    assert problem == (
        f"the finding types make rule 'medium''s event pattern {limit + 1} characters long, over the limit of "
        f"{limit} (EventBridge's event pattern size quota); allowed: fewer types, prefixes (Recon: or "
        "UnauthorizedAccess:EC2/) instead of many exact types, or a raised quota declared as the event pattern "
        "size limit (up to 4096)"
    )
    # The pattern measured is the string Terraform receives: compact JSON with sorted keys.
    rule = max(mail_rules(4.0, FindingFilters(exclude_types=over)), key=lambda r: len(r.pattern_json()))
    assert rule.pattern_json() == json.dumps(json.loads(rule.pattern_json()), sort_keys=True, separators=(",", ":"))


def test_no_rules_are_within_any_quota() -> None:
    assert pattern_size_problem([], 2048) is None

"""The delivery rules of one configuration, each a pattern and (for plain mails) a template.

This is the single source of truth: the construct turns each `MailRule` into an EventBridge rule and target,
and `preview` runs the same patterns and templates through moto's EventBridge implementation.

Plain mails (the default): one rule per mailed severity band, for real findings, plus one rule for sample
findings (unless they are dropped): an input transformer cannot compute a band label or branch on a sample
flag, so the rule writes them. At the default MEDIUM threshold that is 4 rules (MEDIUM, HIGH, CRITICAL,
sample); at LOW 5; at CRITICAL 2.

With the subject formatter: exactly one rule, for every finding at or above the threshold; the function gets
the whole event and computes the label, the sample marking, the resource line and the subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .patterns import (
    DEFAULT_EVENT_PATTERN_SIZE_LIMIT,
    MAX_EVENT_PATTERN_SIZE_LIMIT,
    FindingFilters,
    all_findings_pattern,
    band_pattern,
    band_range,
    bands_at_or_above,
    pattern_json,
    sample_pattern,
)
from .severity import Severity
from .templates import input_template, mail_lines, used_paths

__all__ = [
    "FORMATTER_RULE_KEY",
    "SAMPLE_RULE_KEY",
    "MailRule",
    "mail_rules",
    "pattern_size_limit_problem",
    "pattern_size_problem",
]

SAMPLE_RULE_KEY = "sample"
FORMATTER_RULE_KEY = "findings"


@dataclass(frozen=True)
class MailRule:
    """One EventBridge rule and its target: which findings (pattern) and what mail (paths + template).

    `band` is the severity band the rule mails, None for the sample rule and the formatter's rule (any band).
    `input_paths` and `input_template` are None when the target gets the whole event (the formatter).
    """

    key: str
    band: Severity | None
    event_pattern: dict[str, Any]
    description: str
    input_paths: dict[str, str] | None = None
    input_template: str | None = None

    @property
    def sample(self) -> bool:
        return self.key == SAMPLE_RULE_KEY

    def pattern_json(self) -> str:
        return pattern_json(self.event_pattern)


def _scores(band: Severity, threshold: float) -> str:
    scores = band_range(band, threshold)
    assert scores is not None
    low, high = scores
    return f"severity {low:g} and above" if high is None else f"severity {low:g} to below {high:g}"


def mail_rules(
    threshold: float, filters: FindingFilters | None = None, *, formatter: bool = False, partition: str = "aws"
) -> list[MailRule]:
    """Every rule needed to mail findings at or above `threshold` that pass `filters`, in a stable order; the
    mails link to the console of `partition`."""
    filters = filters or FindingFilters()
    if formatter:
        return [
            MailRule(
                key=FORMATTER_RULE_KEY,
                band=None,
                event_pattern=all_findings_pattern(threshold, filters),
                description=f"GuardDuty findings of severity {threshold:g} and above, to the subject formatter",
            )
        ]
    bands = bands_at_or_above(threshold)
    rules = []
    for band in bands:
        pattern = band_pattern(band, threshold, filters)
        assert pattern is not None  # bands_at_or_above lists only bands with scores at or above the threshold
        lines = mail_lines(band, partition=partition)
        rules.append(
            MailRule(
                key=band.name.lower(),
                band=band,
                event_pattern=pattern,
                description=f"GuardDuty {band.name} findings ({_scores(band, threshold)}), not samples",
                input_paths=used_paths(lines),
                input_template=input_template(lines),
            )
        )
    pattern = sample_pattern(threshold, filters)
    if pattern is not None:
        lines = mail_lines(None, sample_bands=bands, partition=partition)
        rules.append(
            MailRule(
                key=SAMPLE_RULE_KEY,
                band=None,
                event_pattern=pattern,
                description=f"GuardDuty sample findings of severity {threshold:g} and above, marked SAMPLE",
                input_paths=used_paths(lines),
                input_template=input_template(lines),
            )
        )
    return rules


def pattern_size_limit_problem(limit: object) -> str | None:
    """What is wrong with a declared event pattern size quota, or None."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        return f"{limit!r} is not an integer; allowed: {_LIMIT_ALLOWED}"
    if not DEFAULT_EVENT_PATTERN_SIZE_LIMIT <= limit <= MAX_EVENT_PATTERN_SIZE_LIMIT:
        return f"{limit} is not allowed; allowed: {_LIMIT_ALLOWED}"
    return None


_LIMIT_ALLOWED = (
    f"an integer from {DEFAULT_EVENT_PATTERN_SIZE_LIMIT} (EventBridge's default quota) to "
    f"{MAX_EVENT_PATTERN_SIZE_LIMIT} (its maximum): the account's 'Event pattern size' quota"
)


def pattern_size_problem(rules: Sequence[MailRule], limit: int, *, cause: str = "the finding types") -> str | None:
    """EventBridge refuses a rule whose pattern is over the size quota at apply: the problem in words, or None.

    Only the finding type and account filters make a pattern long (the rest is a few hundred characters); `cause`
    names the one that does ("the finding types", "the accounts"), and the message says what helps with it."""
    longest = max(rules, key=lambda rule: len(rule.pattern_json()), default=None)
    if longest is None or len(longest.pattern_json()) <= limit:
        return None
    remedy = (
        "fewer types, prefixes (Recon: or UnauthorizedAccess:EC2/) instead of many exact types"
        if cause == "the finding types"
        else "fewer accounts (each id costs 15 characters), the accounts split over two channels"
    )
    return (
        f"{cause} make rule {longest.key!r}'s event pattern {len(longest.pattern_json())} characters "
        f"long, over the limit of {limit} (EventBridge's event pattern size quota); allowed: {remedy}, or a raised "
        f"quota declared as the event pattern size limit (up to {MAX_EVENT_PATTERN_SIZE_LIMIT})"
    )

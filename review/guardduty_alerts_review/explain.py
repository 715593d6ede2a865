"""`main.py explain`: a compact table per stack of what the configuration mails, to whom, and what it suppresses."""

from __future__ import annotations

from collections.abc import Sequence

from guardduty_alerts.patterns import band_range, bands_at_or_above, type_matcher

from .alerting import StackAlerting

__all__ = ["explain"]


def _number(value: float) -> str:
    return f"{value:.1f}"


def explain(stacks: Sequence[StackAlerting]) -> str:
    """A table per stack: severities mailed, finding types, samples, occurrences, recipients, suppression."""
    return "\n\n".join(_table(alerting) for alerting in stacks)


def _table(alerting: StackAlerting) -> str:
    threshold = alerting.threshold
    filters = alerting.filters
    rules = alerting.mail_rules()
    bands = []
    for band in bands_at_or_above(threshold):
        scores = band_range(band, threshold)
        assert scores is not None
        low, high = scores
        bands.append(f"{band.name} {_number(low)}-{'10.0' if high is None else _number(high - 0.1)}")

    def describe(entries: tuple[str, ...]) -> str:
        return ", ".join(f"{text}*" if kind == "prefix" else text for kind, text in map(type_matcher, entries))

    if filters.include_types:
        types = "only " + describe(filters.include_types)
    elif filters.exclude_types:
        types = "all except " + describe(filters.exclude_types)
    else:
        types = "all"
    suppressed = "; ".join(
        f"{rule.name} ("
        + ", ".join(
            f"{field} {op.replace('_', ' ')} {value if not isinstance(value, list) else '|'.join(map(str, value))}"
            for field, conditions in sorted(rule.criteria.items())
            for op, value in sorted(conditions.items())
        )
        + ")"
        for rule in alerting.suppression_rules
    )
    rows = [
        ("severities mailed", ", ".join(bands) if bands else "none"),
        ("finding types", types),
        ("sample findings", "mailed, marked SAMPLE" if filters.samples.value == "deliver" else "dropped"),
        ("occurrences", "first only (service.count = 1)" if filters.new_only else "every occurrence"),
        ("recipients", ", ".join(alerting.recipients)),
        ("suppressed (archived)", suppressed or "nothing"),
        ("subject formatter", "on (Lambda publishes with a subject)" if alerting.subject_formatter else "off"),
        ("EventBridge rules", f"{len(rules)} ({', '.join(rule.key for rule in rules)})"),
    ]
    width = max(len(key) for key, _ in rows)
    lines = [f"stack {alerting.name} (region {alerting.region})"]
    lines += [f"  {key.ljust(width)}  {value}" for key, value in rows]
    return "\n".join(lines)

"""`main.py explain`: a compact table per stack of what the configuration mails, to whom, and what it suppresses."""

from __future__ import annotations

from .config import AlertsConfig
from .notifications import mail_rules
from .patterns import band_range, type_matcher
from .severity import parse_threshold

__all__ = ["explain"]


def _number(value: float) -> str:
    return f"{value:.1f}"


def explain(config: AlertsConfig) -> str:
    threshold = parse_threshold(config.severity_threshold)
    filters = config.filters
    rules = mail_rules(threshold, filters)
    bands = []
    for band in dict.fromkeys(rule.band for rule in rules):
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
        for rule in config.suppression_rules
    )
    rows = [
        ("severities mailed", ", ".join(bands) if bands else "none"),
        ("finding types", types),
        ("sample findings", "mailed, marked SAMPLE" if filters.samples.value == "deliver" else "dropped"),
        ("occurrences", "first only (service.count = 1)" if filters.new_only else "every occurrence"),
        ("recipients", ", ".join(config.recipients)),
        ("suppressed (archived)", suppressed or "nothing"),
        ("subject formatter", "on (Lambda publishes with a subject)" if config.subject_formatter else "off"),
        ("EventBridge rules", str(len(rules))),
    ]
    width = max(len(key) for key, _ in rows)
    lines = []
    for region in sorted(config.regions):
        lines.append(f"stack {config.stack_name(region)} (region {region})")
        lines += [f"  {key.ljust(width)}  {value}" for key, value in rows]
        lines.append("")
    return "\n".join(lines).rstrip("\n")

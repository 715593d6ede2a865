"""Severity algebra: which GuardDuty severity scores an EventBridge pattern selects, as a set of ranges, and
the set in words (bands and numbers)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from guardduty_alerts.severity import MAX_SEVERITY, MIN_SEVERITY, Severity

__all__ = [
    "SeveritySet",
    "UninterpretablePattern",
    "describe_severities",
    "join_words",
    "matcher_set",
    "number_text",
    "severity_filter",
    "threshold_label",
]


@dataclass(frozen=True)
class SeveritySet:
    """A set of GuardDuty severity scores within 1.0-10.0, as a membership test plus the points where it may
    change; set algebra and rendering look at the pieces between those points, which is exact for the
    finite unions of ranges and points that EventBridge numeric matching can express."""

    contains: Callable[[float], bool]
    edges: frozenset[float] = frozenset()

    @classmethod
    def empty(cls) -> SeveritySet:
        return cls(lambda _score: False)

    @classmethod
    def everything(cls) -> SeveritySet:
        return cls(lambda _score: True)

    def __or__(self, other: SeveritySet) -> SeveritySet:
        return SeveritySet(lambda s: self.contains(s) or other.contains(s), self.edges | other.edges)

    def __sub__(self, other: SeveritySet) -> SeveritySet:
        return SeveritySet(lambda s: self.contains(s) and not other.contains(s), self.edges | other.edges)

    def ranges(self) -> list[tuple[float, bool, float, bool]]:
        """Maximal ranges as (low, low included, high, high included), in order."""
        points = sorted({MIN_SEVERITY, MAX_SEVERITY} | {e for e in self.edges if MIN_SEVERITY < e < MAX_SEVERITY})
        # Elementary pieces: each edge point, and the open stretch up to the next one.
        pieces: list[tuple[float, float, bool]] = []  # (low, high, is_point)
        for index, point in enumerate(points):
            pieces.append((point, point, True))
            if index + 1 < len(points):
                pieces.append((point, points[index + 1], False))
        result: list[list[Any]] = []
        previous_included = False
        for low, high, is_point in pieces:
            included = self.contains(low if is_point else (low + high) / 2)
            if included and previous_included:
                result[-1][2:] = [high, is_point]
            elif included:
                result.append([low, is_point, high, is_point])
            previous_included = included
        return [(lo, lo_in, hi, hi_in) for lo, lo_in, hi, hi_in in result]

    def is_empty(self) -> bool:
        return not self.ranges()

    def same_as(self, other: SeveritySet) -> bool:
        return (self - other).is_empty() and (other - self).is_empty()

    def threshold(self) -> float | None:
        """The lowest score mailed when the set is "this score and above", else None."""
        ranges = self.ranges()
        if len(ranges) == 1:
            low, low_in, high, high_in = ranges[0]
            if low_in and high == MAX_SEVERITY and high_in:
                return low
        return None


_BANDS: tuple[tuple[Severity, SeveritySet], ...] = tuple(
    (
        band,
        SeveritySet(
            (lambda lo, hi: lambda s: lo <= s < hi or (hi == MAX_SEVERITY and s == hi))(band.floor, upper),
            frozenset({band.floor, upper}),
        ),
    )
    for band, upper in zip(Severity, [*(b.floor for b in list(Severity)[1:]), MAX_SEVERITY], strict=True)
)


def number_text(value: float) -> str:
    return f"{value:.1f}" if float(value) == round(value, 1) else f"{value:g}"


def _range_text(low: float, low_in: bool, high: float, high_in: bool) -> str:
    if low == high:
        return f"exactly {number_text(low)}"
    start = number_text(low) if low_in else f"above {number_text(low)}"
    end = number_text(high) if high_in else f"below {number_text(high)}"
    return f"{start} to {end}"


def join_words(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def describe_severities(severities: SeveritySet) -> str:
    """Plain words: 'HIGH and CRITICAL findings (severity 7.0 to 10.0)'; bands only partly covered say so."""
    ranges = severities.ranges()
    if not ranges:
        return "no findings"
    whole = [band.name for band, band_set in _BANDS if (band_set - severities).is_empty()]
    partial = [
        band.name
        for band, band_set in _BANDS
        if band.name not in whole and not (band_set - (band_set - severities)).is_empty()
    ]
    numbers = ", ".join(_range_text(*r) for r in ranges)
    if whole and not partial:
        return f"{join_words(whole)} findings (severity {numbers})"
    label = join_words([*whole, *(f"part of {name}" for name in partial)])
    return f"findings of severity {numbers} ({label})"


def threshold_label(score: float) -> str:
    band = Severity.of_score(score)
    if score == band.floor:
        return f"{band.name} ({number_text(score)})"
    return f"{number_text(score)} (within {band.name})"


class UninterpretablePattern(ValueError):
    """An event pattern uses matchers this summary does not evaluate."""


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": lambda s, v: s == v,
    ">": lambda s, v: s > v,
    ">=": lambda s, v: s >= v,
    "<": lambda s, v: s < v,
    "<=": lambda s, v: s <= v,
}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def matcher_set(matcher: object) -> SeveritySet:
    """Severity scores one element of an EventBridge pattern array matches (EventBridge ORs the elements)."""
    if _is_number(matcher):
        value = float(matcher)  # type: ignore[arg-type]
        return SeveritySet(lambda s: s == value, frozenset({value}))
    if isinstance(matcher, Mapping) and len(matcher) == 1:
        ((kind, argument),) = matcher.items()
        if kind == "numeric" and isinstance(argument, list) and len(argument) in (2, 4):
            pairs = [(argument[i], argument[i + 1]) for i in range(0, len(argument), 2)]
            if all(op in _COMPARE and _is_number(v) for op, v in pairs):
                conditions = [(_COMPARE[op], float(v)) for op, v in pairs]
                return SeveritySet(
                    lambda s: all(test(s, v) for test, v in conditions), frozenset(v for _, v in conditions)
                )
        if kind == "exists" and argument is True:
            return SeveritySet.everything()
        if kind == "anything-but" and (_is_number(argument) or isinstance(argument, list)):
            values = [argument] if _is_number(argument) else argument
            if all(_is_number(v) for v in values):
                excluded = frozenset(float(v) for v in values)
                return SeveritySet(lambda s: s not in excluded, excluded)
    raise UninterpretablePattern(json.dumps(matcher, sort_keys=True))


def severity_filter(pattern: Mapping[str, Any]) -> SeveritySet:
    """The severity scores an event pattern lets through, ignoring every other condition."""
    detail = pattern.get("detail")
    matchers = detail.get("severity") if isinstance(detail, Mapping) else None
    if matchers is None:
        return SeveritySet.everything()
    if not isinstance(matchers, list):
        raise UninterpretablePattern(json.dumps(matchers, sort_keys=True))
    result = SeveritySet.empty()
    for matcher in matchers:
        result = result | matcher_set(matcher)
    return result

"""Event-pattern algebra: which severities an EventBridge pattern selects, as a set of ranges, in words."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from guardduty_alerts.patterns import FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE
from guardduty_alerts.severity import MAX_SEVERITY, MIN_SEVERITY, Severity


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


def _number(value: float) -> str:
    return f"{value:.1f}" if float(value) == round(value, 1) else f"{value:g}"


def _range_text(low: float, low_in: bool, high: float, high_in: bool) -> str:
    if low == high:
        return f"exactly {_number(low)}"
    start = _number(low) if low_in else f"above {_number(low)}"
    end = _number(high) if high_in else f"below {_number(high)}"
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
        return f"{band.name} ({_number(score)})"
    return f"{_number(score)} (within {band.name})"


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


def _matcher_set(matcher: object) -> SeveritySet:
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
        result = result | _matcher_set(matcher)
    return result


def is_finding_pattern(pattern: object) -> bool:
    """Whether an event pattern selects GuardDuty findings (source aws.guardduty, finding detail type)."""
    if not isinstance(pattern, Mapping):
        return False
    sources = pattern.get("source")
    detail_types = pattern.get("detail-type")
    return (
        isinstance(sources, list)
        and GUARDDUTY_SOURCE in sources
        and (detail_types is None or (isinstance(detail_types, list) and FINDING_DETAIL_TYPE in detail_types))
    )


# Conditions the summary reads itself (severity, type, occurrence, sample flag); `detail.resource` conditions
# split findings between rules by resource shape (analysis.py checks they only partition).
_READ_KEYS = (
    "source",
    "detail-type",
    "detail.severity",
    "detail.type",
    "detail.service.count",
    "detail.service.additionalInfo.sample",
)
RESOURCE_PREFIX = "detail.resource"


def flat_conditions(pattern: Mapping[str, Any]) -> dict[str, Any]:
    """Every condition of a pattern as key path -> its matcher list (`detail.service.count` -> [...])."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, Mapping):
            for key in sorted(value):
                walk(f"{prefix}.{key}" if prefix else key, value[key])
        else:
            flat[prefix] = value

    walk("", pattern)
    return flat


def other_conditions(pattern: Mapping[str, Any]) -> dict[str, Any]:
    """The conditions this summary does not read itself, except those on the resource (shape conditions)."""
    return {
        key: value
        for key, value in flat_conditions(pattern).items()
        if key not in _READ_KEYS and not key.startswith(RESOURCE_PREFIX)
    }


def resource_conditions(pattern: Mapping[str, Any]) -> str:
    """The pattern's conditions on `detail.resource`, as canonical text to compare rules by ("" for none)."""
    found = {k: v for k, v in flat_conditions(pattern).items() if k.startswith(RESOURCE_PREFIX)}
    return json.dumps(found, sort_keys=True) if found else ""


# --- finding types -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeSelection:
    """The finding types a pattern lets through: every type, only `include`, or every type but `exclude`.

    Entries are exact types (`UnauthorizedAccess:EC2/TorClient`) or prefixes written with a star (`Recon:*`),
    as a reviewer reads them.
    """

    include: frozenset[str] | None = None
    exclude: frozenset[str] = frozenset()

    @property
    def every_type(self) -> bool:
        return self.include is None and not self.exclude

    def phrase(self) -> str:
        """' of every type except Recon:*' / ' of types Recon:* and X only' / '' (every type)."""
        if self.include is not None:
            return f" of {_types_noun(self.include)} {join_types(self.include)} only"
        if self.exclude:
            return f" of every type except {join_types(self.exclude)}"
        return ""


def _types_noun(entries: frozenset[str] | set[str]) -> str:
    return "type" if len(entries) == 1 else "types"


def join_types(entries: frozenset[str] | set[str]) -> str:
    return join_words(sorted(entries))


def covers(entry: str, other: str) -> bool:
    """Whether type entry `entry` selects every type `other` selects (a prefix covers what starts with it)."""
    if entry == other:
        return True
    return entry.endswith("*") and other.removesuffix("*").startswith(entry[:-1])


def _type_entry(matcher: object, *, negated: bool = False) -> list[str]:
    if isinstance(matcher, str):
        return [matcher]
    if isinstance(matcher, Mapping) and len(matcher) == 1:
        ((kind, argument),) = matcher.items()
        if kind == "prefix" and isinstance(argument, str):
            return [f"{argument}*"]
        if negated and kind == "wildcard" and isinstance(argument, (str, list)):
            wildcards = [argument] if isinstance(argument, str) else argument
            # Only "text" and "text*" read as types and prefixes; other wildcards are not type entries.
            if all(isinstance(w, str) and "*" not in w.removesuffix("*") for w in wildcards):
                return list(wildcards)
    raise UninterpretablePattern("type")


def type_selection(pattern: Mapping[str, Any]) -> TypeSelection:
    """The `detail.type` condition of a pattern as a TypeSelection; UninterpretablePattern for other matchers."""
    detail = pattern.get("detail")
    matchers = detail.get("type") if isinstance(detail, Mapping) else None
    if matchers is None:
        return TypeSelection()
    if not isinstance(matchers, list) or not matchers:
        raise UninterpretablePattern("type")
    if len(matchers) == 1 and isinstance(matchers[0], Mapping) and set(matchers[0]) == {"anything-but"}:
        argument = matchers[0]["anything-but"]
        values = argument if isinstance(argument, list) else [argument]
        excluded = [entry for value in values for entry in _type_entry(value, negated=True)]
        return TypeSelection(exclude=frozenset(excluded))
    return TypeSelection(include=frozenset(entry for m in matchers for entry in _type_entry(m)))


# --- sample findings and repeat occurrences --------------------------------------------------------------

SAMPLE, NOT_SAMPLE = "sample", "not sample"


def sample_kinds(pattern: Mapping[str, Any]) -> frozenset[str]:
    """Whether a pattern lets sample findings (`service.additionalInfo.sample` true), real ones, or both through."""
    matchers = flat_conditions(pattern).get("detail.service.additionalInfo.sample")
    if matchers is None:
        return frozenset({SAMPLE, NOT_SAMPLE})
    if not isinstance(matchers, list):
        raise UninterpretablePattern("sample flag")
    kinds: set[str] = set()
    for matcher in matchers:
        if matcher is True:
            kinds.add(SAMPLE)
        elif matcher is False or matcher == {"exists": False}:
            kinds.add(NOT_SAMPLE)
        elif matcher == {"exists": True}:
            kinds |= {SAMPLE, NOT_SAMPLE}
        else:
            raise UninterpretablePattern("sample flag")
    return frozenset(kinds)


EVERY_OCCURRENCE, FIRST_OCCURRENCE = "every occurrence", "first occurrence only"


def occurrences(pattern: Mapping[str, Any]) -> str:
    """EVERY_OCCURRENCE or FIRST_OCCURRENCE (`service.count` = 1: GuardDuty counts a finding's repeats)."""
    matchers = flat_conditions(pattern).get("detail.service.count")
    if matchers is None:
        return EVERY_OCCURRENCE
    if not isinstance(matchers, list):
        raise UninterpretablePattern("occurrence count")
    counts = SeveritySet.empty()
    for matcher in matchers:
        counts = counts | _matcher_set(matcher)
    if counts.contains(1.0) and counts.contains(2.0) and counts.contains(1000.0):
        return EVERY_OCCURRENCE
    if counts.contains(1.0) and not any(counts.contains(float(n)) for n in (2, 3, 10, 1000)):
        return FIRST_OCCURRENCE
    raise UninterpretablePattern("occurrence count")


# --- any other condition, in words ---------------------------------------------------------------------------


def describe_condition(matchers: object) -> str:
    """An EventBridge condition (its matcher list) in words: 'is one of A or B', 'starts with X', 'exists'."""
    if not isinstance(matchers, list):
        return "uses a matcher this summary does not read"
    parts = [_matcher_words(m) for m in matchers]
    return " or ".join(parts) if parts else "matches nothing"


def _matcher_words(matcher: object) -> str:
    if isinstance(matcher, (str, int, float, bool)) or matcher is None:
        return f"is {_value_words(matcher)}"
    if isinstance(matcher, Mapping) and len(matcher) == 1:
        ((kind, argument),) = matcher.items()
        if kind == "exists":
            return "is present" if argument else "is absent"
        if kind == "prefix" and isinstance(argument, str):
            return f"starts with {argument}"
        if kind == "suffix" and isinstance(argument, str):
            return f"ends with {argument}"
        if kind == "wildcard" and isinstance(argument, str):
            return f"matches {argument}"
        if kind == "equals-ignore-case" and isinstance(argument, str):
            return f"is {argument} (any case)"
        if kind == "numeric" and isinstance(argument, list):
            pairs = [(argument[i], argument[i + 1]) for i in range(0, len(argument) - 1, 2)]
            return " and ".join(f"{op} {_value_words(value)}" for op, value in pairs)
        if kind == "anything-but":
            inner = argument if isinstance(argument, list) else [argument]
            words = [_matcher_words(v) if isinstance(v, Mapping) else f"is {_value_words(v)}" for v in inner]
            return "not (" + " or ".join(words) + ")"
    return "uses a matcher this summary does not read"


def _value_words(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return _number(float(value)) if not float(value).is_integer() else str(int(value))
    return str(value)

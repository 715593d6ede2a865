"""The EventBridge event patterns that select GuardDuty findings worth a mail, built as Python data."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .severity import MAX_SEVERITY, Severity
from .templates import OTHER_SHAPE, RESOURCE_SHAPES, SAMPLE_SHAPE, MailShape

__all__ = [
    "FINDING_DETAIL_TYPE",
    "GUARDDUTY_SOURCE",
    "FindingFilters",
    "SampleHandling",
    "band_pattern",
    "band_range",
    "bands_at_or_above",
    "finding_event_pattern",
    "type_matcher",
]

GUARDDUTY_SOURCE = "aws.guardduty"
# GuardDuty also emits other detail types under its source (CloudTrail records of its API calls, runtime
# agent health, malware scan results); only this one is a finding.
FINDING_DETAIL_TYPE = "GuardDuty Finding"


def _json_number(value: float) -> int | float:
    # 4 rather than 4.0: the pattern reads like the one the console writes; EventBridge compares numerically.
    return int(value) if float(value).is_integer() else value


def finding_event_pattern(threshold: float) -> dict[str, Any]:
    """Pattern matching GuardDuty findings whose severity is at least `threshold`."""
    return {
        "source": [GUARDDUTY_SOURCE],
        "detail-type": [FINDING_DETAIL_TYPE],
        "detail": {"severity": [{"numeric": [">=", _json_number(threshold)]}]},
    }


class SampleHandling(enum.Enum):
    """What to do with sample findings (`detail.service.additionalInfo.sample` true)."""

    DELIVER = "deliver"  # mailed, marked as samples: GuardDuty's "Generate sample findings" tests the path
    DROP = "drop"


@dataclass(frozen=True)
class FindingFilters:
    """Which findings are mailed, beyond severity. Type entries ending in ':', '/' or '*' are prefixes."""

    include_types: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()
    samples: SampleHandling = SampleHandling.DELIVER
    new_only: bool = False


def type_matcher(entry: str) -> tuple[str, str]:
    """("prefix", text) or ("exact", text) for one finding-type filter entry."""
    if entry.endswith("*"):
        return ("prefix", entry[:-1])
    if entry.endswith((":", "/")):
        return ("prefix", entry)
    return ("exact", entry)


def _include_condition(entries: Sequence[str]) -> list[Any]:
    condition: list[Any] = []
    for kind, text in map(type_matcher, entries):
        condition.append({"prefix": text} if kind == "prefix" else text)
    return condition


def _exclude_condition(entries: Sequence[str]) -> list[Any]:
    matchers = [type_matcher(entry) for entry in entries]
    exact = [text for kind, text in matchers if kind == "exact"]
    prefixes = [text for kind, text in matchers if kind == "prefix"]
    if not prefixes:
        return [{"anything-but": sorted(exact)}]
    if len(prefixes) == 1 and not exact:
        return [{"anything-but": {"prefix": prefixes[0]}}]
    # Several exclusions of mixed kinds in one condition: EventBridge's wildcard form of anything-but.
    wildcards = sorted([text for text in exact] + [f"{text}*" for text in prefixes])
    return [{"anything-but": {"wildcard": wildcards}}]


def bands_at_or_above(threshold: float) -> list[Severity]:
    """The bands that hold at least one score >= threshold (5.5 gives MEDIUM, HIGH, CRITICAL)."""
    return [band for band in Severity if band_range(band, threshold) is not None]


def band_range(band: Severity, threshold: float) -> tuple[float, float | None] | None:
    """[low, high) of the scores in `band` that are >= threshold; high None for the top band; None if empty."""
    members = list(Severity)
    index = members.index(band)
    upper = members[index + 1].floor if index + 1 < len(members) else None
    lower = max(band.floor, threshold)
    if upper is not None and lower >= upper:
        return None
    if upper is None and lower > MAX_SEVERITY:
        return None
    return (lower, upper)


def _required_leaf(path: str) -> dict[str, Any]:
    # "$.detail.resource.instanceDetails.instanceId" -> {"resource": {"instanceDetails": {"instanceId": ...}}}
    keys = path.removeprefix("$.detail.").split(".")
    node: dict[str, Any] = {keys[-1]: [{"exists": True}]}
    for key in reversed(keys[:-1]):
        node = {key: node}
    return node


def _missing_leaf(path: str) -> dict[str, Any]:
    keys = path.removeprefix("$.detail.resource.").split(".")
    node: dict[str, Any] = {keys[-1]: [{"exists": False}]}
    for key in reversed(keys[:-1]):
        node = {key: node}
    return node


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def shape_condition(shape: MailShape) -> dict[str, Any]:
    """Conditions under `detail` that send a finding to this shape's rule and to no other shape's."""
    if shape.sample:
        return {"service": {"additionalInfo": {"sample": [True]}}}
    not_sample = {"service": {"additionalInfo": {"sample": [False, {"exists": False}]}}}
    if shape.resource_type is not None:
        condition: dict[str, Any] = {"resource": {"resourceType": [shape.resource_type]}}
        paths = shape.path_map()
        for name in shape.required:
            _merge(condition, _required_leaf(paths[name]))
        _merge(condition, not_sample)
        return condition
    # The complement of every resource shape: another type, or a known type missing an identifying field.
    branches: list[dict[str, Any]] = [
        {"resourceType": [{"anything-but": sorted(s.resource_type for s in RESOURCE_SHAPES if s.resource_type)}]}
    ]
    for known in RESOURCE_SHAPES:
        paths = known.path_map()
        for name in known.required:
            branches.append({"resourceType": [known.resource_type], **_missing_leaf(paths[name])})
    return {"resource": {"$or": branches}, **not_sample}


def band_pattern(
    band: Severity, threshold: float, shape: MailShape, filters: FindingFilters | None = None
) -> dict[str, Any] | None:
    """Pattern for the findings of one band (at or above threshold) and one mail shape; None if none can match."""
    filters = filters or FindingFilters()
    scores = band_range(band, threshold)
    if scores is None or (shape.sample and filters.samples is SampleHandling.DROP):
        return None
    lower, upper = scores
    numeric: list[Any] = [">=", _json_number(lower)]
    if upper is not None:
        numeric += ["<", _json_number(upper)]
    detail: dict[str, Any] = {"severity": [{"numeric": numeric}]}
    _merge(detail, shape_condition(shape))
    if filters.include_types:
        detail["type"] = _include_condition(filters.include_types)
    elif filters.exclude_types:
        detail["type"] = _exclude_condition(filters.exclude_types)
    if filters.new_only:
        # GuardDuty publishes a finding again each time it recurs, with service.count raised; 1 is the first.
        _merge(detail, {"service": {"count": [{"numeric": ["=", 1]}]}})
    return {"source": [GUARDDUTY_SOURCE], "detail-type": [FINDING_DETAIL_TYPE], "detail": detail}


ALL_SHAPES: tuple[MailShape, ...] = (*RESOURCE_SHAPES, OTHER_SHAPE, SAMPLE_SHAPE)

"""The EventBridge event patterns that select GuardDuty findings worth a mail, built as Python data."""

from __future__ import annotations

import copy
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .accounts import ACCOUNT_ID_PATTERN
from .severity import MAX_SEVERITY, Severity

__all__ = [
    "DEFAULT_EVENT_PATTERN_SIZE_LIMIT",
    "FINDING_DETAIL_TYPE",
    "GUARDDUTY_SOURCE",
    "MAX_EVENT_PATTERN_SIZE_LIMIT",
    "FindingFilters",
    "SampleHandling",
    "account_filter_problems",
    "all_findings_pattern",
    "band_pattern",
    "band_range",
    "bands_at_or_above",
    "exclusion_uses_wildcard",
    "finding_event_pattern",
    "pattern_json",
    "sample_pattern",
    "type_matcher",
]

GUARDDUTY_SOURCE = "aws.guardduty"
# GuardDuty also emits other detail types under its source (CloudTrail records of its API calls, runtime
# agent health, malware scan results); only this one is a finding.
FINDING_DETAIL_TYPE = "GuardDuty Finding"
# EventBridge's "Event pattern size" quota: 2,048 characters by default, adjustable up to 4,096.
DEFAULT_EVENT_PATTERN_SIZE_LIMIT = 2048
MAX_EVENT_PATTERN_SIZE_LIMIT = 4096


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
    """Which findings are mailed, beyond severity. Type entries ending in ':', '/' or '*' are prefixes.

    :param include_types: mail only these finding types. Default: every type.
    :param exclude_types: never mail these finding types (not together with include_types). Default: none.
    :param samples: sample findings mailed marked SAMPLE (DELIVER) or not at all (DROP). Default: DELIVER.
    :param new_only: mail only a finding's first occurrence (service.count = 1). Default: every occurrence.
    :param accounts: mail only findings of these account ids (`detail.accountId`, the account the finding is
        about: in a GuardDuty administrator account, the member's). Default: findings of every account.
    :param exclude_accounts: never mail findings of these account ids (not together with accounts). Default:
        none.
    """

    include_types: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()
    samples: SampleHandling = SampleHandling.DELIVER
    new_only: bool = False
    accounts: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # One account set, one value: channels that list the same accounts in another order share their rules
        # (and never get two groups of one name).
        for name in ("accounts", "exclude_accounts"):
            value = getattr(self, name)
            if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
                object.__setattr__(self, name, tuple(sorted(value)))


def account_filter_problems(filters: FindingFilters) -> list[tuple[str, str]]:
    """(field, problem) for each thing wrong with the filters' account lists: ids are 12-digit strings (leading
    zeros kept), each once, and only one of the two lists is set."""
    problems = []
    if filters.accounts and filters.exclude_accounts:
        problems.append(("accounts", "both accounts and exclude_accounts are set; allowed: one of them"))
    for name in ("accounts", "exclude_accounts"):
        value = getattr(filters, name)
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            problems.append((name, f"{value!r} is not a list; allowed: a list of 12-digit account ids"))
            continue
        seen: set[object] = set()
        for index, item in enumerate(value):
            if not isinstance(item, str) or not ACCOUNT_ID_PATTERN.fullmatch(item):
                problems.append((f"{name}[{index}]", f"{item!r} is not an account id; allowed: 12 digits, as a string"))
            elif item in seen:
                problems.append((f"{name}[{index}]", f"{item!r} is listed twice; allowed: each account once"))
            seen.add(item)
    return problems


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


def exclusion_uses_wildcard(entries: Sequence[str]) -> bool:
    """Whether excluding `entries` takes EventBridge's wildcard form of anything-but: more than one prefix, or
    a prefix together with exact types."""
    return any("wildcard" in condition.get("anything-but", {}) for condition in _exclude_condition(entries))


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


# Real findings only: a sample finding carries `service.additionalInfo.sample: true`; others have false or
# no such key.
_NOT_SAMPLE: dict[str, Any] = {"service": {"additionalInfo": {"sample": [False, {"exists": False}]}}}
_SAMPLE: dict[str, Any] = {"service": {"additionalInfo": {"sample": [True]}}}


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _pattern(numeric: list[Any], condition: dict[str, Any] | None, filters: FindingFilters) -> dict[str, Any]:
    detail: dict[str, Any] = {"severity": [{"numeric": numeric}]}
    if condition:
        # A copy: _merge links nested dicts into `detail`, and later merges must not reach the shared constant.
        _merge(detail, copy.deepcopy(condition))
    if filters.include_types:
        detail["type"] = _include_condition(filters.include_types)
    elif filters.exclude_types:
        detail["type"] = _exclude_condition(filters.exclude_types)
    if filters.accounts:
        # detail.accountId, not the envelope's `account`: in a GuardDuty administrator account every member's
        # finding arrives on the administrator's bus with `account` the administrator's and `detail.accountId`
        # the member's (GuardDuty user guide, "Processing GuardDuty findings with Amazon EventBridge"; a central
        # inbox forwards the event unchanged). Sorted: the same accounts in any order give the same rule.
        detail["accountId"] = sorted(filters.accounts)
    elif filters.exclude_accounts:
        detail["accountId"] = [{"anything-but": sorted(filters.exclude_accounts)}]
    if filters.new_only:
        # GuardDuty publishes a finding again each time it recurs, with service.count raised; 1 is the first.
        _merge(detail, {"service": {"count": [{"numeric": ["=", 1]}]}})
    return {"source": [GUARDDUTY_SOURCE], "detail-type": [FINDING_DETAIL_TYPE], "detail": detail}


def band_pattern(band: Severity, threshold: float, filters: FindingFilters | None = None) -> dict[str, Any] | None:
    """Real (not sample) findings of one band, at or above `threshold`; None if the band is below it."""
    scores = band_range(band, threshold)
    if scores is None:
        return None
    lower, upper = scores
    numeric: list[Any] = [">=", _json_number(lower)]
    if upper is not None:
        numeric += ["<", _json_number(upper)]
    return _pattern(numeric, _NOT_SAMPLE, filters or FindingFilters())


def sample_pattern(threshold: float, filters: FindingFilters | None = None) -> dict[str, Any] | None:
    """Sample findings at or above `threshold`, whatever their band; None when samples are dropped."""
    filters = filters or FindingFilters()
    if filters.samples is SampleHandling.DROP:
        return None
    return _pattern([">=", _json_number(threshold)], _SAMPLE, filters)


def all_findings_pattern(threshold: float, filters: FindingFilters | None = None) -> dict[str, Any]:
    """Every finding at or above `threshold` that passes the filters: the formatter's one rule."""
    filters = filters or FindingFilters()
    return _pattern(
        [">=", _json_number(threshold)], _NOT_SAMPLE if filters.samples is SampleHandling.DROP else None, filters
    )


def pattern_json(pattern: dict[str, Any]) -> str:
    """The pattern as EventBridge receives it: sorted keys, no spaces (what counts against its size quota)."""
    return json.dumps(pattern, sort_keys=True, separators=(",", ":"))

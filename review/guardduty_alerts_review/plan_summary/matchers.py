"""Event-pattern reading beyond severities: whether a pattern selects GuardDuty findings, its finding types,
sample findings and repeat occurrences, and any other condition in words. The severity algebra is in
severities.py (re-exported here: the summary's modules import both from one place)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from guardduty_alerts.patterns import FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE

from .severities import (
    SeveritySet,
    UninterpretablePattern,
    describe_severities,
    join_words,
    matcher_set,
    number_text,
    severity_filter,
    threshold_label,
)

__all__ = [
    "EVERY_ACCOUNT",
    "EVERY_OCCURRENCE",
    "FIRST_OCCURRENCE",
    "NOT_SAMPLE",
    "RESOURCE_PREFIX",
    "SAMPLE",
    "AccountSelection",
    "SeveritySet",
    "TypeSelection",
    "UninterpretablePattern",
    "account_selection",
    "covers",
    "describe_condition",
    "describe_severities",
    "flat_conditions",
    "is_finding_pattern",
    "join_types",
    "join_words",
    "occurrences",
    "other_conditions",
    "resource_conditions",
    "sample_kinds",
    "severity_filter",
    "threshold_label",
    "type_selection",
]


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
    """The conditions this summary does not read itself, except those on the resource (shape conditions). An
    account condition as the construct writes it is read per destination (account_routes.py); any other is
    said here."""
    try:
        account_selection(pattern)
        read = (*_READ_KEYS, ACCOUNT_KEY)
    except UninterpretablePattern:
        read = _READ_KEYS
    return {
        key: value
        for key, value in flat_conditions(pattern).items()
        if key not in read and not key.startswith(RESOURCE_PREFIX)
    }


def resource_conditions(pattern: Mapping[str, Any]) -> str:
    """The pattern's conditions on `detail.resource`, as canonical text to compare rules by ("" for none)."""
    found = {k: v for k, v in flat_conditions(pattern).items() if k.startswith(RESOURCE_PREFIX)}
    return json.dumps(found, sort_keys=True) if found else ""


# --- accounts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSelection:
    """Whose findings a pattern lets through (`detail.accountId`): only `only`, or every account but `excluded`."""

    only: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()

    def admits(self, account_id: str | None) -> bool:
        """None stands for an account no pattern names."""
        if self.only is not None:
            return account_id in self.only
        return account_id not in self.excluded

    def __or__(self, other: AccountSelection) -> AccountSelection:
        """The accounts either lets through (a destination fed by two rules gets what either sends)."""
        if self.only is not None and other.only is not None:
            return AccountSelection(only=self.only | other.only)
        if self.only is None and other.only is None:
            return AccountSelection(excluded=self.excluded & other.excluded)
        listed, excluded = (self.only, other.excluded) if self.only is not None else (other.only, self.excluded)
        assert listed is not None
        return AccountSelection(excluded=excluded - listed)

    def named(self) -> frozenset[str]:
        return (self.only or frozenset()) | self.excluded


EVERY_ACCOUNT = AccountSelection()
ACCOUNT_KEY = "detail.accountId"


def account_selection(pattern: Mapping[str, Any]) -> AccountSelection:
    """The accounts a pattern selects: a list of ids, or one anything-but of ids (what the construct writes);
    UninterpretablePattern for any other matcher."""
    detail = pattern.get("detail")
    condition = detail.get("accountId") if isinstance(detail, Mapping) else None
    if condition is None:
        return EVERY_ACCOUNT
    if isinstance(condition, list) and all(isinstance(value, str) for value in condition):
        return AccountSelection(only=frozenset(condition))
    if (
        isinstance(condition, list)
        and len(condition) == 1
        and isinstance(condition[0], Mapping)
        and isinstance(condition[0].get("anything-but"), list)
        and all(isinstance(value, str) for value in condition[0]["anything-but"])
    ):
        return AccountSelection(excluded=frozenset(condition[0]["anything-but"]))
    raise UninterpretablePattern(f"account condition {json.dumps(condition, sort_keys=True)}")


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
        counts = counts | matcher_set(matcher)
    # Counts are whole numbers from 1 up, and whether one passes can change only at a matcher's numbers: 1, 2
    # (the repeats that share a stretch with 1), each such number and the whole count just past it stand for
    # every count. Fixed sample counts missed conditions such as "1 or above 1000" (read as first only).
    probes = {1, 2} | {n for edge in counts.edges for n in (math.floor(edge), math.floor(edge) + 1) if n >= 1}
    passing = {n for n in probes if counts.contains(float(n))}
    if passing == probes:
        return EVERY_OCCURRENCE
    if passing == {1}:
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
        return number_text(float(value)) if not float(value).is_integer() else str(int(value))
    return str(value)

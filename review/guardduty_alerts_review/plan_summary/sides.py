"""The two sides of a stack's plan (before and after it is applied): which enabled rules mail which findings,
read from their event patterns, where each rule delivers, and the email recipients."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from guardduty_alerts.accounts import AccountNames

from .destinations import Deliveries, Destination, RuleReach
from .matchers import (
    EVERY_ACCOUNT,
    EVERY_OCCURRENCE,
    NOT_SAMPLE,
    SAMPLE,
    AccountSelection,
    SeveritySet,
    TypeSelection,
    UninterpretablePattern,
    account_selection,
    describe_condition,
    is_finding_pattern,
    occurrences,
    other_conditions,
    resource_conditions,
    sample_kinds,
    severity_filter,
    type_selection,
)
from .model import Change

__all__ = ["EMAIL_PROTOCOLS", "VARIES", "Mailed", "Rule", "rule_pattern"]

EMAIL_PROTOCOLS = ("email", "email-json")


def rule_pattern(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    text = values.get("event_pattern") if values else None
    if not isinstance(text, str):
        return None
    try:
        pattern = json.loads(text)
    except json.JSONDecodeError:
        return None
    return pattern if is_finding_pattern(pattern) else None


def _rule_enabled(values: Mapping[str, Any]) -> bool:
    return values.get("state") != "DISABLED" and values.get("is_enabled") is not False


def _forwards_only(rule_name: object, changes: list[Change], *, after: bool) -> bool:
    """A rule whose every target is another event bus (a central inbox) mails nothing from this stack."""
    arns = [
        c.value("arn", after=after)
        for c in changes
        if c.type == "aws_cloudwatch_event_target" and c.value("rule", after=after) == rule_name
    ]
    return bool(arns) and all(isinstance(a, str) and ":event-bus/" in a for a in arns)


@dataclass(frozen=True)
class Rule:
    """One enabled EventBridge rule that mails findings, read from its pattern."""

    address: str
    label: str
    pattern: dict[str, Any]
    severities: SeveritySet
    kinds: frozenset[str]  # SAMPLE and/or NOT_SAMPLE findings
    types: TypeSelection | None  # None: a type condition this summary cannot read
    occurrence: str | None  # None: an occurrence condition this summary cannot read
    others: tuple[tuple[str, str], ...]  # other conditions, in words
    resource: str  # its resource conditions, canonical


def _read_rule(change: Change, pattern: dict[str, Any], severities: SeveritySet) -> tuple[Rule, list[str]]:
    unreadable = []
    try:
        kinds = sample_kinds(pattern)
    except UninterpretablePattern:
        kinds = frozenset({SAMPLE, NOT_SAMPLE})
        unreadable.append(f"{change.label()} (its sample-finding condition)")
    try:
        types: TypeSelection | None = type_selection(pattern)
    except UninterpretablePattern:
        types = None
        unreadable.append(f"{change.label()} (its finding-type condition)")
    try:
        occurrence: str | None = occurrences(pattern)
    except UninterpretablePattern:
        occurrence = None
        unreadable.append(f"{change.label()} (its occurrence-count condition)")
    others = tuple((key, describe_condition(value)) for key, value in sorted(other_conditions(pattern).items()))
    rule = Rule(
        change.address,
        change.label(),
        pattern,
        severities,
        kinds,
        types,
        occurrence,
        others,
        resource_conditions(pattern),
    )
    return rule, unreadable


def _read_rules(changes: list[Change], *, after: bool) -> tuple[dict[str, Rule], dict[str, str], list[str]]:
    """The enabled rules of one side that select GuardDuty findings and do not only forward them, by address;
    their names; and what this summary cannot read of them."""
    rules: dict[str, Rule] = {}
    names: dict[str, str] = {}
    unreadable: list[str] = []
    for change in changes:
        values = change.after if after else change.before
        if change.type != "aws_cloudwatch_event_rule" or values is None:
            continue
        if after and "event_pattern" in change.after_unknown and change.after_unknown["event_pattern"]:
            unreadable.append(f"{change.label()} (its event pattern is known only after apply)")
            continue
        pattern = rule_pattern(values)
        if pattern is None or not _rule_enabled(values) or _forwards_only(values.get("name"), changes, after=after):
            continue
        try:
            severities = severity_filter(pattern)
        except UninterpretablePattern:
            unreadable.append(f"{change.label()} (its severity condition)")
            continue
        rule, not_read = _read_rule(change, pattern, severities)
        rules[change.address] = rule
        names[change.address] = str(values.get("name"))
        unreadable += not_read
    return rules, names, unreadable


class Mailed:
    """What one side (before or after) of a stack's plan mails: severities, finding types, occurrences, sample
    findings and other conditions, read from every enabled rule that selects GuardDuty findings (whatever the
    rules are called or how many there are), and the recipients."""

    def __init__(
        self,
        changes: list[Change],
        *,
        after: bool,
        references: Mapping[str, Mapping[str, list[str]]] | None = None,
        account_names: AccountNames = MappingProxyType({}),
    ) -> None:
        self.rules, names, self.unreadable = _read_rules(changes, after=after)
        # Where each rule delivers; rules that only feed channels (chat, webhooks, queues) do not mail.
        reaches = {names[a]: RuleReach(r.severities, r.kinds, _accounts_of(r.pattern)) for a, r in self.rules.items()}
        self.deliveries = Deliveries(changes, references or {}, reaches, after=after, account_names=account_names)
        self.destinations: dict[tuple[str, str], Destination] = self.deliveries.destinations
        self.rules = {a: r for a, r in self.rules.items() if not self.deliveries.channel_only(names[a])}
        real = [r for r in self.rules.values() if NOT_SAMPLE in r.kinds]
        samples = [r for r in self.rules.values() if SAMPLE in r.kinds]
        # Findings GuardDuty raises (not its sample findings) decide the severities mailed.
        self.severities = _union(r.severities for r in real)
        self.sample_severities = _union(r.severities for r in samples)
        self.mails_samples = not self.sample_severities.is_empty()
        self.types = _uniform(r.types for r in real)
        self.occurrence = _uniform(r.occurrence for r in real)
        self.others = _other_conditions(real)
        self.recipients = sorted(
            {
                str(values["endpoint"])
                for c in changes
                if c.type == "aws_sns_topic_subscription"
                and (values := (c.after if after else c.before))
                and values.get("protocol") in EMAIL_PROTOCOLS
                and values.get("endpoint")
            },
            key=str.lower,
        )
        self.suppression = sorted(
            str(values.get("name") or c.address)
            for c in changes
            if c.type == "aws_guardduty_filter"
            and (values := (c.after if after else c.before))
            and values.get("action") == "ARCHIVE"
        )

    def covers(self, rule: Rule) -> bool:
        """Whether the rules on this side still mail everything `rule` mailed."""
        if NOT_SAMPLE in rule.kinds:
            if not (rule.severities - self.severities).is_empty():
                return False
            if self.types not in (rule.types, TypeSelection()):
                return False
            if self.occurrence not in (EVERY_OCCURRENCE, rule.occurrence):
                return False
        return SAMPLE not in rule.kinds or (rule.severities - self.sample_severities).is_empty()


# Marks a setting that differs between the rules of one side (cannot be said as one setting).
VARIES: Any = object()


def _union(sets: Any) -> SeveritySet:
    result = SeveritySet.empty()
    for severities in sets:
        result = result | severities
    return result


def _uniform(values: Any) -> Any:
    found = set(values)
    if not found:
        return None
    return next(iter(found)) if len(found) == 1 else VARIES


def _other_conditions(rules: Sequence[Rule]) -> dict[str, frozenset[str]]:
    """Each condition key besides those read above -> the set of its descriptions across the rules ("" where
    a rule has none). Rules that differ only in resource conditions split findings by resource shape; a
    resource condition in a rule with no such siblings is a real restriction and is kept."""
    groups: dict[tuple[Any, ...], list[Rule]] = {}
    for rule in rules:
        groups.setdefault((tuple(rule.severities.ranges()), rule.types, rule.occurrence, rule.others), []).append(rule)
    per_rule: list[dict[str, str]] = []
    for members in groups.values():
        partition = len(members) > 1 and len({m.resource for m in members}) == len(members)
        for member in members:
            words = dict(member.others)
            if member.resource and not partition:
                for key, value in json.loads(member.resource).items():
                    words[key] = describe_condition(value)
            per_rule.append(words)
    keys = sorted({key for words in per_rule for key in words})
    return {key: frozenset(words.get(key, "") for words in per_rule) for key in keys}


def _accounts_of(pattern: dict[str, Any]) -> AccountSelection:
    """Whose findings a rule lets through; a matcher the construct never writes reads as every account (the
    rule's other lines still say it cannot be read)."""
    try:
        return account_selection(pattern)
    except UninterpretablePattern:
        return EVERY_ACCOUNT

"""Plan review for pull requests: what a Terraform plan does to who is mailed which GuardDuty findings.

Reads the JSON of `terraform show -json PLANFILE` for one or more stacks and writes Markdown for a pull-request
comment: per stack the counts of resources created, updated, replaced and deleted, then the alerting impact in
plain words, then the raw plan text, collapsed.

The mailed severities are derived from every EventBridge rule in the plan whose event pattern selects
GuardDuty findings (whatever its address: one rule with a threshold or one rule per severity band), before and
after the change; the recipients from the topic's email subscriptions. Everything else about alerting
(topics, policies, keys, targets, the detector, suppression rules) is read from the resource changes by type.

Bad input raises PlanFileError (a GuardDutyAlertsError): the CLI prints it and exits 2.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from .errors import GuardDutyAlertsError
from .patterns import FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE
from .policies import EVENTS_PRINCIPAL
from .severity import MAX_SEVERITY, MIN_SEVERITY, Severity

__all__ = [
    "COMMENT_MARKER",
    "MAX_COMMENT_CHARS",
    "Impact",
    "Level",
    "PlanFileError",
    "SeveritySet",
    "StackPlan",
    "StackSummary",
    "describe_severities",
    "is_finding_pattern",
    "load_plans",
    "render_markdown",
    "severity_filter",
    "summarize",
]

# Hidden first line of the comment: the workflow finds its own comment by it and updates it in place.
COMMENT_MARKER = "<!-- guardduty-alerts:plan-summary -->"
# GitHub refuses comments longer than 65,536 characters; the raw plan text is cut to fit.
MAX_COMMENT_CHARS = 65_000
_PLAN_ALLOWED = "the JSON that `terraform show -json PLANFILE` prints"


class PlanFileError(GuardDutyAlertsError):
    """A file given to plan-summary is not a usable Terraform plan in JSON."""

    headline = "unusable plan file"


# --- severity sets ---------------------------------------------------------------------------------------


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


def _join(words: Sequence[str]) -> str:
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
        return f"{_join(whole)} findings (severity {numbers})"
    label = _join([*whole, *(f"part of {name}" for name in partial)])
    return f"findings of severity {numbers} ({label})"


def _threshold_label(score: float) -> str:
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


def _other_conditions(pattern: Mapping[str, Any]) -> dict[str, str]:
    """Every condition of a pattern except source, detail type and severity, as key path -> JSON text."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, Mapping):
            for key in sorted(value):
                walk(f"{prefix}.{key}" if prefix else key, value[key])
        else:
            flat[prefix] = json.dumps(value, sort_keys=True)

    walk("", pattern)
    for key in ("source", "detail-type", "detail.severity"):
        flat.pop(key, None)
    return flat


# --- plan model ------------------------------------------------------------------------------------------


class Level(Enum):
    """How an impact line is flagged: fewer or no alerts, more alerts, or something to know."""

    LOSS = "⚠️"
    GAIN = "🔔"
    NOTE = "📝"


@dataclass(frozen=True)
class Impact:
    level: Level
    title: str
    text: str

    def markdown(self) -> str:
        return f"- {self.level.value} **{self.title}**: {self.text}"


@dataclass(frozen=True)
class StackPlan:
    """One stack's plan: its name, the parsed `terraform show -json` document and optional raw plan text."""

    name: str
    plan: Mapping[str, Any]
    source: str
    text: str | None = None


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    actions: tuple[str, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    after_unknown: Mapping[str, Any]

    @property
    def kind(self) -> str:
        """create, update, replace, delete, or no-op (read and forget count as no-op here)."""
        if set(self.actions) == {"create", "delete"}:
            return "replace"
        if len(self.actions) == 1 and self.actions[0] in ("create", "update", "delete"):
            return self.actions[0]
        return "no-op"

    def value(self, key: str, *, after: bool = True) -> Any:
        values = self.after if after else self.before
        return values.get(key) if values else None

    def label(self) -> str:
        values = self.after or self.before or {}
        for key in ("name", "target_id", "description", "endpoint"):
            if isinstance(values.get(key), str) and values[key]:
                return f"`{values[key]}`"
        return f"`{self.address}`"


@dataclass(frozen=True)
class StackSummary:
    name: str
    counts: Mapping[str, int]
    impacts: tuple[Impact, ...]
    after_state: str | None
    unchanged: bool
    other_changes: tuple[str, ...] = field(default=())


# --- loading ---------------------------------------------------------------------------------------------


def _stack_name(path: Path) -> str:
    name = path.name
    for suffix in (".json", ".tfplan", ".plan"):
        name = name.removesuffix(suffix)
    return name


def load_plans(arguments: Iterable[str]) -> list[StackPlan]:
    """Read plan files given as `PATH` or `STACK=PATH`; raise one PlanFileError listing every bad file.

    The stack name defaults to the file name without `.json` / `.tfplan`. A file beside the plan with the
    same name and `.txt` instead of `.json` (`terraform show -no-color PLANFILE`) becomes the raw plan text.
    """
    plans: list[StackPlan] = []
    problems: list[str] = []
    for argument in arguments:
        name, sep, path_text = argument.partition("=")
        path = Path(path_text if sep else argument)
        name = name if sep else _stack_name(path)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            problems.append(f"{path}: cannot be read ({error.strerror or error}); allowed: {_PLAN_ALLOWED}")
            continue
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            problems.append(f"{path}: is not JSON ({error}); allowed: {_PLAN_ALLOWED}")
            continue
        problem = _plan_problem(document)
        if problem:
            problems.append(f"{path}: {problem}; allowed: {_PLAN_ALLOWED}")
            continue
        text_path = path.with_suffix(".txt")
        text = text_path.read_text(encoding="utf-8") if text_path != path and text_path.is_file() else None
        plans.append(StackPlan(name=name, plan=document, source=str(path), text=text))
    if not plans and not problems:
        problems.append(f"no plan files given; allowed: one or more files holding {_PLAN_ALLOWED}")
    if problems:
        raise PlanFileError(problems)
    return plans


def _plan_problem(document: object) -> str | None:
    if not isinstance(document, dict) or "format_version" not in document:
        kinds = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
        kind = kinds.get(type(document), "null")
        return f"a JSON {kind} without format_version is not a Terraform plan"
    if "planned_values" not in document:
        if "values" in document:
            return "is a Terraform state (terraform show -json without a plan file), not a plan"
        return "has no planned_values: not a Terraform plan"
    if document.get("errored") is True:
        return "Terraform reported errors while planning (errored: true); this plan is incomplete"
    changes = document.get("resource_changes", [])
    if not isinstance(changes, list) or not all(isinstance(c, dict) and "change" in c for c in changes):
        return "resource_changes is not a list of changes"
    return None


def _changes(plan: Mapping[str, Any]) -> list[Change]:
    result = []
    for item in plan.get("resource_changes", []):
        if item.get("mode", "managed") != "managed":
            continue
        change = item["change"]
        result.append(
            Change(
                address=item.get("address", "?"),
                type=item.get("type", "?"),
                actions=tuple(change.get("actions", ())),
                before=change.get("before") if isinstance(change.get("before"), dict) else None,
                after=change.get("after") if isinstance(change.get("after"), dict) else None,
                after_unknown=change.get("after_unknown") if isinstance(change.get("after_unknown"), dict) else {},
            )
        )
    return result


# --- analysis --------------------------------------------------------------------------------------------

_ORDER = ("create", "update", "replace", "delete")
_EMAIL_PROTOCOLS = ("email", "email-json")
# Resource types whose changes matter to alerting; everything else only counts.
_ALERTING_TYPES = {
    "aws_cloudwatch_event_rule",
    "aws_cloudwatch_event_target",
    "aws_sns_topic",
    "aws_sns_topic_policy",
    "aws_sns_topic_subscription",
    "aws_kms_key",
    "aws_kms_key_policy",
    "aws_guardduty_detector",
    "aws_guardduty_detector_feature",
    "aws_guardduty_filter",
}


def _pattern(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
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


class _Mailed:
    """The severities mailed and the recipients, on one side (before or after) of a stack's plan."""

    def __init__(self, changes: list[Change], *, after: bool) -> None:
        self.severities = SeveritySet.empty()
        self.unreadable: list[str] = []
        self.rules: dict[str, tuple[dict[str, Any], SeveritySet]] = {}
        for change in changes:
            values = change.after if after else change.before
            if change.type != "aws_cloudwatch_event_rule" or values is None:
                continue
            if after and "event_pattern" in change.after_unknown and change.after_unknown["event_pattern"]:
                self.unreadable.append(f"{change.label()} (event pattern known only after apply)")
                continue
            pattern = _pattern(values)
            if pattern is None or not _rule_enabled(values):
                continue
            if _forwards_only(values.get("name"), changes, after=after):
                continue
            try:
                severities = severity_filter(pattern)
            except UninterpretablePattern as error:
                self.unreadable.append(f"{change.label()} (severity matcher {error})")
                continue
            self.rules[change.address] = (pattern, severities)
            self.severities = self.severities | severities
        self.recipients = sorted(
            {
                str(values["endpoint"])
                for c in changes
                if c.type == "aws_sns_topic_subscription"
                and (values := (c.after if after else c.before))
                and values.get("protocol") in _EMAIL_PROTOCOLS
                and values.get("endpoint")
            },
            key=str.lower,
        )


def _recipients_text(recipients: Sequence[str]) -> str:
    return _join(recipients) if recipients else "nobody (no email subscription)"


def _policy_lets_events_publish(policy_text: object, action_prefix: str) -> bool | None:
    """Whether a policy document allows events.amazonaws.com an action starting with `action_prefix`."""
    if not isinstance(policy_text, str):
        return None
    try:
        policy = json.loads(policy_text)
    except json.JSONDecodeError:
        return None
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if EVENTS_PRINCIPAL in services and any(
            isinstance(a, str) and (a == "*" or a.lower().startswith(action_prefix.lower())) for a in actions
        ):
            return True
    return False


def _criteria_text(values: Mapping[str, Any] | None) -> str:
    """A GuardDuty filter's finding criteria in words: `type` is one of ...; `severity` >= 7."""
    words = {
        "equals": "is",
        "not_equals": "is not",
        "greater_than": ">",
        "greater_than_or_equal": ">=",
        "less_than": "<",
        "less_than_or_equal": "<=",
    }
    parts = []
    for block in (values or {}).get("finding_criteria") or []:
        for criterion in block.get("criterion") or []:
            for key, word in words.items():
                value = criterion.get(key)
                if value in (None, [], ""):
                    continue
                shown = " or ".join(f"`{v}`" for v in value) if isinstance(value, list) else f"`{value}`"
                parts.append(f"`{criterion.get('field')}` {word} {shown}")
    return "; ".join(sorted(parts)) or "any finding"


def _filter_impacts(change: Change) -> list[Impact]:
    before, after, kind = change.before, change.after, change.kind
    archives = [v is not None and v.get("action") == "ARCHIVE" for v in (before, after)]
    name = change.label()
    if kind == "create" and archives[1]:
        return [Impact(Level.LOSS, "Suppression rule added", f"{name} archives findings where {_criteria_text(after)}; "
                       "GuardDuty does not send archived findings to EventBridge, so they are not mailed.")]
    if kind == "delete" and archives[0]:
        return [Impact(Level.GAIN, "Suppression rule removed", f"{name} no longer archives findings where "
                       f"{_criteria_text(before)}; they are mailed again (if their severity is mailed).")]
    if kind in ("update", "replace") and (archives[0] or archives[1]):
        if archives[0] and not archives[1]:
            return [Impact(Level.GAIN, "Suppression rule turned off", f"{name} only saves a filter now; findings "
                           f"where {_criteria_text(before)} are mailed again.")]
        before_text, after_text = _criteria_text(before), _criteria_text(after)
        if archives[1] and not archives[0]:
            return [Impact(Level.LOSS, "Suppression rule turned on", f"{name} now archives findings where "
                           f"{after_text}; they are not mailed.")]
        if before_text != after_text:
            return [Impact(Level.NOTE, "Suppression rule changed", f"{name} archived findings where {before_text}; "
                           f"after this change it archives findings where {after_text}.")]
    return []


# Order of the lines a reviewer reads: GuardDuty itself first, then the path a finding takes to a mailbox.
_TYPE_ORDER = (
    "aws_guardduty_detector",
    "aws_guardduty_detector_feature",
    "aws_guardduty_filter",
    "aws_sns_topic",
    "aws_cloudwatch_event_rule",
    "aws_cloudwatch_event_target",
    "aws_sns_topic_policy",
    "aws_kms_key",
    "aws_kms_key_policy",
)


def _resource_impacts(changes: list[Change], before: _Mailed, after: _Mailed) -> list[Impact]:
    impacts: list[Impact] = []
    add = impacts.append
    ordered = sorted(
        (c for c in changes if c.type in _TYPE_ORDER), key=lambda c: (_TYPE_ORDER.index(c.type), c.address)
    )
    gone_rules = {
        c.value("name", after=False)
        for c in changes
        if c.type == "aws_cloudwatch_event_rule" and c.kind in ("delete", "replace")
    }
    detector_deleted = any(c.type == "aws_guardduty_detector" and c.kind == "delete" for c in changes)
    topic_deleted = any(c.type == "aws_sns_topic" and c.kind == "delete" for c in changes)
    encryption_removed = any(
        c.type == "aws_sns_topic"
        and c.kind != "delete"
        and c.value("kms_master_key_id", after=False)
        and not c.value("kms_master_key_id")
        for c in changes
    )
    still_covered: list[str] = []
    with_severity_change: list[str] = []
    for change in ordered:
        kind, name = change.kind, change.label()
        if change.type == "aws_guardduty_detector":
            if kind == "delete":
                add(Impact(Level.LOSS, "GuardDuty disabled", "the detector is deleted: GuardDuty stops in this "
                           "region, its findings are deleted, and nothing is mailed."))
            elif kind == "replace":
                add(Impact(Level.LOSS, "Detector replaced", "the GuardDuty detector is deleted and re-created: "
                           "existing findings are lost and their ids change."))
            elif kind == "update" and change.value("enable", after=False) and change.value("enable") is False:
                add(Impact(Level.LOSS, "GuardDuty disabled", "the detector is suspended (enable = false): no new "
                           "findings, so nothing is mailed."))
            elif kind == "update" and change.value("enable", after=False) is False and change.value("enable"):
                add(Impact(Level.GAIN, "GuardDuty enabled", "the suspended detector is enabled again."))
        elif change.type == "aws_guardduty_detector_feature":
            was, now = change.value("status", after=False), change.value("status")
            if kind == "delete" or (was == "ENABLED" and now == "DISABLED"):
                add(Impact(Level.LOSS, "Protection plan turned off", f"{name}: the findings it produces stop."))
        elif change.type == "aws_guardduty_filter":
            if not (kind == "delete" and detector_deleted):  # nothing is found, so nothing is mailed "again"
                impacts.extend(_filter_impacts(change))
        elif change.type == "aws_cloudwatch_event_rule" and kind in ("delete", "replace"):
            if _pattern(change.before) is None:
                continue
            if kind == "replace":
                add(Impact(Level.NOTE, "Rule replaced", f"EventBridge rule {name} is deleted and re-created: "
                           "findings published during the apply may not be mailed."))
            elif not after.severities.is_empty() and before.rules.get(change.address) and (
                before.rules[change.address][1] - after.severities
            ).is_empty():
                still_covered.append(name)
            elif before.rules.get(change.address) and (
                before.rules[change.address][1] - after.severities
            ).same_as(before.rules[change.address][1]):
                # The severity lines say what stops being mailed; one line per band-and-shape rule is noise.
                with_severity_change.append(name)
            else:
                add(Impact(Level.LOSS, "Rule deleted", f"EventBridge rule {name} is deleted: the findings it "
                           "selected are no longer mailed."))
        elif change.type == "aws_cloudwatch_event_target" and kind in ("delete", "replace"):
            rule = change.value("rule", after=False)
            if rule in gone_rules:
                continue  # the rule's own line says it all
            if kind == "delete":
                add(Impact(Level.LOSS, "Target deleted", f"rule `{rule}` no longer delivers to "
                           f"`{change.value('arn', after=False)}` (target {name})."))
            else:
                add(Impact(Level.NOTE, "Target replaced", f"rule `{rule}` target {name} is re-created: findings "
                           "published during the apply may not be delivered."))
        elif change.type == "aws_sns_topic":
            count = len(before.recipients)
            if kind == "delete":
                add(Impact(Level.LOSS, "Topic deleted", f"SNS topic {name} is deleted with its subscriptions: "
                           "alerts stop."))
            elif kind == "replace":
                add(Impact(Level.LOSS, "Topic replaced", f"SNS topic {name} is deleted and re-created: all {count} "
                           "recipients get a new confirmation mail and receive nothing until they confirm it."))
            key_before, key_after = change.value("kms_master_key_id", after=False), change.value("kms_master_key_id")
            if key_before and not key_after and kind != "delete" and not change.after_unknown.get("kms_master_key_id"):
                add(Impact(Level.LOSS, "Encryption removed", f"SNS topic {name} is no longer encrypted with a "
                           f"customer-managed key (was `{key_before}`): alerts are stored with SNS's default "
                           "encryption only."))
            elif not key_before and key_after and kind != "delete":
                add(Impact(Level.NOTE, "Encryption added", f"SNS topic {name} is encrypted with `{key_after}`: "
                           "EventBridge must be allowed kms:GenerateDataKey* and kms:Decrypt on it, or no mail "
                           "arrives."))
            elif key_before and key_after and key_before != key_after:
                add(Impact(Level.NOTE, "Encryption key changed", f"SNS topic {name} moves from `{key_before}` to "
                           f"`{key_after}`: EventBridge must be allowed to use the new key, or no mail arrives."))
        elif change.type == "aws_sns_topic_policy":
            if kind == "delete":
                add(Impact(Level.LOSS, "Topic policy deleted", "EventBridge is no longer allowed to publish to the "
                           "topic: deliveries fail and no mail arrives."))
            elif kind == "replace":
                add(Impact(Level.NOTE, "Topic policy replaced", "the topic policy is re-created: findings published "
                           "during the apply may not be delivered."))
            elif kind == "update" and _policy_lets_events_publish(change.value("policy", after=False), "sns:Publish") \
                    and _policy_lets_events_publish(change.value("policy"), "sns:Publish") is False:
                add(Impact(Level.LOSS, "Topic policy no longer lets EventBridge publish", "deliveries to the topic "
                           "fail and no mail arrives."))
        elif change.type in ("aws_kms_key", "aws_kms_key_policy"):
            if change.type == "aws_kms_key" and kind == "delete" and topic_deleted:
                pass  # the topic's own line says the alerts stop; its key going too changes nothing more
            elif change.type == "aws_kms_key" and kind == "delete" and encryption_removed:
                # The topic's own line says encryption ends; the key going with it stops no delivery.
                add(Impact(Level.NOTE, "Key deleted", f"KMS key {name} goes with the topic's encryption."))
            elif change.type == "aws_kms_key" and kind == "delete":
                add(Impact(Level.LOSS, "Key deleted", f"KMS key {name} is scheduled for deletion: a topic still "
                           "encrypted with it can no longer be published to."))
            elif change.type == "aws_kms_key" and kind == "replace":
                add(Impact(Level.LOSS, "Key replaced", f"KMS key {name} is deleted and re-created: the topic must "
                           "use the new key and EventBridge must be allowed to use it."))
            elif kind == "update" and _policy_lets_events_publish(change.value("policy", after=False), "kms:") \
                    and _policy_lets_events_publish(change.value("policy"), "kms:") is False:
                add(Impact(Level.LOSS, "Key policy no longer lets EventBridge use the key", f"KMS key {name}: "
                           "deliveries to the encrypted topic fail and no mail arrives."))
    if with_severity_change:
        add(Impact(Level.NOTE, _count(len(with_severity_change), "rule") + " deleted",
                   f"{_names('EventBridge rule', with_severity_change)} only selected severities that are no "
                   "longer mailed (see above)."))
    if still_covered:
        add(Impact(Level.NOTE, _count(len(still_covered), "rule") + " deleted",
                   f"{_names('EventBridge rule', still_covered)}: the rules after this change still select the "
                   "severities they selected."))
    return impacts


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _names(noun: str, names: Sequence[str]) -> str:
    return f"{noun} {_join(names)}" if len(names) == 1 else f"{noun}s {_join(names)}"


def _severity_impacts(before: _Mailed, after: _Mailed, changes: list[Change]) -> list[Impact]:
    impacts: list[Impact] = []
    if before.severities.same_as(after.severities):
        pass
    else:
        stopped = before.severities - after.severities
        started = after.severities - before.severities
        low_before, low_after = before.severities.threshold(), after.severities.threshold()
        if low_before is not None and low_after is not None:
            direction = "raised" if low_after > low_before else "lowered"
            title = f"Threshold {direction} from {_threshold_label(low_before)} to {_threshold_label(low_after)}"
        elif after.severities.is_empty():
            title = "Alerts stop"
        elif before.severities.is_empty():
            title = "Alerts start"
        else:
            title = "Mailed severities change"
        if not stopped.is_empty():
            still = ""
            if not after.severities.is_empty():
                still = f"; {describe_severities(after.severities)} are still mailed"
            impacts.append(Impact(Level.LOSS, title, f"{describe_severities(stopped)} will no longer be mailed to "
                                  f"anyone{still}."))
        if not started.is_empty():
            impacts.append(Impact(Level.GAIN, title, f"{describe_severities(started)} will now be mailed to "
                                  f"{_recipients_text(after.recipients)}."))
    for address, (pattern, _severities) in sorted(after.rules.items()):
        if address in before.rules:
            was, now = _other_conditions(before.rules[address][0]), _other_conditions(pattern)
            for key in sorted(set(was) | set(now)):
                if was.get(key) != now.get(key):
                    rule_name = next(c.label() for c in changes if c.address == address)
                    impacts.append(Impact(Level.NOTE, "Finding filter changed", f"rule {rule_name} condition "
                                          f"`{key}` was `{was.get(key, 'absent')}`, becomes "
                                          f"`{now.get(key, 'absent')}`."))
    for unreadable in sorted(set(before.unreadable) | set(after.unreadable)):
        impacts.append(Impact(Level.NOTE, "Cannot tell the mailed severities", f"rule {unreadable}; read the plan."))
    return impacts


def _recipient_impacts(before: _Mailed, after: _Mailed, changes: list[Change]) -> list[Impact]:
    impacts = []
    was = {r.lower(): r for r in before.recipients}
    now = {r.lower(): r for r in after.recipients}
    what_before = describe_severities(before.severities)
    what_after = describe_severities(after.severities)
    for key in sorted(set(was) - set(now)):
        impacts.append(Impact(Level.LOSS, "Recipient removed", f"{was[key]} will no longer be mailed; "
                              f"until now they got {what_before}."))
    for key in sorted(set(now) - set(was)):
        impacts.append(Impact(Level.GAIN, "Recipient added", f"{now[key]} will get {what_after} once they confirm "
                              "the subscription mail AWS sends them; nothing arrives before that."))
    topic_replaced = any(c.type == "aws_sns_topic" and c.kind == "replace" for c in changes)
    for change in changes:
        if change.type == "aws_sns_topic_subscription" and change.kind == "replace" and not topic_replaced:
            endpoint = change.value("endpoint") or change.value("endpoint", after=False)
            impacts.append(Impact(Level.LOSS, "Subscription re-created", f"{endpoint} gets a new confirmation "
                                  "mail and receives nothing until they confirm it."))
    return impacts


def summarize(stack: StackPlan) -> StackSummary:
    """Counts and alerting impact of one stack's plan."""
    changes = _changes(stack.plan)
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in _ORDER}
    before, after = _Mailed(changes, after=False), _Mailed(changes, after=True)
    impacts = [
        *_resource_impacts(changes, before, after),
        *_severity_impacts(before, after, changes),
        *_recipient_impacts(before, after, changes),
    ]
    # Losses first: they are what a reviewer must not miss.
    rank = {Level.LOSS: 0, Level.GAIN: 1, Level.NOTE: 2}
    impacts.sort(key=lambda impact: rank[impact.level])
    # With the detector gone or suspended nothing reaches the rules, whatever they select.
    detectors_after = [c.after for c in changes if c.type == "aws_guardduty_detector" and c.after is not None]
    detectors_before = [c for c in changes if c.type == "aws_guardduty_detector"]
    guardduty_off = bool(detectors_before) and not any(d.get("enable") is not False for d in detectors_after)
    after_state = None
    if after.rules or before.rules:
        if guardduty_off:
            after_state = "mails nothing: GuardDuty is off"
        elif after.severities.is_empty() or not after.recipients:
            after_state = "mails nothing"
        else:
            after_state = f"mails {describe_severities(after.severities)} to {_recipients_text(after.recipients)}"
    other = tuple(
        sorted(
            f"{c.kind} `{c.address}`"
            for c in changes
            if c.kind != "no-op" and c.type not in _ALERTING_TYPES
        )
    )
    return StackSummary(
        name=stack.name,
        counts=counts,
        impacts=tuple(impacts),
        after_state=after_state,
        unchanged=not any(counts.values()),
        other_changes=other,
    )


# --- rendering -------------------------------------------------------------------------------------------


def _fence(text: str) -> str:
    # A fence longer than any backtick run in the text, so that the plan cannot end the code block.
    run, longest = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _raw_text(stack: StackPlan) -> str:
    if stack.text is not None:
        return stack.text.rstrip()
    lines = [f"{' '.join(c.actions)} {c.address}" for c in _changes(stack.plan) if c.kind != "no-op"]
    return "\n".join(lines) or "No changes."


def render_markdown(stacks: Sequence[StackPlan], *, title: str = "GuardDuty alerts: plan review") -> str:
    """The pull-request comment for these stacks' plans (stable: same plans, same text)."""
    summaries = [summarize(stack) for stack in stacks]
    lines = [COMMENT_MARKER, f"### {title}", ""]
    if all(s.unchanged for s in summaries):
        stacks_word = "stack" if len(summaries) == 1 else "stacks"
        lines.append(f"No changes in {len(summaries)} {stacks_word}: alerting stays as it is.")
        for summary in summaries:
            if summary.after_state:
                lines.append(f"- `{summary.name}` {summary.after_state}.")
        return "\n".join(lines) + "\n"
    lines += ["| Stack | Create | Update | Replace | Delete |", "| --- | ---: | ---: | ---: | ---: |"]
    for summary in summaries:
        counts = " | ".join(str(summary.counts[kind]) for kind in _ORDER)
        lines.append(f"| `{summary.name}` | {counts} |")
    lines += ["", "#### Alerting impact", ""]
    if not any(s.impacts for s in summaries):
        lines += ["None: no change to which findings are mailed or to whom.", ""]
    for summary in summaries:
        if summary.unchanged:
            continue
        lines.append(f"**`{summary.name}`**")
        lines.append("")
        if summary.impacts:
            lines += [impact.markdown() for impact in summary.impacts]
        else:
            lines.append("- No change to which findings are mailed or to whom.")
        if summary.other_changes:
            lines.append(f"- Other changes, not about alerting: {', '.join(summary.other_changes)}.")
        if summary.after_state:
            lines.append(f"- After this change the stack {summary.after_state}.")
        lines.append("")
    head = "\n".join(lines)
    budget = MAX_COMMENT_CHARS - len(head)
    details = []
    for stack, summary in zip(stacks, summaries, strict=True):
        if summary.unchanged:
            continue
        text = _raw_text(stack)
        share = max(500, budget // max(1, sum(1 for s in summaries if not s.unchanged)) - 200)
        if len(text) > share:
            kept = text[:share].rsplit("\n", 1)[0]
            text = f"{kept}\n... (cut: {len(text) - len(kept)} more characters; see the workflow log)"
        fence = _fence(text)
        details += [
            f"<details><summary>Terraform plan: {summary.name}</summary>",
            "",
            f"{fence}text",
            text,
            fence,
            "",
            "</details>",
            "",
        ]
    return head + "\n" + "\n".join(details)

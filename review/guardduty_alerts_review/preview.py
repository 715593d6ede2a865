"""`main.py preview`: which findings a configuration mails, by which rule, and the exact mail text.

Decisions come from moto's EventBridge pattern implementation (`EventPattern`) applied to the very pattern
JSON each rule gets in Terraform; the text comes from the same input paths and template, resolved with the
JSONPath engine and value formatting of moto's input transformer (`EventTemplateParser`). moto's last step,
decoding the filled template as JSON, is left out on purpose: EventBridge inserts values unescaped into a
text template and sends the result as is, so a description with a line break is a line break in the mail.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardduty_alerts.accounts import account_in_words
from guardduty_alerts.errors import EventFileError, GuardDutyAlertsError, UsageError
from guardduty_alerts.notifications import MailRule
from guardduty_alerts.patterns import (
    FINDING_DETAIL_TYPE,
    GUARDDUTY_SOURCE,
    SampleHandling,
    all_findings_pattern,
    pattern_json,
    type_matcher,
)
from guardduty_alerts.severity import Severity, parse_threshold

from .alerting import StackAlerting
from .json_input import parse_json

__all__ = ["EventFileError", "Preview", "load_events", "pattern_matches", "preview_event", "render_mail", "run_preview"]


def _moto() -> tuple[Any, Any, Any]:
    try:
        from jsonpath_ng.ext import parse as jsonpath
        from moto.events.models import EventPattern
        from moto.events.utils import EventTemplateParser
    except ImportError:  # pragma: no cover - depends on the installation
        raise GuardDutyAlertsError(["preview needs moto: run `pipenv sync` (the Pipfile pins it)"]) from None
    return EventPattern, EventTemplateParser, jsonpath


def load_events(target: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The events in a file, or in every *.json file of a folder (sorted); every bad file is reported at once
    (EventFileError), a path that does not exist as a UsageError."""
    if target.is_dir():
        files = sorted(path for path in target.rglob("*.json") if path.is_file())
        if not files:
            raise EventFileError([f"{target}: the folder holds no .json file"])
    elif target.is_file():
        files = [target]
    else:
        # Nothing was read, so nothing is "not an event": the command line names no file.
        raise UsageError(
            [f"{target}: no such file or folder; allowed: a GuardDuty event (a JSON file) or a folder of them"]
        )
    events, problems = [], []
    for path in files:
        try:
            document = parse_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            problems.append(f"{path}: cannot be read as JSON ({error})")
            continue
        problem = _event_problem(document)
        if problem:
            problems.append(f"{path}: {problem}")
        else:
            events.append((path, document))
    if problems:
        raise EventFileError(problems)
    return events


# Keys of the envelope EventBridge puts around every event, whatever its source.
_ENVELOPE = ("source", "detail-type", "detail", "region", "account")
_EVENT_ALLOWED = (
    "allowed: an EventBridge event, a JSON object with source, detail-type, detail, region and account "
    "(as EventBridge delivers it to a target)"
)


def _event_problem(document: object) -> str | None:
    """Why a file is not an event at all; any EventBridge event is previewed, whatever its source."""
    if not isinstance(document, dict):
        return f"a JSON {type(document).__name__}, not an object; {_EVENT_ALLOWED}"
    missing = [key for key in _ENVELOPE if key not in document]
    if missing:
        return f"{', '.join(missing)} missing; {_EVENT_ALLOWED}"
    if not isinstance(document["detail"], dict):
        return f"detail is not an object; {_EVENT_ALLOWED}"
    return None


def _other_bus(event: dict[str, Any]) -> str | None:
    """An event put on a custom bus never meets the rules, which are on the default bus (patterns cannot say)."""
    bus = event.get("event-bus-name") or event.get("EventBusName")
    if bus in (None, "default") or str(bus).endswith(":event-bus/default"):
        return None
    return f"it was put on event bus {bus}; the rules are on the default bus, where GuardDuty sends findings"


def _look_alike(event: dict[str, Any]) -> str | None:
    """Why an event that is not a GuardDuty finding is never mailed, or None if it is one."""
    if event["source"] != GUARDDUTY_SOURCE:
        return f"source is {json.dumps(event['source'])}, not {GUARDDUTY_SOURCE}: not from GuardDuty"
    if event["detail-type"] != FINDING_DETAIL_TYPE:
        return f"not a finding (detail-type {json.dumps(event['detail-type'])}); never mailed"
    if not isinstance(event["detail"].get("severity"), (int, float)):
        return "a GuardDuty Finding look-alike without a numeric detail.severity: GuardDuty never sends one"
    return None


@functools.cache
def _compiled(path: str) -> Any:
    # jsonpath_ng builds a parser per call; the same dozen paths recur for every event and rule.
    return _moto()[2](path)


@functools.cache
def _loaded(pattern_json: str) -> Any:
    return _moto()[0].load(pattern_json)


def pattern_matches(pattern_json: str, event: dict[str, Any]) -> bool:
    """Whether EventBridge's pattern matches `event`, as moto's implementation decides."""
    return bool(_loaded(pattern_json).matches_event(event))


def render_mail(rule: MailRule, event: dict[str, Any], account_names: Mapping[str, str] | None = None) -> str:
    """The text that reaches the topic for `event` through `rule`: its input transformer's output, or, for the
    formatter's rule, the subject and body the function publishes (its own code, with the templates it ships,
    naming the accounts of `account_names` in words as its ACCOUNT_NAMES makes it)."""
    if rule.input_template is None or rule.input_paths is None:
        return _formatted(event, account_names or {})
    template_parser = _moto()[1]
    text = rule.input_template
    for name, path in rule.input_paths.items():
        matches = _compiled(path).find(event)
        value = template_parser._stringify(matches[0].value) if matches else None
        if value:
            text = text.replace(f"<{name}>", value)
    return text


@dataclass(frozen=True)
class Preview:
    """The outcome for one event in one stack."""

    path: Path
    stack: str
    mailed_by: tuple[str, ...]
    mail: str | None
    reason: str
    # A GuardDuty finding on the stack's own bus, judged by the rules' patterns (the channels' rules too).
    judged: bool = True


def _formatted(event: dict[str, Any], account_names: Mapping[str, str]) -> str:
    from guardduty_alerts.formatter_function.handler import render
    from guardduty_alerts.templates import mail_templates

    subject, body = render(event, mail_templates(), dict(account_names))
    return f"Subject: {subject}\n{body}"


def preview_event(alerting: StackAlerting, path: Path, event: dict[str, Any]) -> Preview:
    stack = alerting.name
    rules = alerting.mail_rules()
    other_bus = _other_bus(event)
    if other_bus is not None:
        return Preview(path, stack, (), None, other_bus, judged=False)
    look_alike = _look_alike(event)
    matched = [rule for rule in rules if pattern_matches(rule.pattern_json(), event)]
    if look_alike is not None:
        if matched:  # the patterns and this reasoning disagree: say so rather than hide it
            return Preview(path, stack, (), None, f"ERROR: matched by {matched[0].key}, yet {look_alike}")
        return Preview(path, stack, (), None, look_alike, judged=False)
    if not alerting.serves(event.get("region")):
        # EventBridge is regional: the event only reaches the default bus of its own region (and, with a
        # central inbox, the home region's bus).
        return Preview(
            path,
            stack,
            (),
            None,
            f"the event is from region {event.get('region')}, not {alerting.region}",
            judged=False,
        )
    if not matched:
        return Preview(path, stack, (), None, _why_not(alerting, event))
    names = tuple(f"{alerting.alerts_name}-{rule.key}" for rule in matched)
    mail = render_mail(matched[0], event, alerting.account_names) if len(matched) == 1 else None
    reason = "mailed" if len(matched) == 1 else "ERROR: matched by several rules, it would be mailed more than once"
    return Preview(path, stack, names, mail, reason)


def _why_not(alerting: StackAlerting, event: dict[str, Any]) -> str:
    """A sentence for a finding no rule matched (the decision itself came from the patterns)."""
    detail = event["detail"]
    severity = detail["severity"]
    threshold = alerting.threshold
    if severity < threshold:
        return f"severity {severity:g} ({Severity.of_score(severity).name}) is below the threshold {threshold:g}"
    finding_type = str(detail.get("type", ""))
    filters = alerting.filters

    def listed(entries: tuple[str, ...]) -> bool:
        for kind, text in map(type_matcher, entries):
            if finding_type == text or (kind == "prefix" and finding_type.startswith(text)):
                return True
        return False

    if filters.include_types and not listed(filters.include_types):
        return f"type {finding_type} is not in finding_types.include"
    if filters.exclude_types and listed(filters.exclude_types):
        return f"type {finding_type} is in finding_types.exclude"
    account = detail.get("accountId")
    in_words = account_in_words(str(account), alerting.account_names)
    if filters.accounts and account not in filters.accounts:
        return f"the finding is about {in_words}, not one of finding_accounts"
    if filters.exclude_accounts and account in filters.exclude_accounts:
        return f"the finding is about {in_words}, which finding_accounts_except leaves out"
    sample = (detail.get("service") or {}).get("additionalInfo", {}).get("sample") is True
    if sample and filters.samples is SampleHandling.DROP:
        return "a sample finding, and sample_findings is drop"
    count = (detail.get("service") or {}).get("count")
    if filters.new_only and count != 1:
        return f"occurrence {count} of a known finding, and new_findings_only is true"
    return "no rule matches it"


def channel_deliveries(alerting: StackAlerting, event: dict[str, Any]) -> list[tuple[str, bool]]:
    """(channel in words, whether it gets `event`) for each channel of the stack, by the same pattern the
    construct gives the channel's rule (its own threshold and filters, else the stack's). Only for an event on
    the stack's bus: the caller asks `preview_event` first."""
    deliveries = []
    for channel in alerting.channels:
        threshold = (
            parse_threshold(channel.severity_threshold)
            if channel.severity_threshold is not None
            else alerting.threshold
        )
        pattern = all_findings_pattern(threshold, channel.filters or alerting.filters)
        deliveries.append(
            (channel.describe_named(alerting.account_names), pattern_matches(pattern_json(pattern), event))
        )
    return deliveries


def run_preview(stacks: Sequence[StackAlerting], target: Path) -> Iterator[str]:
    """Lines to print: per stack, per event, the decision and the mail text, then which channels get it."""
    events = load_events(target)
    for alerting in stacks:
        # The account only when the config lists accounts: one without them reads as it always did.
        account = f"{account_in_words(alerting.account_id, alerting.account_names)}, " if alerting.account_id else ""
        yield f"== stack {alerting.name} ({account}threshold {alerting.severity_threshold}) =="
        for path, event in events:
            outcome = preview_event(alerting, path, event)
            if outcome.mail is not None:
                yield f"-- {path.name}: MAILED by rule {outcome.mailed_by[0]}"
                yield outcome.mail
            elif outcome.mailed_by:
                yield f"-- {path.name}: {outcome.reason}: {', '.join(outcome.mailed_by)}"
            else:
                yield f"-- {path.name}: not mailed: {outcome.reason}"
            if alerting.channels and outcome.judged:
                for channel, gets in channel_deliveries(alerting, event):
                    yield f"   {'gets it' if gets else 'not sent'}: {channel}"
        yield ""

"""Alerting impact: what a stack's changes do to who is mailed which findings, in words."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from guardduty_alerts.policies import EVENTS_PRINCIPAL

from .chat import chat_configuration_impacts
from .destinations import CHANNEL_TYPES, Deliveries, Destination, RuleReach, configuration_references
from .loading import plan_changes
from .matchers import (
    EVERY_OCCURRENCE,
    FIRST_OCCURRENCE,
    NOT_SAMPLE,
    SAMPLE,
    SeveritySet,
    TypeSelection,
    UninterpretablePattern,
    covers,
    describe_condition,
    describe_severities,
    is_finding_pattern,
    join_types,
    join_words,
    occurrences,
    other_conditions,
    resource_conditions,
    sample_kinds,
    severity_filter,
    threshold_label,
    type_selection,
)
from .model import Change, Impact, Level, StackChanges, StackSummary

ACTION_ORDER = ("create", "update", "replace", "delete")
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
} | CHANNEL_TYPES


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


@dataclass(frozen=True)
class _Rule:
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


def _read_rule(change: Change, pattern: dict[str, Any], severities: SeveritySet) -> tuple[_Rule, list[str]]:
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
    rule = _Rule(change.address, change.label(), pattern, severities, kinds, types, occurrence, others,
                 resource_conditions(pattern))
    return rule, unreadable


class _Mailed:
    """What one side (before or after) of a stack's plan mails: severities, finding types, occurrences, sample
    findings and other conditions, read from every enabled rule that selects GuardDuty findings (whatever the
    rules are called or how many there are), and the recipients."""

    def __init__(
        self,
        changes: list[Change],
        *,
        after: bool,
        references: Mapping[str, Mapping[str, list[str]]] | None = None,
    ) -> None:
        self.unreadable: list[str] = []
        self.rules: dict[str, _Rule] = {}
        names: dict[str, str] = {}
        for change in changes:
            values = change.after if after else change.before
            if change.type != "aws_cloudwatch_event_rule" or values is None:
                continue
            if after and "event_pattern" in change.after_unknown and change.after_unknown["event_pattern"]:
                self.unreadable.append(f"{change.label()} (its event pattern is known only after apply)")
                continue
            pattern = _pattern(values)
            if pattern is None or not _rule_enabled(values):
                continue
            if _forwards_only(values.get("name"), changes, after=after):
                continue
            try:
                severities = severity_filter(pattern)
            except UninterpretablePattern:
                self.unreadable.append(f"{change.label()} (its severity condition)")
                continue
            rule, unreadable = _read_rule(change, pattern, severities)
            self.rules[change.address] = rule
            names[change.address] = str(values.get("name"))
            self.unreadable += unreadable
        # Where each rule delivers; rules that only feed channels (chat, webhooks, queues) do not mail.
        reaches = {names[a]: RuleReach(r.severities, r.kinds) for a, r in self.rules.items()}
        self.deliveries = Deliveries(changes, references or {}, reaches, after=after)
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
                and values.get("protocol") in _EMAIL_PROTOCOLS
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

    def covers(self, rule: _Rule) -> bool:
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
_VARIES: Any = object()


def _union(sets: Any) -> SeveritySet:
    result = SeveritySet.empty()
    for severities in sets:
        result = result | severities
    return result


def _uniform(values: Any) -> Any:
    found = set(values)
    if not found:
        return None
    return next(iter(found)) if len(found) == 1 else _VARIES


def _other_conditions(rules: Sequence[_Rule]) -> dict[str, frozenset[str]]:
    """Each condition key besides those read above -> the set of its descriptions across the rules ("" where
    a rule has none). Rules that differ only in resource conditions split findings by resource shape; a
    resource condition in a rule with no such siblings is a real restriction and is kept."""
    groups: dict[tuple[Any, ...], list[_Rule]] = {}
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


def _recipients_text(recipients: Sequence[str]) -> str:
    return join_words(recipients) if recipients else "nobody (no email subscription)"


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


def _suppression_impacts(change: Change) -> list[Impact]:
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


def _resource_impacts(
    changes: list[Change], before: _Mailed, after: _Mailed, *, explained: bool
) -> tuple[list[Impact], list[Impact]]:
    """Impacts of resource changes, and notes on deleted rules (shown last). `explained`: lines about what is
    mailed already say what changes, so deleted rules need no line each."""
    impacts: list[Impact] = []
    notes: list[Impact] = []
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
    replaced: list[str] = []
    for change in ordered:
        kind, name = change.kind, change.label()
        if change.type == "aws_guardduty_detector":
            if change.importing:
                add(Impact(Level.NOTE, "Detector adopted", "the GuardDuty detector already running in this region "
                           "is imported into Terraform, not created; from now on its settings are managed here."))
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
                impacts.extend(_suppression_impacts(change))
        elif change.type == "aws_cloudwatch_event_rule" and kind in ("delete", "replace"):
            rule = before.rules.get(change.address)
            if rule is None:
                continue
            if kind == "replace":
                replaced.append(name)
            elif after.covers(rule):
                still_covered.append(name)
            elif explained:
                # The lines above say what stops being mailed; one line per rule would only repeat them.
                with_severity_change.append(name)
            else:
                add(Impact(Level.LOSS, "Rule deleted", f"EventBridge rule {name} is deleted: the findings it "
                           "selected are no longer mailed."))
        elif change.type == "aws_cloudwatch_event_target" and kind in ("delete", "replace"):
            rule = change.value("rule", after=False)
            if rule in gone_rules or before.deliveries.channel_target(change):
                continue  # the rule's own line, or the channel's, says it all
            if kind == "delete":
                add(Impact(Level.LOSS, "Target deleted", f"rule `{rule}` no longer delivers to "
                           f"`{change.value('arn', after=False)}` (target {name})."))
            else:
                add(Impact(Level.NOTE, "Target replaced", f"rule `{rule}` target {name} is re-created: findings "
                           "published during the apply may not be delivered."))
        elif change.type == "aws_sns_topic":
            count = len(before.recipients)
            channel_topic = change.before is not None and not before.deliveries.mail_topic(change)
            if channel_topic and kind == "delete":
                pass  # a topic that fed only channels: the channels' lines say what stops
            elif channel_topic and kind == "replace":
                add(Impact(Level.NOTE, "Channel topic replaced", f"SNS topic {name} is deleted and re-created with "
                           "its subscriptions and chat configurations: findings published during the apply may not "
                           "be delivered, and an HTTPS endpoint that does not confirm itself must confirm again."))
            elif kind == "delete":
                add(Impact(Level.LOSS, "Topic deleted", f"SNS topic {name} is deleted with its subscriptions: "
                           "alerts stop."))
            elif kind == "replace":
                add(Impact(Level.LOSS, "Topic replaced", f"SNS topic {name} is deleted and re-created: all {count} "
                           "recipients get a new confirmation mail and receive nothing until they confirm it."))
            key_before, key_after = change.value("kms_master_key_id", after=False), change.value("kms_master_key_id")
            key_unknown = bool(change.after_unknown.get("kms_master_key_id"))
            if key_before and not key_after and kind != "delete" and not change.after_unknown.get("kms_master_key_id"):
                # No key ARN in the line: it names an account and region, and the same change in many
                # stacks is one line of the comment (the raw plan has the ARN).
                add(Impact(Level.LOSS, "Encryption removed", f"SNS topic {name} is no longer encrypted with a "
                           "customer-managed KMS key: alerts are stored with SNS's default encryption only."))
            elif not key_before and (key_after or key_unknown) and kind != "delete":
                add(Impact(Level.NOTE, "Encryption added", f"SNS topic {name} is encrypted with a customer-managed "
                           "KMS key: EventBridge must be allowed kms:GenerateDataKey* and kms:Decrypt on it, or no "
                           "mail arrives."))
            elif key_before and key_before != key_after and (key_after or key_unknown):
                add(Impact(Level.NOTE, "Encryption key changed", f"SNS topic {name} moves to another KMS key: "
                           "EventBridge must be allowed to use the new key, or no mail arrives."))
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
    # Notes about deleted rules come last: they refer to the lines above.
    add = notes.append
    if replaced:
        add(Impact(Level.NOTE, _count(len(replaced), "rule") + " replaced",
                   f"{_names('EventBridge rule', replaced)} {'is' if len(replaced) == 1 else 'are'} deleted and "
                   "re-created: findings published during the apply may not be mailed."))
    if with_severity_change:
        add(Impact(Level.NOTE, _count(len(with_severity_change), "rule") + " deleted",
                   f"{_names('EventBridge rule', with_severity_change)} only selected findings that are no "
                   "longer mailed (see above)."))
    created = sorted(
        c.value("name") or c.label()
        for c in changes
        if c.type == "aws_cloudwatch_event_rule" and c.kind == "create" and _pattern(c.after) is not None
    )
    if still_covered and created:
        # An upgrade that reshapes the rules (one per band and mail shape -> one per band): one line, not a
        # wall of deletions, and the truth about the apply.
        add(Impact(Level.NOTE, "Alert rules restructured",
                   f"{_count(len(still_covered), 'EventBridge rule')} {'is' if len(still_covered) == 1 else 'are'} "
                   f"replaced by {len(created)} "
                   f"({_join_names(created)}); together they select the same severities, so the same findings are "
                   "mailed. A finding raised in the seconds between the old rules' deletion and the new rules' "
                   "creation during the apply is not mailed (it stays in GuardDuty's console)."))
    elif still_covered:
        add(Impact(Level.NOTE, _count(len(still_covered), "rule") + " deleted",
                   f"{_names('EventBridge rule', still_covered)}: the rules after this change still mail the "
                   "findings they selected."))
    return impacts, notes


def _join_names(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return join_words(quoted)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# Names listed in one line at most; a removed stack has dozens of rules, and the raw plan names them all.
_MAX_NAMES = 6


def _names(noun: str, names: Sequence[str]) -> str:
    if len(names) == 1:
        return f"{noun} {names[0]}"
    shown = list(names[:_MAX_NAMES])
    if len(names) > _MAX_NAMES:
        shown.append(f"{len(names) - _MAX_NAMES} more")
    return f"{noun}s {join_words(shown)}"


def _severity_impacts(before: _Mailed, after: _Mailed) -> list[Impact]:
    impacts: list[Impact] = []
    if before.severities.same_as(after.severities):
        pass
    else:
        stopped = before.severities - after.severities
        started = after.severities - before.severities
        low_before, low_after = before.severities.threshold(), after.severities.threshold()
        if low_before is not None and low_after is not None:
            direction = "raised" if low_after > low_before else "lowered"
            title = f"Threshold {direction} from {threshold_label(low_before)} to {threshold_label(low_after)}"
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
    for unreadable in sorted(set(before.unreadable) | set(after.unreadable)):
        impacts.append(Impact(Level.NOTE, "Cannot read a rule", f"rule {unreadable} uses a matcher this summary "
                              "does not evaluate; read the plan."))
    return impacts


def _recipient_impacts(before: _Mailed, after: _Mailed, changes: list[Change]) -> list[Impact]:
    impacts = []
    was = {r.lower(): r for r in before.recipients}
    now = {r.lower(): r for r in after.recipients}
    what_before, what_after = _what_text(before), _what_text(after)
    for key in sorted(set(was) - set(now)):
        impacts.append(Impact(Level.LOSS, "Recipient removed", f"{was[key]} will no longer be mailed; "
                              f"until now they got {_address_what(before, key) or what_before}."))
    for key in sorted(set(now) - set(was)):
        impacts.append(Impact(Level.GAIN, "Recipient added", f"{now[key]} will get "
                              f"{_address_what(after, key) or what_after}, once they confirm "
                              "the subscription mail AWS sends them; nothing arrives before that."))
    topic_replaced = any(c.type == "aws_sns_topic" and c.kind == "replace" for c in changes)
    for change in changes:
        if change.type == "aws_sns_topic_subscription" and change.kind == "replace" and not topic_replaced:
            endpoint = change.value("endpoint") or change.value("endpoint", after=False)
            protocol = change.value("protocol") or change.value("protocol", after=False)
            if protocol not in _EMAIL_PROTOCOLS:
                continue  # a channel's subscription: _channel_impacts says it
            impacts.append(Impact(Level.LOSS, "Subscription re-created", f"{endpoint} gets a new confirmation "
                                  "mail and receives nothing until they confirm it."))
    return impacts


def _address_severities(mailed: _Mailed, key: str) -> SeveritySet | None:
    """The severities mailed to one address, when the plan links it to rules and they differ from what the
    stack mails as a whole (an email channel of its own threshold); else None."""
    destination = mailed.destinations.get(("email", key.lower()))
    if destination is None or destination.severities is None or destination.severities.same_as(mailed.severities):
        return None
    return destination.severities


def _address_what(mailed: _Mailed, key: str) -> str | None:
    severities = _address_severities(mailed, key)
    return None if severities is None else describe_severities(severities)


def _gets(destination: Destination) -> str:
    """'HIGH and CRITICAL findings (severity 7.0 to 10.0), sample findings too'."""
    if destination.severities is None:
        return "findings (which ones, the plan does not say: no rule in it is linked to this destination)"
    text = describe_severities(destination.severities)
    if destination.samples:
        text += ", sample findings too" if not destination.severities.is_empty() else " but sample findings"
    return text


def _channel_impacts(
    before: _Mailed, after: _Mailed, *, moved: frozenset[tuple[str, str]] = frozenset()
) -> list[Impact]:
    """Each destination besides the stack's mail: added, removed, or getting other severities; and an address
    of an email channel whose own severities change. `moved`: chat channels whose configuration moves to the
    account's chat home stack (chat.py says so; they keep getting this region's findings)."""
    impacts: list[Impact] = []
    was, now = before.destinations, after.destinations
    for key in sorted(set(was) | set(now)):
        old, new = was.get(key), now.get(key)
        if key[0] == "email":
            impacts += _address_change(key[1], before, after)
            continue
        if new is not None and old is None:
            once = f"; {new.once}" if new.once else ""
            impacts.append(Impact(Level.GAIN, "Channel added", f"{new.words} is added: it gets {_gets(new)}{once}."))
        elif old is not None and new is None and key not in moved:
            impacts.append(Impact(Level.LOSS, "Channel removed", f"{old.words} will no longer get findings; until "
                                  f"now it got {_gets(old)}."))
        elif old is not None and new is not None and old.severities is not None and new.severities is not None:
            stopped, started = old.severities - new.severities, new.severities - old.severities
            if not stopped.is_empty():
                still = "" if new.severities.is_empty() else f"; it still gets {describe_severities(new.severities)}"
                impacts.append(Impact(Level.LOSS, "Channel gets fewer findings", f"{new.words} will no longer get "
                                      f"{describe_severities(stopped)}{still}."))
            if not started.is_empty():
                impacts.append(Impact(Level.GAIN, "Channel gets more findings", f"{new.words} will now get "
                                      f"{describe_severities(started)} too."))
            if old.samples != new.samples:
                impacts.append(Impact(Level.NOTE, "Channel sample findings", f"{new.words} "
                                      f"{'will now get' if new.samples else 'will no longer get'} sample findings."))
    return impacts


def _address_change(key: str, before: _Mailed, after: _Mailed) -> list[Impact]:
    """One address's own severities, when they differ from the stack's mail (else the mail lines say it)."""
    old, new = before.destinations.get(("email", key)), after.destinations.get(("email", key))
    if old is None or new is None or old.severities is None or new.severities is None:
        return []
    if _address_severities(before, key) is None and _address_severities(after, key) is None:
        return []
    impacts = []
    stopped, started = old.severities - new.severities, new.severities - old.severities
    if not stopped.is_empty():
        impacts.append(Impact(Level.LOSS, "Recipient gets fewer findings", f"{new.words} will no longer be mailed "
                              f"{describe_severities(stopped)}; they still get {describe_severities(new.severities)}."))
    if not started.is_empty():
        impacts.append(Impact(Level.GAIN, "Recipient gets more findings", f"{new.words} will now be mailed "
                              f"{describe_severities(started)} too."))
    return impacts


def _channels_state(mailed: _Mailed) -> str:
    """'Slack channel C0123ABCDE (workspace T0123ABCDE) gets HIGH and CRITICAL findings (...)' for every
    destination besides the stack's mail, and every address whose own severities differ ("" for none)."""
    parts = []
    for key, destination in sorted(mailed.destinations.items()):
        if key[0] == "email":
            severities = _address_severities(mailed, key[1])
            if severities is not None:
                parts.append(f"{destination.words} gets only {describe_severities(severities)}")
        else:
            parts.append(f"{destination.words} gets {_gets(destination)}")
    return "; ".join(parts)


def _what(mailed: _Mailed) -> tuple[str, list[str]]:
    """What one side mails, in two parts: the findings ('HIGH and CRITICAL findings (severity 7.0 to 10.0) of
    every type except Recon:*') and the qualifiers (['first occurrences only', 'no sample findings'])."""
    if mailed.severities.is_empty():
        return ("sample findings only" if mailed.mails_samples else "no findings"), []
    text = describe_severities(mailed.severities)
    if mailed.types is _VARIES:
        text += " (the finding types differ between rules)"
    elif isinstance(mailed.types, TypeSelection):
        text += mailed.types.phrase()
    qualifiers = []
    if mailed.occurrence == FIRST_OCCURRENCE:
        qualifiers.append("first occurrences only")
    for key, words in sorted(mailed.others.items()):
        if len(words) == 1 and "" not in words:
            qualifiers.append(f"only where `{key}` {next(iter(words))}")
    if not mailed.mails_samples:
        qualifiers.append("no sample findings")
    return text, qualifiers


def _what_text(mailed: _Mailed) -> str:
    text, qualifiers = _what(mailed)
    return ", ".join([text, *qualifiers])


def _types_impacts(before: TypeSelection, after: TypeSelection) -> list[Impact]:
    """What a change of the finding-type filter does, in words."""
    if before == after:
        return []
    lost, gained = "(any severity)", "(at the severities mailed)"
    if before.every_type:
        if after.include is not None:
            return [Impact(Level.LOSS, "Only some finding types mailed", f"only findings of {_of(after.include)} "
                           "will be mailed from now on; findings of every other type will no longer be mailed "
                           f"{lost}.")]
        return [Impact(Level.LOSS, "Finding types excluded", f"findings of {_of(after.exclude)} will no longer "
                       f"be mailed {lost}.")]
    if after.every_type:
        if before.include is not None:
            return [Impact(Level.GAIN, "Every finding type mailed", "findings of every type will be mailed again, "
                           f"not only {join_types(before.include)} {gained}.")]
        return [Impact(Level.GAIN, "Finding types mailed again", f"findings of {_of(before.exclude)} will be "
                       f"mailed again {gained}.")]
    if before.include is not None and after.include is not None:
        removed = _not_covered(before.include, by=after.include)
        added = _not_covered(after.include, by=before.include)
        impacts = []
        if removed:
            impacts.append(Impact(Level.LOSS, "Finding types no longer mailed", f"findings of "
                                  f"{_of(removed, keep=after.include)} will no longer be mailed {lost}."))
        if added:
            impacts.append(Impact(Level.GAIN, "Finding types added", f"findings of {_of(added)} will now be "
                                  f"mailed too {gained}."))
        return impacts
    if before.include is None and after.include is None:
        newly = _not_covered(after.exclude, by=before.exclude)
        again = _not_covered(before.exclude, by=after.exclude)
        impacts = []
        if newly:
            impacts.append(Impact(Level.LOSS, "Finding types excluded", f"findings of {_of(newly)} will no longer "
                                  f"be mailed {lost}."))
        if again:
            impacts.append(Impact(Level.GAIN, "Finding types mailed again", f"findings of "
                                  f"{_of(again, keep=after.exclude)} will be mailed again {gained}."))
        return impacts
    if before.include is not None:  # only some types -> every type but some
        overlap = any(covers(e, i) or covers(i, e) for e in after.exclude for i in before.include)
        return [Impact(Level.LOSS if overlap else Level.GAIN, "Finding types change", "until now only findings of "
                       f"{_of(before.include)} were mailed; after this change findings of every type except "
                       f"{join_types(after.exclude)} are {gained}.")]
    assert after.include is not None
    return [Impact(Level.LOSS, "Finding types change", f"until now findings of every type except "
                   f"{join_types(before.exclude)} were mailed; after this change only findings of "
                   f"{_of(after.include)} are {gained}.")]


def _not_covered(entries: frozenset[str], *, by: frozenset[str]) -> frozenset[str]:
    return frozenset(e for e in entries if not any(covers(other, e) for other in by))


def _of(entries: frozenset[str], *, keep: frozenset[str] = frozenset()) -> str:
    """'types Recon:* and X' ('type X' for one); an entry of `keep` inside one of them is its exception."""
    noun = "type" if len(entries) == 1 else "types"
    texts = []
    for entry in sorted(entries):
        exceptions = sorted(k for k in keep if k != entry and covers(entry, k))
        texts.append(f"{entry} (except {join_words(exceptions)})" if exceptions else entry)
    return f"{noun} {join_words(texts)}"


def _filter_impacts(before: _Mailed, after: _Mailed) -> list[Impact]:
    """Finding types, repeat occurrences, sample findings and any other condition, before and after, in words
    (one line per change, however many rules carry it)."""
    if before.severities.is_empty() or after.severities.is_empty():
        return []  # alerts start or stop: the severity lines say so
    impacts: list[Impact] = []
    if before.types is not None and after.types is not None and before.types != after.types:
        if _VARIES in (before.types, after.types):
            impacts.append(Impact(Level.NOTE, "Finding types change", "the rules select different finding types "
                                  "after this change; read the plan."))
        else:
            impacts += _types_impacts(before.types, after.types)
    if (before.occurrence, after.occurrence) == (EVERY_OCCURRENCE, FIRST_OCCURRENCE):
        impacts.append(Impact(Level.LOSS, "Repeats no longer mailed", "repeat occurrences of a finding will no "
                              "longer be mailed; only its first occurrence is."))
    elif (before.occurrence, after.occurrence) == (FIRST_OCCURRENCE, EVERY_OCCURRENCE):
        impacts.append(Impact(Level.GAIN, "Repeats mailed again", "repeat occurrences of a finding will be mailed "
                              "again, each time GuardDuty publishes it anew, not only its first occurrence."))
    elif before.occurrence != after.occurrence and None not in (before.occurrence, after.occurrence):
        impacts.append(Impact(Level.NOTE, "Occurrences change", "the rules differ in which occurrences of a "
                              "finding they mail after this change; read the plan."))
    if before.mails_samples and not after.mails_samples:
        impacts.append(Impact(Level.NOTE, "Sample findings no longer mailed", "sample findings (GuardDuty's "
                              "\"Generate sample findings\", the way to test the alert path) will no longer be "
                              "mailed."))
    elif after.mails_samples and not before.mails_samples:
        impacts.append(Impact(Level.NOTE, "Sample findings mailed", "sample findings (GuardDuty's \"Generate sample "
                              "findings\") will now be mailed too."))
    for key in sorted(set(before.others) | set(after.others)):
        was, now = before.others.get(key, frozenset({""})), after.others.get(key, frozenset({""}))
        if was != now:
            impacts.append(Impact(Level.NOTE, "Finding filter changed", f"findings are filtered on `{key}`: until "
                                  f"now {_condition_words(was)}; after this change {_condition_words(now)}."))
    return impacts


def _condition_words(words: frozenset[str]) -> str:
    texts = sorted("no condition" if w == "" else f"it {w}" for w in words)
    return texts[0] if len(texts) == 1 else "depending on the rule, " + join_words(texts)


def summarize(stack: StackChanges) -> StackSummary:
    """Counts and alerting impact of one stack's plan."""
    changes = plan_changes(stack.plan)
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in ACTION_ORDER}
    counts["import"] = sum(1 for c in changes if c.importing)
    references = configuration_references(stack.plan)
    before = _Mailed(changes, after=False, references=references)
    after = _Mailed(changes, after=True, references=references)
    mailed = [*_severity_impacts(before, after), *_filter_impacts(before, after)]
    explained = bool(mailed)
    resources, rule_notes = _resource_impacts(changes, before, after, explained=explained)
    chat, moved = chat_configuration_impacts(changes)
    impacts = [
        *resources,
        *mailed,
        *_recipient_impacts(before, after, changes),
        *_channel_impacts(before, after, moved=moved),
        *chat,
    ]
    # Losses first: they are what a reviewer must not miss.
    rank = {Level.LOSS: 0, Level.GAIN: 1, Level.NOTE: 2}
    impacts.sort(key=lambda impact: rank[impact.level])
    impacts += rule_notes
    # With the detector gone or suspended nothing reaches the rules, whatever they select.
    detectors_after = [c.after for c in changes if c.type == "aws_guardduty_detector" and c.after is not None]
    detectors_before = [c for c in changes if c.type == "aws_guardduty_detector"]
    guardduty_off = bool(detectors_before) and not any(d.get("enable") is not False for d in detectors_after)
    after_state = None
    channels_state = _channels_state(after)
    if after.rules or before.rules or channels_state or before.destinations:
        if guardduty_off:
            after_state = "mails nothing: GuardDuty is off"
        elif (after.severities.is_empty() and not after.mails_samples) or not after.recipients:
            after_state = "mails nothing"
        else:
            what, qualifiers = _what(after)
            after_state = ", ".join([f"mails {what} to {_recipients_text(after.recipients)}", *qualifiers])
            if after.suppression:
                names = join_words([f"`{name}`" for name in after.suppression])
                if len(after.suppression) == 1:
                    after_state += f"; suppression rule {names} archives the findings it matches first"
                else:
                    after_state += f"; suppression rules {names} archive the findings they match first"
        if channels_state and not guardduty_off:
            after_state += f"; {channels_state}"
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
        account=stack.account,
        region=stack.region,
    )

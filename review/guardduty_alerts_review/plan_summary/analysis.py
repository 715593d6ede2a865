"""Alerting impact: what a stack's changes do to who is mailed which findings, in words."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from guardduty_alerts.policies import EVENTS_PRINCIPAL

from .loading import plan_changes
from .matchers import (
    SeveritySet,
    UninterpretablePattern,
    describe_severities,
    is_finding_pattern,
    join_words,
    other_conditions,
    severity_filter,
    threshold_label,
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
                   f"{_names('EventBridge rule', still_covered)}: the rules after this change still select the "
                   "severities they selected."))
    return impacts


def _join_names(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return join_words(quoted)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _names(noun: str, names: Sequence[str]) -> str:
    return f"{noun} {join_words(names)}" if len(names) == 1 else f"{noun}s {join_words(names)}"


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
    for address, (pattern, _severities) in sorted(after.rules.items()):
        if address in before.rules:
            was, now = other_conditions(before.rules[address][0]), other_conditions(pattern)
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


def summarize(stack: StackChanges) -> StackSummary:
    """Counts and alerting impact of one stack's plan."""
    changes = plan_changes(stack.plan)
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in ACTION_ORDER}
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



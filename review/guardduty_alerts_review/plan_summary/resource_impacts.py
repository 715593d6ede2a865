"""Resource impacts: what a change to one alerting resource does, one handler per resource type (the table
`HANDLERS`), in the order a reviewer reads them: GuardDuty itself first, then the path a finding takes to a
mailbox. Notes on deleted rules come last: they refer to the lines above."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from guardduty_alerts.policies import EVENTS_PRINCIPAL

from ..policy_reader import KEY_USE_ACTIONS, allows_text
from .model import Change, Impact, Level
from .sides import Mailed, rule_pattern
from .wording import count, join_names, names_text

__all__ = ["criteria_text", "resource_impacts", "suppression_impacts"]


def criteria_text(values: Mapping[str, Any] | None) -> str:
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


def suppression_impacts(change: Change) -> list[Impact]:
    before, after, kind = change.before, change.after, change.kind
    archives = [v is not None and v.get("action") == "ARCHIVE" for v in (before, after)]
    name = change.label()
    if kind == "create" and archives[1]:
        return [
            Impact(
                Level.LOSS,
                "Suppression rule added",
                f"{name} archives findings where {criteria_text(after)}; "
                "GuardDuty does not send archived findings to EventBridge, so they are not mailed.",
            )
        ]
    if kind == "delete" and archives[0]:
        return [
            Impact(
                Level.GAIN,
                "Suppression rule removed",
                f"{name} no longer archives findings where "
                f"{criteria_text(before)}; they are mailed again (if their severity is mailed).",
            )
        ]
    if kind in ("update", "replace") and (archives[0] or archives[1]):
        if archives[0] and not archives[1]:
            return [
                Impact(
                    Level.GAIN,
                    "Suppression rule turned off",
                    f"{name} only saves a filter now; findings where {criteria_text(before)} are mailed again.",
                )
            ]
        before_text, after_text = criteria_text(before), criteria_text(after)
        if archives[1] and not archives[0]:
            return [
                Impact(
                    Level.LOSS,
                    "Suppression rule turned on",
                    f"{name} now archives findings where {after_text}; they are not mailed.",
                )
            ]
        if before_text != after_text:
            return [
                Impact(
                    Level.NOTE,
                    "Suppression rule changed",
                    f"{name} archived findings where {before_text}; "
                    f"after this change it archives findings where {after_text}.",
                )
            ]
    return []


@dataclass(frozen=True)
class _Plan:
    """What a handler needs besides its own change: both sides and facts about the other changes."""

    before: Mailed
    after: Mailed
    explained: bool  # lines about what is mailed already say what changes
    gone_rules: frozenset[object]
    detector_deleted: bool
    topic_deleted: bool
    encryption_removed: bool

    @classmethod
    def read(cls, changes: list[Change], before: Mailed, after: Mailed, *, explained: bool) -> _Plan:
        return cls(
            before,
            after,
            explained,
            gone_rules=frozenset(
                c.value("name", after=False)
                for c in changes
                if c.type == "aws_cloudwatch_event_rule" and c.kind in ("delete", "replace")
            ),
            detector_deleted=any(c.type == "aws_guardduty_detector" and c.kind == "delete" for c in changes),
            topic_deleted=any(c.type == "aws_sns_topic" and c.kind == "delete" for c in changes),
            encryption_removed=any(
                c.type == "aws_sns_topic"
                and c.kind != "delete"
                and c.value("kms_master_key_id", after=False)
                and not c.value("kms_master_key_id")
                for c in changes
            ),
        )


def _detector(change: Change, plan: _Plan) -> list[Impact]:
    kind = change.kind
    impacts = []
    if change.importing:
        impacts.append(
            Impact(
                Level.NOTE,
                "Detector adopted",
                "the GuardDuty detector already running in this "
                "region is imported into Terraform, not created; from now on its settings are "
                "managed here.",
            )
        )
    if kind == "delete":
        impacts.append(
            Impact(
                Level.LOSS,
                "GuardDuty disabled",
                "the detector is deleted: GuardDuty stops in this "
                "region, its findings are deleted, and nothing is mailed.",
            )
        )
    elif kind == "replace":
        impacts.append(
            Impact(
                Level.LOSS,
                "Detector replaced",
                "the GuardDuty detector is deleted and re-created: existing findings are lost and their ids change.",
            )
        )
    elif kind == "update" and change.value("enable", after=False) and change.value("enable") is False:
        impacts.append(
            Impact(
                Level.LOSS,
                "GuardDuty disabled",
                "the detector is suspended (enable = false): no new findings, so nothing is mailed.",
            )
        )
    elif kind == "update" and change.value("enable", after=False) is False and change.value("enable"):
        impacts.append(Impact(Level.GAIN, "GuardDuty enabled", "the suspended detector is enabled again."))
    return impacts


def _detector_feature(change: Change, plan: _Plan) -> list[Impact]:
    was, now = change.value("status", after=False), change.value("status")
    if change.kind == "delete" or (was == "ENABLED" and now == "DISABLED"):
        return [Impact(Level.LOSS, "Protection plan turned off", f"{change.label()}: the findings it produces stop.")]
    return []


def _filter(change: Change, plan: _Plan) -> list[Impact]:
    if change.kind == "delete" and plan.detector_deleted:
        return []  # nothing is found, so nothing is mailed "again"
    return suppression_impacts(change)


def _rule_fate(change: Change, plan: _Plan) -> str | None:
    """What the summary says of a deleted or replaced mailing rule: "replaced", "still covered" (the rules after
    still mail what it did), "explained" (the lines about what is mailed say it) or "deleted" (a line of its own)."""
    if change.type != "aws_cloudwatch_event_rule" or change.kind not in ("delete", "replace"):
        return None
    rule = plan.before.rules.get(change.address)
    if rule is None:
        return None
    if change.kind == "replace":
        return "replaced"
    if plan.after.covers(rule):
        return "still covered"
    # The lines about what is mailed say what stops being mailed; one line per rule would only repeat them.
    return "explained" if plan.explained else "deleted"


def _rule(change: Change, plan: _Plan) -> list[Impact]:
    if _rule_fate(change, plan) != "deleted":
        return []  # said in a note at the end
    return [
        Impact(
            Level.LOSS,
            "Rule deleted",
            f"EventBridge rule {change.label()} is deleted: the findings it selected are no longer mailed.",
        )
    ]


def _target(change: Change, plan: _Plan) -> list[Impact]:
    if change.kind not in ("delete", "replace"):
        return []
    rule = change.value("rule", after=False)
    if rule in plan.gone_rules or plan.before.deliveries.channel_target(change):
        return []  # the rule's own line, or the channel's, says it all
    if change.kind == "delete":
        return [
            Impact(
                Level.LOSS,
                "Target deleted",
                f"rule `{rule}` no longer delivers to `{change.value('arn', after=False)}` (target {change.label()}).",
            )
        ]
    return [
        Impact(
            Level.NOTE,
            "Target replaced",
            f"rule `{rule}` target {change.label()} is re-created: findings "
            "published during the apply may not be delivered.",
        )
    ]


def _topic(change: Change, plan: _Plan) -> list[Impact]:
    kind, name = change.kind, change.label()
    channel_topic = change.before is not None and not plan.before.deliveries.mail_topic(change)
    if channel_topic and kind == "delete":
        return []  # a topic that fed only channels: the channels' lines say what stops
    impacts = []
    if channel_topic and kind == "replace":
        impacts.append(
            Impact(
                Level.NOTE,
                "Channel topic replaced",
                f"SNS topic {name} is deleted and re-created "
                "with its subscriptions and chat configurations: findings published during the apply "
                "may not be delivered, and an HTTPS endpoint that does not confirm itself must "
                "confirm again.",
            )
        )
    elif kind == "delete":
        impacts.append(
            Impact(Level.LOSS, "Topic deleted", f"SNS topic {name} is deleted with its subscriptions: alerts stop.")
        )
    elif kind == "replace":
        impacts.append(
            Impact(
                Level.LOSS,
                "Topic replaced",
                f"SNS topic {name} is deleted and re-created: all "
                f"{len(plan.before.recipients)} recipients get a new confirmation mail and receive "
                "nothing until they confirm it.",
            )
        )
    return impacts + _topic_encryption(change)


def _topic_encryption(change: Change) -> list[Impact]:
    kind, name = change.kind, change.label()
    key_before, key_after = change.value("kms_master_key_id", after=False), change.value("kms_master_key_id")
    key_unknown = bool(change.after_unknown.get("kms_master_key_id"))
    if kind == "delete":
        return []
    if key_before and not key_after and not key_unknown:
        # No key ARN in the line: it names an account and region, and the same change in many
        # stacks is one line of the comment (the raw plan has the ARN).
        return [
            Impact(
                Level.LOSS,
                "Encryption removed",
                f"SNS topic {name} is no longer encrypted with a "
                "customer-managed KMS key: alerts are stored with SNS's default encryption only.",
            )
        ]
    if kind == "create" and (key_after or key_unknown):
        # A new topic is not "added" encryption: it never held a message unencrypted.
        return [
            Impact(
                Level.NOTE,
                "Encrypted topic created",
                f"SNS topic {name} is created encrypted with a "
                "customer-managed KMS key: EventBridge must be allowed kms:GenerateDataKey* and kms:Decrypt "
                "on it, or no mail arrives.",
            )
        ]
    if not key_before and (key_after or key_unknown):
        return [
            Impact(
                Level.NOTE,
                "Encryption added",
                f"SNS topic {name} is encrypted with a customer-managed "
                "KMS key: EventBridge must be allowed kms:GenerateDataKey* and kms:Decrypt on it, or no "
                "mail arrives.",
            )
        ]
    if key_before and key_before != key_after and (key_after or key_unknown):
        return [
            Impact(
                Level.NOTE,
                "Encryption key changed",
                f"SNS topic {name} moves to another KMS key: "
                "EventBridge must be allowed to use the new key, or no mail arrives.",
            )
        ]
    return []


def _policy_taken_away(change: Change, actions: tuple[str, ...]) -> bool:
    """An update after which the policy no longer lets EventBridge take `actions` (False when either side is
    unknown: the raw plan shows it)."""
    was = allows_text(change.value("policy", after=False), EVENTS_PRINCIPAL, actions)
    now = allows_text(change.value("policy"), EVENTS_PRINCIPAL, actions)
    return change.kind == "update" and was is True and now is False


def _topic_policy(change: Change, plan: _Plan) -> list[Impact]:
    if change.kind == "delete":
        return [
            Impact(
                Level.LOSS,
                "Topic policy deleted",
                "EventBridge is no longer allowed to publish to the topic: deliveries fail and no mail arrives.",
            )
        ]
    if change.kind == "replace":
        return [
            Impact(
                Level.NOTE,
                "Topic policy replaced",
                "the topic policy is re-created: findings published during the apply may not be delivered.",
            )
        ]
    if _policy_taken_away(change, ("sns:Publish",)):
        return [
            Impact(
                Level.LOSS,
                "Topic policy no longer lets EventBridge publish",
                "deliveries to the topic fail and no mail arrives.",
            )
        ]
    return []


def _key(change: Change, plan: _Plan) -> list[Impact]:
    kind, name = change.kind, change.label()
    if kind == "delete" and plan.topic_deleted:
        return []  # the topic's own line says the alerts stop; its key going too changes nothing more
    if kind == "delete" and plan.encryption_removed:
        # The topic's own line says encryption ends; the key going with it stops no delivery.
        return [Impact(Level.NOTE, "Key deleted", f"KMS key {name} goes with the topic's encryption.")]
    if kind == "delete":
        return [
            Impact(
                Level.LOSS,
                "Key deleted",
                f"KMS key {name} is scheduled for deletion: a topic still "
                "encrypted with it can no longer be published to.",
            )
        ]
    if kind == "replace":
        return [
            Impact(
                Level.LOSS,
                "Key replaced",
                f"KMS key {name} is deleted and re-created: the topic must "
                "use the new key and EventBridge must be allowed to use it.",
            )
        ]
    return _key_policy(change, plan)


def _key_policy(change: Change, plan: _Plan) -> list[Impact]:
    if _policy_taken_away(change, KEY_USE_ACTIONS):
        return [
            Impact(
                Level.LOSS,
                "Key policy no longer lets EventBridge use the key",
                f"KMS key {change.label()}: deliveries to the encrypted topic fail and no mail arrives.",
            )
        ]
    return []


# Resource type -> what a change to it does. The order is the order of the lines a reviewer reads: GuardDuty
# itself first, then the path a finding takes to a mailbox.
HANDLERS: Mapping[str, Callable[[Change, _Plan], list[Impact]]] = {
    "aws_guardduty_detector": _detector,
    "aws_guardduty_detector_feature": _detector_feature,
    "aws_guardduty_filter": _filter,
    "aws_sns_topic": _topic,
    "aws_cloudwatch_event_rule": _rule,
    "aws_cloudwatch_event_target": _target,
    "aws_sns_topic_policy": _topic_policy,
    "aws_kms_key": _key,
    "aws_kms_key_policy": _key_policy,
}
_TYPE_ORDER = tuple(HANDLERS)


def _rule_notes(changes: list[Change], ordered: list[Change], plan: _Plan) -> list[Impact]:
    fates: dict[str, list[str]] = {"replaced": [], "still covered": [], "explained": []}
    for change in ordered:
        fate = _rule_fate(change, plan)
        if fate in fates:
            fates[fate].append(change.label())
    replaced, still_covered, explained = fates["replaced"], fates["still covered"], fates["explained"]
    notes = []
    if replaced:
        notes.append(
            Impact(
                Level.NOTE,
                count(len(replaced), "rule") + " replaced",
                f"{names_text('EventBridge rule', replaced)} {'is' if len(replaced) == 1 else 'are'} "
                "deleted and re-created: findings published during the apply may not be mailed.",
            )
        )
    if explained:
        notes.append(
            Impact(
                Level.NOTE,
                count(len(explained), "rule") + " deleted",
                f"{names_text('EventBridge rule', explained)} only selected findings that are no "
                "longer mailed (see above).",
            )
        )
    created = sorted(
        c.value("name") or c.label()
        for c in changes
        if c.type == "aws_cloudwatch_event_rule" and c.kind == "create" and rule_pattern(c.after) is not None
    )
    if still_covered and created:
        # An upgrade that reshapes the rules (one per band and mail shape -> one per band): one line, not a
        # wall of deletions, and the truth about the apply.
        notes.append(
            Impact(
                Level.NOTE,
                "Alert rules restructured",
                f"{count(len(still_covered), 'EventBridge rule')} "
                f"{'is' if len(still_covered) == 1 else 'are'} replaced by {len(created)} "
                f"({join_names(created)}); together they select the same severities, so the same "
                "findings are mailed. A finding raised in the seconds between the old rules' deletion "
                "and the new rules' creation during the apply is not mailed (it stays in GuardDuty's "
                "console).",
            )
        )
    elif still_covered:
        notes.append(
            Impact(
                Level.NOTE,
                count(len(still_covered), "rule") + " deleted",
                f"{names_text('EventBridge rule', still_covered)}: the rules after this change still "
                "mail the findings they selected.",
            )
        )
    return notes


def resource_impacts(
    changes: list[Change], before: Mailed, after: Mailed, *, explained: bool
) -> tuple[list[Impact], list[Impact]]:
    """Impacts of resource changes, and notes on deleted rules (shown last). `explained`: lines about what is
    mailed already say what changes, so deleted rules need no line each."""
    plan = _Plan.read(changes, before, after, explained=explained)
    ordered = sorted((c for c in changes if c.type in HANDLERS), key=lambda c: (_TYPE_ORDER.index(c.type), c.address))
    impacts = [impact for change in ordered for impact in HANDLERS[change.type](change, plan)]
    return impacts, _rule_notes(changes, ordered, plan)

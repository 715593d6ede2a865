"""Resource impacts: what a change to one alerting resource does, one handler per resource type (the table
`HANDLERS`), in the order a reviewer reads them: GuardDuty itself first, then the path a finding takes to a
mailbox. Notes on deleted rules come last: they refer to the lines above."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from guardduty_alerts.policies import EVENTS_PRINCIPAL

from ..policy_reader import KEY_USE_ACTIONS, allows_text
from .model import Change, Impact, Level
from .rule_notes import rule_notes
from .sides import Mailed
from .suppression import suppression_impacts

__all__ = ["HANDLERS", "resource_impacts"]


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


def resource_impacts(
    changes: list[Change], before: Mailed, after: Mailed, *, explained: bool
) -> tuple[list[Impact], list[Impact]]:
    """Impacts of resource changes, and notes on deleted rules (shown last). `explained`: lines about what is
    mailed already say what changes, so deleted rules need no line each."""
    plan = _Plan.read(changes, before, after, explained=explained)
    ordered = sorted((c for c in changes if c.type in HANDLERS), key=lambda c: (_TYPE_ORDER.index(c.type), c.address))
    impacts = [impact for change in ordered for impact in HANDLERS[change.type](change, plan)]
    fates = [(c.label(), fate) for c in ordered if (fate := _rule_fate(c, plan)) is not None]
    return impacts, rule_notes(changes, fates)

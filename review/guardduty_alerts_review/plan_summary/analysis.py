"""Alerting impact: what a stack's changes do to who is mailed which findings, in words.

The parts, in the order `summarize` uses them: `sides` (what each side of the plan mails), `resource_impacts`
(one handler per resource type), `audience` (severities, recipients, channels), `filter_impacts` (types,
occurrences, samples, other conditions), `chat` (chat configurations), and `wording`.
"""

from __future__ import annotations

from types import MappingProxyType

from guardduty_alerts.accounts import AccountNames

from .account_routes import account_impacts
from .audience import channel_impacts, channels_state, recipient_impacts, severity_impacts
from .chat import chat_configuration_impacts
from .filter_impacts import filter_impacts
from .loading import plan_changes
from .matchers import join_words
from .model import Change, Level, StackChanges, StackSummary
from .references import configuration_references
from .resource_impacts import resource_impacts
from .resource_types import CHANNEL_TYPES
from .sides import Mailed
from .wording import recipients_text, what

__all__ = ["ACTION_ORDER", "summarize"]

ACTION_ORDER = ("create", "update", "replace", "delete")
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


def _guardduty_off(changes: list[Change]) -> bool:
    """With the detector gone or suspended nothing reaches the rules, whatever they select."""
    detectors_after = [c.after for c in changes if c.type == "aws_guardduty_detector" and c.after is not None]
    detectors_before = [c for c in changes if c.type == "aws_guardduty_detector"]
    return bool(detectors_before) and not any(d.get("enable") is not False for d in detectors_after)


def _after_state(changes: list[Change], before: Mailed, after: Mailed) -> str | None:
    """What the stack mails after the change, in one sentence; None when it has no mailing rule either side."""
    guardduty_off = _guardduty_off(changes)
    channels = channels_state(after)
    if not (after.rules or before.rules or channels or before.destinations):
        return None
    if guardduty_off:
        state = "mails nothing: GuardDuty is off"
    elif (after.severities.is_empty() and not after.mails_samples) or not after.recipients:
        state = "mails nothing"
    else:
        findings, qualifiers = what(after)
        state = ", ".join([f"mails {findings} to {recipients_text(after.recipients)}", *qualifiers])
        if after.suppression:
            names = join_words([f"`{name}`" for name in after.suppression])
            if len(after.suppression) == 1:
                state += f"; suppression rule {names} archives the findings it matches first"
            else:
                state += f"; suppression rules {names} archive the findings they match first"
    if channels and not guardduty_off:
        state += f"; {channels}"
    return state


def summarize(stack: StackChanges, account_names: AccountNames = MappingProxyType({})) -> StackSummary:
    """Counts and alerting impact of one stack's plan; `account_names` (id -> name) names accounts in words."""
    changes = plan_changes(stack.plan)
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in ACTION_ORDER}
    counts["import"] = sum(1 for c in changes if c.importing)
    references = configuration_references(stack.plan)
    before = Mailed(changes, after=False, references=references, account_names=account_names)
    after = Mailed(changes, after=True, references=references, account_names=account_names)
    mailed = [*severity_impacts(before, after), *filter_impacts(before, after)]
    resources, rule_notes = resource_impacts(changes, before, after, explained=bool(mailed))
    chat, moved = chat_configuration_impacts(changes)
    impacts = [
        *resources,
        *mailed,
        *recipient_impacts(before, after, changes),
        *channel_impacts(before, after, moved=moved),
        *account_impacts(before, after, account_names),
        *chat,
    ]
    # Losses first: they are what a reviewer must not miss.
    rank = {Level.LOSS: 0, Level.GAIN: 1, Level.NOTE: 2}
    impacts.sort(key=lambda impact: rank[impact.level])
    impacts += rule_notes
    other = tuple(
        sorted(f"{c.kind} `{c.address}`" for c in changes if c.kind != "no-op" and c.type not in _ALERTING_TYPES)
    )
    return StackSummary(
        name=stack.name,
        counts=counts,
        impacts=tuple(impacts),
        after_state=_after_state(changes, before, after),
        unchanged=not any(counts.values()),
        other_changes=other,
        account=stack.account,
        region=stack.region,
    )

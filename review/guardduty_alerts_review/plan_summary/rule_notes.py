"""Notes on deleted and replaced alert rules, shown after every other line: they refer to the lines above, and
a change that reshapes the rules is one line, not a wall of deletions."""

from __future__ import annotations

from .model import Change, Impact, Level
from .sides import rule_pattern
from .wording import count, join_names, names_text

__all__ = ["rule_notes"]


def rule_notes(changes: list[Change], fates: list[tuple[str, str]]) -> list[Impact]:
    """Notes on the deleted or replaced rules that have no line of their own, from (rule label, fate) in the order
    of the lines; a fate is "replaced", "still covered" or "explained" (see resource_impacts)."""
    by_fate: dict[str, list[str]] = {"replaced": [], "still covered": [], "explained": []}
    for label, fate in fates:
        if fate in by_fate:
            by_fate[fate].append(label)
    replaced, still_covered, explained = by_fate["replaced"], by_fate["still covered"], by_fate["explained"]
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

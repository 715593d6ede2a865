"""GuardDuty suppression rules (filters whose action is ARCHIVE) in words: archived findings are not sent to
EventBridge, so a suppression rule decides what is mailed before any EventBridge rule does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Change, Impact, Level

__all__ = ["criteria_text", "suppression_impacts"]


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

"""The plan model: a stack's resource changes as Terraform plans them, and the impacts found in them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


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
class StackChanges:
    """One stack's plan: its name, the parsed `terraform show -json` document and optional raw plan text.

    `account` and `region` are those its AWS provider is pinned to (`allowed_account_ids`, `region`), when the
    plan's configuration says them plainly: the comment groups identical changes by account with them.
    """

    name: str
    plan: Mapping[str, Any]
    source: str
    text: str | None = None
    account: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    actions: tuple[str, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    after_unknown: Mapping[str, Any]
    # Terraform imports an existing object to this address (an `import` block), then plans `actions` on it.
    importing: bool = False

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
    account: str | None = None
    region: str | None = None



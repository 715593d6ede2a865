"""The mail rules of one configuration: one per severity band and mail shape, each a pattern and a template.

This is the single source of truth: the construct turns each `MailRule` into an EventBridge rule and target,
and `preview` runs the same patterns and templates through moto's EventBridge implementation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .patterns import ALL_SHAPES, FindingFilters, band_pattern, bands_at_or_above
from .severity import Severity
from .templates import MailShape, input_paths, input_template

__all__ = ["MailRule", "mail_rules"]


@dataclass(frozen=True)
class MailRule:
    """One EventBridge rule and its SNS target: which findings (pattern) and what mail (paths + template)."""

    band: Severity
    shape: MailShape
    event_pattern: dict[str, Any]
    input_paths: dict[str, str]
    input_template: str

    @property
    def key(self) -> str:
        """Stable name of the rule within a construct, e.g. "high-instance": construct IDs derive from it."""
        return f"{self.band.name.lower()}-{self.shape.key}"

    def pattern_json(self) -> str:
        return json.dumps(self.event_pattern, sort_keys=True)

    def paths_json(self) -> str:
        return json.dumps(self.input_paths, sort_keys=True)


def mail_rules(
    threshold: float, filters: FindingFilters | None = None, *, shapes: Sequence[MailShape] = ALL_SHAPES
) -> list[MailRule]:
    """Every rule needed to mail findings at or above `threshold` that pass `filters`, in a stable order."""
    filters = filters or FindingFilters()
    rules = []
    for band in bands_at_or_above(threshold):
        for shape in shapes:
            pattern = band_pattern(band, threshold, shape, filters)
            if pattern is None:
                continue
            rules.append(
                MailRule(
                    band=band,
                    shape=shape,
                    event_pattern=pattern,
                    input_paths=input_paths(shape),
                    input_template=input_template(band, shape),
                )
            )
    return rules

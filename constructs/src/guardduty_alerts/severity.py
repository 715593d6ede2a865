"""GuardDuty severity: the labels GuardDuty shows and the numbers findings carry.

GuardDuty scores findings from 1.0 to 10.0 and labels them by band: Low 1.0-3.9, Medium 4.0-6.9,
High 7.0-8.9, Critical 9.0-10.0 (Critical was added in 2024; older modules stop at High).
"""

from __future__ import annotations

import enum
import math

__all__ = ["MAX_SEVERITY", "MIN_SEVERITY", "Severity", "parse_threshold", "threshold_problem"]

MIN_SEVERITY = 1.0
MAX_SEVERITY = 10.0


class Severity(enum.Enum):
    """A GuardDuty severity band; its value is the lowest score in the band."""

    LOW = 1.0
    MEDIUM = 4.0
    HIGH = 7.0
    CRITICAL = 9.0

    @property
    def floor(self) -> float:
        return self.value

    @classmethod
    def of_score(cls, score: float) -> Severity:
        """The band a finding's severity score falls in (6.9 is MEDIUM, 7.0 is HIGH)."""
        band = cls.LOW
        for candidate in cls:
            if score >= candidate.value:
                band = candidate
        return band


_ALLOWED = "one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"


def threshold_problem(value: object) -> str | None:
    """Why `value` is not a usable severity threshold, or None when it is."""
    if isinstance(value, Severity):
        return None
    if isinstance(value, str):
        if value.upper() in Severity.__members__:
            return None
        return f"{value!r} is not a severity; allowed: {_ALLOWED}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not a severity; allowed: {_ALLOWED}"
    if not math.isfinite(value) or not MIN_SEVERITY <= value <= MAX_SEVERITY:
        return f"{value!r} is out of range; allowed: {_ALLOWED}"
    return None


def parse_threshold(value: Severity | str | float) -> float:
    """The numeric floor of a threshold given as a band, a band name (any case) or a number."""
    problem = threshold_problem(value)
    if problem:
        raise ValueError(problem)
    if isinstance(value, Severity):
        return value.floor
    if isinstance(value, str):
        return Severity[value.upper()].floor
    return float(value)

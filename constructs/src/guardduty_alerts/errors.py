"""Exceptions raised by guardduty_alerts.

    GuardDutyAlertsError            base class; catch this to handle every error of the package
    ├── InvalidPropsError           props given to the GuardDutyAlerts construct are invalid
    └── ConfigError                 the YAML configuration file is missing, malformed or invalid

Each carries every problem found, not only the first, so that one run shows all there is to fix.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ConfigError", "GuardDutyAlertsError", "InvalidPropsError"]


class GuardDutyAlertsError(Exception):
    """Base class: a list of problems, each naming the setting, the value received and what is allowed."""

    headline = "invalid input"

    def __init__(self, problems: Iterable[str], *, source: str | None = None) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("an error needs at least one problem")
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = f" in {self.source}" if self.source else ""
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{self.headline}{where}: {count} {noun}"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class InvalidPropsError(GuardDutyAlertsError, ValueError):
    """The props given to the GuardDutyAlerts construct are invalid."""

    headline = "invalid GuardDutyAlerts props"


class ConfigError(GuardDutyAlertsError):
    """The configuration file cannot be used."""

    headline = "invalid configuration"

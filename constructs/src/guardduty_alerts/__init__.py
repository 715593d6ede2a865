"""GuardDuty findings at or above a severity threshold, mailed through SNS: a cdktf construct and app.

Public API: the `GuardDutyAlerts` construct, its enums and its exceptions. The construct is imported on
first use, so that configuration handling does not pay for loading the provider bindings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _provider_loader
from .errors import ConfigError, GuardDutyAlertsError, InvalidPropsError
from .patterns import finding_event_pattern
from .policies import topic_policy
from .severity import Severity
from .validation import PublishingFrequency

if TYPE_CHECKING:
    from .alerts import GuardDutyAlerts

# Before anything imports the provider bindings or starts the jsii kernel: load only the modules used.
_provider_loader.install()

__all__ = [
    "ConfigError",
    "GuardDutyAlerts",
    "GuardDutyAlertsError",
    "InvalidPropsError",
    "PublishingFrequency",
    "Severity",
    "finding_event_pattern",
    "topic_policy",
]


def __getattr__(name: str) -> Any:
    if name == "GuardDutyAlerts":
        from .alerts import GuardDutyAlerts

        return GuardDutyAlerts
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

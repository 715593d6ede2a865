"""guardduty_alerts: a cdktf construct library that mails Amazon GuardDuty findings at or above a severity.

Two kinds of module, both published:

- constructs (need cdktf and the hashicorp/aws provider bindings): `GuardDutyAlerts` (alerts.py), its props
  `AlertsProps` (props.py), and the builders behind it (detector.py, delivery_base.py, mail_group.py,
  channel_delivery.py, guards.py, with delivery.py and formatter.py); `DetectorProtection` (detector_protection.py);
  `OrganizationAdministrator`, `OrganizationMembers` and `adopt_region_detector` (organization.py);
  `FindingForwarder` (forwarder.py);
- the pure model they use (no cdktf): severity bands, event patterns and filters, mail templates, IAM and key
  policies, protection plans, suppression rules, delivery bounds, regions, resource names (naming.py), the
  exception hierarchy (errors.py).

Importing this package has no side effects and loads no provider bindings: the constructs are imported on
first use. To load only the provider modules the constructs use (a synth in seconds instead of tens of
seconds), call `guardduty_alerts.fast_provider.install()` before anything imports `cdktf_cdktf_provider_aws`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .channels import (
    Aggregation,
    Channel,
    EmailChannel,
    MailGroup,
    RawGroup,
    Routing,
    SlackChannel,
    SlackWebhookChannel,
    SqsChannel,
    TeamsChannel,
    TeamsWebhookChannel,
    UserNotificationsChannel,
    WebhookChannel,
)
from .errors import (
    ConfigError,
    EventFileError,
    GuardDutyAlertsError,
    InvalidPropsError,
    PlanFileError,
    StackSelectionError,
    SynthError,
    UsageError,
)
from .notifications import MailRule
from .patterns import FindingFilters, SampleHandling, finding_event_pattern
from .policies import topic_policy
from .protection import ProtectionPlan, ProtectionPlans, RuntimeAgent
from .severity import Severity
from .suppression import SuppressionRule
from .validation import PublishingFrequency

if TYPE_CHECKING:
    from .alerts import GuardDutyAlerts
    from .chat_webhooks import ChatWebhooks
    from .detector_protection import DetectorProtection
    from .formatter import SubjectFormatter
    from .forwarder import FindingForwarder
    from .organization import OrganizationAdministrator, OrganizationMembers, adopt_region_detector
    from .props import AlertsProps
    from .raw_groups import RawGroupResources
    from .user_notifications import UserNotificationsResources

__all__ = [
    "Aggregation",
    "AlertsProps",
    "Channel",
    "ChatWebhooks",
    "ConfigError",
    "DetectorProtection",
    "EmailChannel",
    "EventFileError",
    "FindingFilters",
    "FindingForwarder",
    "GuardDutyAlerts",
    "GuardDutyAlertsError",
    "InvalidPropsError",
    "MailGroup",
    "MailRule",
    "OrganizationAdministrator",
    "OrganizationMembers",
    "PlanFileError",
    "ProtectionPlan",
    "ProtectionPlans",
    "PublishingFrequency",
    "RawGroup",
    "RawGroupResources",
    "Routing",
    "RuntimeAgent",
    "SampleHandling",
    "Severity",
    "SlackChannel",
    "SlackWebhookChannel",
    "SqsChannel",
    "StackSelectionError",
    "SubjectFormatter",
    "SuppressionRule",
    "SynthError",
    "TeamsChannel",
    "TeamsWebhookChannel",
    "UsageError",
    "UserNotificationsChannel",
    "UserNotificationsResources",
    "WebhookChannel",
    "adopt_region_detector",
    "finding_event_pattern",
    "topic_policy",
]

# Constructs load cdktf and the provider bindings: imported when first named, not with the package.
_CONSTRUCTS = {
    "GuardDutyAlerts": ".alerts",
    "AlertsProps": ".props",  # its provider fields (AwsProvider) need the bindings
    "ChatWebhooks": ".chat_webhooks",
    "RawGroupResources": ".raw_groups",
    "UserNotificationsResources": ".user_notifications",
    "SubjectFormatter": ".formatter",
    "DetectorProtection": ".detector_protection",
    "FindingForwarder": ".forwarder",
    "OrganizationAdministrator": ".organization",
    "OrganizationMembers": ".organization",
    "adopt_region_detector": ".organization",
}


def __getattr__(name: str) -> Any:
    module = _CONSTRUCTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)

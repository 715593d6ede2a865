"""What one stack mails, in the construct library's terms: the input of `preview` and `explain`.

The review tools know nothing of the YAML file; the app turns its configuration into these (one per stack
that mails), so the tools serve anyone who uses the construct too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from guardduty_alerts.notifications import MailRule, mail_rules
from guardduty_alerts.patterns import FindingFilters
from guardduty_alerts.severity import parse_threshold
from guardduty_alerts.suppression import SuppressionRule

__all__ = ["StackAlerting"]


@dataclass(frozen=True)
class StackAlerting:
    """One stack that mails findings: its name and region, and the GuardDutyAlerts props that decide what."""

    name: str
    region: str
    # GuardDutyAlerts `name`: the topic, and the prefix of the rule names.
    alerts_name: str
    severity_threshold: str | float
    filters: FindingFilters = field(default_factory=FindingFilters)
    recipients: tuple[str, ...] = ()
    suppression_rules: tuple[SuppressionRule, ...] = ()
    subject_formatter: bool = False
    # Regions whose findings reach this stack's event bus: its own, plus those forwarding to it (central inbox).
    regions_served: tuple[str, ...] = ()

    @property
    def threshold(self) -> float:
        return parse_threshold(self.severity_threshold)

    def mail_rules(self) -> tuple[MailRule, ...]:
        return tuple(mail_rules(self.threshold, self.filters, formatter=self.subject_formatter))

    def serves(self, region: object) -> bool:
        return region == self.region or region in self.regions_served

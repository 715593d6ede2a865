"""What one stack mails, in the construct library's terms: the input of `preview` and `explain`.

The review tools know nothing of the YAML file; the app turns its configuration into these (one per stack
that mails), so the tools serve anyone who uses the construct too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from guardduty_alerts.accounts import AccountNames
from guardduty_alerts.channels import Channel, Routing, route_channels
from guardduty_alerts.notifications import MailRule, mail_rules
from guardduty_alerts.patterns import FindingFilters
from guardduty_alerts.severity import parse_threshold
from guardduty_alerts.suppression import SuppressionRule
from guardduty_alerts.validation import partition_of_region

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
    # GuardDutyAlerts `channels`; each one's threshold and filters default to the stack's own.
    channels: tuple[Channel, ...] = ()
    # The stack's AWS account, when known: explain writes it into the queue policy statement of sqs channels.
    account_id: str | None = None
    # Every account of the config, id -> name: explain and preview name them in words.
    account_names: AccountNames = field(default_factory=lambda: MappingProxyType({}))
    # The unrouted destination (also one of `channels`): explain marks it, so a reader knows why it lists no one.
    unrouted: Channel | None = None
    # GuardDutyAlerts `alarm_actions`: None notifies the alert topic (when there is one), () no one.
    alarm_actions: tuple[str, ...] | None = None

    @property
    def threshold(self) -> float:
        return parse_threshold(self.severity_threshold)

    def mail_rules(self) -> tuple[MailRule, ...]:
        # The mails link to the console of the stack's partition, as the construct writes them.
        partition = partition_of_region(self.region)
        return tuple(mail_rules(self.threshold, self.filters, formatter=self.subject_formatter, partition=partition))

    def routing(self) -> Routing:
        """How the construct groups the recipients and channels into rules and topics."""
        return route_channels(
            self.channels,
            recipients=self.recipients,
            threshold=self.threshold,
            filters=self.filters,
            formatter=self.subject_formatter,
        )

    def serves(self, region: object) -> bool:
        return region == self.region or region in self.regions_served

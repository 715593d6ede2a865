"""What a valid configuration file says, as frozen data with the defaults filled in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from guardduty_alerts.channels import Channel
from guardduty_alerts.delivery_settings import (
    DEFAULT_DEAD_LETTER_RETENTION_SECONDS,
    DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
)
from guardduty_alerts.patterns import DEFAULT_EVENT_PATTERN_SIZE_LIMIT, FindingFilters, SampleHandling
from guardduty_alerts.protection import ProtectionPlans
from guardduty_alerts.suppression import SuppressionRule
from guardduty_alerts.validation import PublishingFrequency

from .channels import channels_for_region

__all__ = ["Account", "AlertsConfig", "OrganizationSettings", "S3State"]


@dataclass(frozen=True)
class AlertsConfig:
    """What a valid configuration file says, with defaults filled in."""

    regions: tuple[str, ...]
    recipients: tuple[str, ...] = ()
    name: str = "guardduty-alerts"
    severity_threshold: str | float = "MEDIUM"
    finding_publishing_frequency: str = PublishingFrequency.FIFTEEN_MINUTES.value
    existing_detector_ids: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    endpoint_url: str | None = None
    encrypt_topic: bool = True
    existing_kms_key_arns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    maximum_event_age_seconds: int = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
    dead_letter_retention_seconds: int = DEFAULT_DEAD_LETTER_RETENTION_SECONDS
    alarm_actions: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    include_types: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()
    sample_findings: str = SampleHandling.DELIVER.value
    new_findings_only: bool = False
    # The top-level finding_accounts / finding_accounts_except, ids (names resolved at load), sorted.
    finding_accounts: tuple[str, ...] = ()
    finding_accounts_except: tuple[str, ...] = ()
    suppression_rules: tuple[SuppressionRule, ...] = ()
    subject_formatter: bool = False
    event_pattern_size_limit: int = DEFAULT_EVENT_PATTERN_SIZE_LIMIT
    protection_plans: ProtectionPlans = field(default_factory=ProtectionPlans)
    central_inbox_home_region: str | None = None
    # Empty: one account, the one the deploying credentials belong to.
    accounts: tuple[Account, ...] = ()
    organization: OrganizationSettings | None = None
    state: S3State | None = None
    channels: tuple[Channel, ...] = ()
    # The unrouted destination (also the last of `channels`): the findings of the accounts no route lists.
    unrouted: Channel | None = None
    # The stack of this region holds the user_notifications channel (None: there is none).
    user_notifications_home_region: str | None = None
    # The stack of this region holds the account's Slack and Teams configurations (None: there are none).
    chat_home_region: str | None = None

    def chat_topic_regions(self, region: str) -> tuple[str, ...] | None:
        """The construct's `chat_topic_regions` in the stack of `region`: in the chat home stack the regions
        whose raw topics feed the configurations (with a central inbox only its home region, where every
        finding arrives), elsewhere none (another stack holds them); None when there is no chat channel."""
        if self.chat_home_region is None:
            return None
        if region != self.chat_home_region:
            return ()
        inbox = self.central_inbox_home_region
        return (inbox,) if inbox else tuple(sorted(self.regions))

    def channels_for(self, region: str) -> tuple[Channel, ...]:
        """The channels the stack of `region` delivers to (an sqs channel only in its queue's region)."""
        return channels_for_region(self.channels, region, home_region=self.user_notifications_home_region)

    @property
    def filters(self) -> FindingFilters:
        """The finding filters this configuration sets, for the construct and the preview."""
        return FindingFilters(
            include_types=self.include_types,
            exclude_types=self.exclude_types,
            samples=SampleHandling(self.sample_findings),
            new_only=self.new_findings_only,
            accounts=self.finding_accounts,
            exclude_accounts=self.finding_accounts_except,
        )

    def stack_name(self, region: str) -> str:
        """Stack name for `region`: readable, and stable whatever the order of the region list."""
        return f"{self.name}-{region}"


@dataclass(frozen=True)
class Account:
    """One account of the estate, with its settings: the defaults with its own overrides applied."""

    id: str
    name: str
    config: AlertsConfig
    role_arn: str | None = None

    @property
    def display_name(self) -> str:
        """Sender name of the mails (the topic's display name): which account the alert is about."""
        return f"GuardDuty {self.name} {self.id}"


@dataclass(frozen=True)
class OrganizationSettings:
    management_account: str
    administrator_account: str
    auto_enable: str = "ALL"


@dataclass(frozen=True)
class S3State:
    """Remote state in S3, one object per stack: `<key_prefix>/<stack name>.tfstate`."""

    bucket: str
    region: str
    key_prefix: str = "guardduty-alerts"
    use_lockfile: bool = True
    dynamodb_table: str | None = None

    def key(self, stack_name: str) -> str:
        return f"{self.key_prefix}/{stack_name}.tfstate"

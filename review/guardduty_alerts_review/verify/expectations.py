"""What a deployed stack should hold, in the construct library's terms: the input of `verify`.

Pure data. The app builds one `StackExpectation` per stack from its configuration (the review tools know
nothing of the YAML file); every resource name is derived with the library's own naming functions, and the
rules from `mail_rules(threshold, filters)`, so whatever the construct creates is what is looked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from guardduty_alerts.accounts import AccountNames
from guardduty_alerts.inbox import forwarding_event_pattern
from guardduty_alerts.naming import (
    channel_failures_alarm_name,
    dead_letter_queue_name,
    delivery_alarm_names,
    formatter_function_name,
    forwarding_rule_name,
    key_alias_name,
    rule_name,
    topic_name,
)
from guardduty_alerts.notifications import MailRule
from guardduty_alerts.protection import ProtectionPlans

from ..alerting import StackAlerting

__all__ = ["DeliveryExpectation", "DetectorExpectation", "ForwardingExpectation", "StackExpectation"]


@dataclass(frozen=True)
class DetectorExpectation:
    """The region's detector: created by the stack (its frequency is then the stack's), or adopted."""

    publishing_frequency: str
    existing_detector_id: str | None = None
    protection_plans: ProtectionPlans = field(default_factory=ProtectionPlans)

    @property
    def adopted(self) -> bool:
        return self.existing_detector_id is not None


@dataclass(frozen=True)
class DeliveryExpectation:
    """How the topic is encrypted and how the rules' targets retry (GuardDutyAlerts' delivery props)."""

    encrypt_topic: bool = True
    existing_kms_key_arn: str | None = None
    maximum_event_age_seconds: int = 86400
    maximum_retry_attempts: int = 185


@dataclass(frozen=True)
class ForwardingExpectation:
    """A central-inbox region other than the home region: one rule forwarding every finding to the home bus."""

    alerts_name: str
    home_region: str

    @property
    def rule_name(self) -> str:
        return forwarding_rule_name(self.alerts_name, self.home_region)

    @property
    def event_pattern(self) -> dict[str, object]:
        return forwarding_event_pattern()


@dataclass(frozen=True)
class StackExpectation:
    """One stack: where it is (account, region, the role to assume) and what it should hold there.

    A stack that mails has `alerting` and `delivery`; a forwarding stack has `forwarding`. Both have a detector.
    """

    name: str
    region: str
    detector: DetectorExpectation
    # None: the account of the credentials in use.
    account_id: str | None = None
    role_arn: str | None = None
    # Every account of the config, id -> name: the report names them in words.
    account_names: AccountNames = field(default_factory=lambda: MappingProxyType({}))
    alerting: StackAlerting | None = None
    delivery: DeliveryExpectation | None = None
    forwarding: ForwardingExpectation | None = None

    def __post_init__(self) -> None:
        mails = self.alerting is not None and self.delivery is not None
        if mails == (self.forwarding is not None) or (self.alerting is None) != (self.delivery is None):
            raise ValueError(f"stack {self.name}: give alerting and delivery, or forwarding, not both or neither")

    # The names below are those of an alerting stack; they raise on a forwarding stack.

    def _alerts(self) -> StackAlerting:
        if self.alerting is None:
            raise ValueError(f"stack {self.name} forwards findings; it has no topic or mail rules")
        return self.alerting

    @property
    def mail_rules(self) -> tuple[MailRule, ...]:
        return self._alerts().mail_rules()

    @property
    def rule_names(self) -> dict[str, str]:
        """Rule key -> rule name, in the order of `mail_rules`."""
        name = self._alerts().alerts_name
        return {rule.key: rule_name(name, rule.key) for rule in self.mail_rules}

    @property
    def topic_name(self) -> str:
        return topic_name(self._alerts().alerts_name)

    @property
    def dead_letter_queue_name(self) -> str:
        return dead_letter_queue_name(self._alerts().alerts_name)

    @property
    def mails(self) -> bool:
        """Whether the stack has the top-level mail (a topic with recipients); a stack of channels only has not."""
        return bool(self._alerts().recipients)

    @property
    def alarm_names(self) -> tuple[str, ...]:
        alerting = self._alerts()
        names = delivery_alarm_names(alerting.alerts_name)
        # Without the mail's rules there is no failed-invocations alarm, only the dead-letter one.
        names = names if self.mails else names[1:]
        # Channels with rules of their own (raw topics, chat webhooks on their own settings) have one more.
        routing = alerting.routing()
        if routing.raw_groups or any(group.key for group in routing.mail_groups):
            names += (channel_failures_alarm_name(alerting.alerts_name),)
        return names

    @property
    def expected_key(self) -> str | None:
        """What the topic should be encrypted with (a key ARN, or the alias of the key created), None: nothing."""
        assert self.delivery is not None
        if not self.delivery.encrypt_topic:
            return None
        return self.delivery.existing_kms_key_arn or key_alias_name(self._alerts().alerts_name)

    @property
    def formatter_function_name(self) -> str | None:
        alerting = self._alerts()
        return formatter_function_name(alerting.alerts_name) if alerting.subject_formatter else None

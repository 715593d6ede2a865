"""The mail kinds (email, AWS User Notifications) and `CHANNEL_KINDS`,
the one registry of every kind: the config file's `kind` values map to these classes, and nothing outside the
kind modules (channel_base.py, chat_channels.py, endpoint_channels.py, this one) asks which class a channel is.

Adding a kind: its class here, in chat_channels.py or in endpoint_channels.py (fill in the hooks of
`ChannelBase`), its entry in `CHANNEL_KINDS` and `ChannelKind`, and its keys in the config schema
(app/.../config/channels.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from .channel_base import (
    USER_NOTIFICATIONS_API_REGION,
    USER_NOTIFICATIONS_REGIONS,
    Aggregation,
    ChannelBase,
    ChannelKind,
    ChannelList,
    ChannelSetup,
    Placement,
    Route,
    address_problems,
    mailed_twice,
    user_notifications_filter_problem,
)
from .chat_channels import SlackChannel, SlackWebhookChannel, TeamsChannel, TeamsWebhookChannel
from .endpoint_channels import SqsChannel, WebhookChannel
from .patterns import FindingFilters
from .validation import partition_of_region

__all__ = [
    "CHANNEL_KINDS",
    "Channel",
    "EmailChannel",
    "SqsChannel",
    "UserNotificationsChannel",
    "WebhookChannel",
    "is_channel",
    "kind_class",
]


@dataclass(frozen=True, kw_only=True)
class EmailChannel(ChannelBase):
    """The readable mail, through an SNS topic with one email subscription per address."""

    kind: ClassVar[ChannelKind] = ChannelKind.EMAIL
    route: ClassVar[Route] = Route.MAIL
    keyed: ClassVar[bool] = False
    samples_words: ClassVar[str] = "mailed, marked SAMPLE"
    addresses: tuple[str, ...]

    def _problems(self, *, emulated: bool = False) -> list[tuple[str, str]]:
        return address_problems(self.addresses)

    def _list_problems(self, at: str, index: int, seen: ChannelList) -> tuple[list[str], bool]:
        problems = []
        for number, address in enumerate(self.addresses):
            first = seen.mailed.setdefault(address.lower(), f"{at}.addresses")
            if first != f"{at}.addresses":
                problems.append(
                    f"{at}.addresses[{number}]: {address!r} is also in {first}, so it would get the findings "
                    "both deliver twice; allowed: each address in one email channel (the one with the lowest "
                    "threshold it needs)"
                )
            elif address.lower() in seen.notified:
                problems.append(mailed_twice(f"{at}.addresses[{number}]", address, seen.notified[address.lower()]))
        return problems, False

    def _setup_problems(self, at: str, setup: ChannelSetup) -> list[str]:
        if not setup.subject_formatter or (self.severity_threshold is None and self.filters is None):
            return []
        return [
            f"{at}: an email channel with its own severity_threshold or filters while subject_formatter is on; "
            "allowed: email channels with the top-level settings (the formatter writes to one topic), or "
            "subject_formatter off"
        ]

    def destination(self) -> str:
        return "email:" + ",".join(sorted(a.lower() for a in self.addresses))

    def describe(self) -> str:
        return "mail to " + ", ".join(self.addresses)

    def once(self, *, region: str | None, raw_topic_arn: Callable[[], str]) -> str:
        return "each address confirms the subscription mail AWS sends; nothing arrives before that"


@dataclass(frozen=True, kw_only=True)
class UserNotificationsChannel(ChannelBase):
    """AWS User Notifications: AWS formats and sends the mail (a subject, optional digests, the Console
    Notification Center and mobile push); no topic, rule or Lambda of ours.

    :param addresses: email contacts; each gets one activation mail from AWS to accept.
    :param aggregation: NONE (one mail per finding), SHORT (5-minute digests) or LONG (12-hour digests).
        Default: NONE.
    :param regions: regions whose findings this configuration receives. Default: the stack's region.
    :param create_hub: register the account's notification hub in the stack's region
        (`aws_notifications_notification_hub`). AWS User Notifications needs a hub before any configuration
        ("Storing, processing, and replicating notifications using notification hubs" in its user guide); a
        hub is an account-wide setting, at most one per region and three per account, so set this in one
        stack of the account only. Default: False, a hub registered once in the console (Notification hubs).
    """

    kind: ClassVar[ChannelKind] = ChannelKind.USER_NOTIFICATIONS
    route: ClassVar[Route] = Route.USER_NOTIFICATIONS
    placement: ClassVar[Placement] = Placement.HOME_REGION
    keyed: ClassVar[bool] = False
    addresses: tuple[str, ...]
    aggregation: Aggregation | str = Aggregation.NONE
    regions: tuple[str, ...] = ()
    create_hub: bool = False

    def _problems(self, *, emulated: bool = False) -> list[tuple[str, str]]:
        problems = address_problems(self.addresses)
        if not isinstance(self.create_hub, bool):
            problems.append(("create_hub", f"{self.create_hub!r} is not allowed; allowed: true or false"))
        allowed = [item.value for item in Aggregation]
        value = self.aggregation.value if isinstance(self.aggregation, Aggregation) else self.aggregation
        if value not in allowed:
            problems.append(
                ("aggregation", f"{self.aggregation!r} is not allowed; allowed: one of {', '.join(allowed)}")
            )
        for index, region in enumerate(self.regions):
            if region not in USER_NOTIFICATIONS_REGIONS:
                problems.append(
                    (
                        f"regions[{index}]",
                        f"{region!r} is not served by AWS User Notifications; "
                        "allowed: a commercial AWS region (not GovCloud or China)",
                    )
                )
        return problems

    def _placement_problems(self, at: str, seen: ChannelList) -> list[str]:
        problems = []
        seen.user_notifications += 1
        if seen.user_notifications > 1:
            problems.append(
                f"{at}: a second user_notifications channel; allowed: one per stack, with every address in it"
            )
        # In GovCloud and China the kind itself is refused (channel_checks.partition_problem): one message.
        if seen.region and seen.region not in USER_NOTIFICATIONS_REGIONS and partition_of_region(seen.region) == "aws":
            problems.append(
                f"{at}: AWS User Notifications does not serve {seen.region}; allowed in a commercial AWS region only"
            )
        return problems

    def _list_problems(self, at: str, index: int, seen: ChannelList) -> tuple[list[str], bool]:
        problems = []
        for number, address in enumerate(self.addresses):
            seen.notified.setdefault(address.lower(), f"{at}.addresses")
            if address.lower() in seen.mailed:
                problems.append(mailed_twice(f"{at}.addresses[{number}]", address, seen.mailed[address.lower()]))
        return problems, False

    def _setup_problems(self, at: str, setup: ChannelSetup) -> list[str]:
        problems = []
        if not setup.notifications_provider and setup.region != USER_NOTIFICATIONS_API_REGION:
            problems.append(
                f"{at}: AWS User Notifications has its API in {USER_NOTIFICATIONS_API_REGION} only, this stack's "
                f"provider is in {setup.region or 'an unknown region'}; allowed: pass notifications_provider, an "
                f"AwsProvider (with an alias) in {USER_NOTIFICATIONS_API_REGION}"
            )
        problem = self.filter_problem(self.filters or setup.filters or FindingFilters())
        if problem:
            own = self.filters is not None
            where = f"{at}.filters.exclude_types" if own else f"filters.exclude_types (used by {at})"
            problems.append(f"{where}: {problem}")
        return problems

    def filter_problem(self, filters: FindingFilters) -> str | None:
        return user_notifications_filter_problem(filters)

    @property
    def aggregation_value(self) -> str:
        return self.aggregation.value if isinstance(self.aggregation, Aggregation) else str(self.aggregation)

    def delivers_in(self, region: str, *, home_region: str | None) -> bool:
        return region == home_region

    def destination(self) -> str:
        return "user_notifications"

    def describe(self) -> str:
        return "AWS User Notifications mail to " + ", ".join(self.addresses)

    def delivery_words(self) -> str | None:
        return f"AWS formats the mail; aggregation {self.aggregation_value}"

    def once(self, *, region: str | None, raw_topic_arn: Callable[[], str]) -> str:
        hub = (
            f"this stack registers the account's notification hub in {region}"
            if self.create_hub
            else "the account needs a notification hub (create_hub: true, or once in the console) before the apply"
        )
        return (
            f"{hub}; each address accepts the activation mail AWS User Notifications sends; nothing arrives before that"
        )


# The registry: every kind, in the order the config file's documentation lists them.
CHANNEL_KINDS: tuple[type[ChannelBase], ...] = (
    EmailChannel,
    SlackChannel,
    TeamsChannel,
    SlackWebhookChannel,
    TeamsWebhookChannel,
    WebhookChannel,
    SqsChannel,
    UserNotificationsChannel,
)
# The same kinds as one type, for annotations.
Channel = (
    EmailChannel
    | SlackChannel
    | TeamsChannel
    | SlackWebhookChannel
    | TeamsWebhookChannel
    | WebhookChannel
    | SqsChannel
    | UserNotificationsChannel
)


def is_channel(value: object) -> bool:
    """Whether `value` is a channel of one of the registered kinds."""
    return isinstance(value, CHANNEL_KINDS)


def kind_class(kind: ChannelKind | str) -> type[ChannelBase]:
    """The class of a kind (`ChannelKind` or its value, as the config file writes it)."""
    value = kind.value if isinstance(kind, ChannelKind) else kind
    for cls in CHANNEL_KINDS:
        if cls.kind.value == value:
            return cls
    raise ValueError(f"{value!r} is not a channel kind; allowed: one of {', '.join(k.value for k in ChannelKind)}")

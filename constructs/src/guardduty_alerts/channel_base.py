"""What every channel kind shares: the closed sets (kinds, routes, placements), the formats their settings are
checked against, and `ChannelBase`, the hooks each kind fills in so that no other module switches on a kind's
class (aws-cdk's `bind()`: the integration knows how it attaches itself).

The kinds themselves are in chat_channels.py (Slack, Teams, the chat webhooks) and channel_kinds.py (email,
HTTPS webhook, SQS, User Notifications, and `CHANNEL_KINDS`, the one registry of them all).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .accounts import AccountNames
from .patterns import FindingFilters, exclusion_uses_wildcard
from .regions import ALL_REGIONS
from .severity import Severity
from .validation import address_list_problems

if TYPE_CHECKING:
    from constructs import Construct

    from ._aws import SnsTopic, SnsTopicSubscription

__all__ = [
    "CHAT_API_REGIONS",
    "USER_NOTIFICATIONS_API_REGION",
    "USER_NOTIFICATIONS_REGIONS",
    "Aggregation",
    "ChannelBase",
    "ChannelKind",
    "ChannelList",
    "ChannelSetup",
    "Placement",
    "Route",
    "user_notifications_filter_problem",
]


class ChannelKind(enum.Enum):
    EMAIL = "email"
    SLACK = "slack"
    TEAMS = "teams"
    SLACK_WEBHOOK = "slack_webhook"
    TEAMS_WEBHOOK = "teams_webhook"
    WEBHOOK = "webhook"
    SQS = "sqs"
    USER_NOTIFICATIONS = "user_notifications"


class Route(enum.Enum):
    """How `route_channels` groups a kind (see channels.py)."""

    MAIL = "mail group"  # addresses on a mail group's topic, riding on its band rules
    CHAT_WEBHOOK = "chat webhook"  # an API destination targeted by a mail group's band rules
    RAW = "raw group"  # delivered from a raw group's topic (the whole event)
    USER_NOTIFICATIONS = "User Notifications"  # AWS owns the rule; no group of ours


class Placement(enum.Enum):
    """Which stacks of an estate (one per region) deliver to a kind."""

    EVERY_REGION = "every region"
    OWN_REGION = "the region of its destination"  # SNS subscribes queues of its own region only
    HOME_REGION = "the account's home region"  # one configuration per account


class Aggregation(enum.Enum):
    """How AWS User Notifications groups bursts of findings into one mail."""

    NONE = "NONE"  # one mail per finding
    SHORT = "SHORT"  # a digest of what arrives within 5 minutes
    LONG = "LONG"  # a digest of what arrives within 12 hours


# AWS User Notifications observes events in the commercial partition only (its control plane is in
# us-east-1); GovCloud and China are not served. Our region list is the commercial partition's.
USER_NOTIFICATIONS_REGIONS: tuple[str, ...] = ALL_REGIONS
# AWS User Notifications' control plane is in us-east-1 only.
USER_NOTIFICATIONS_API_REGION = "us-east-1"
# Where Amazon Q Developer in chat applications (formerly AWS Chatbot) has its API: its configurations are
# account-wide and may subscribe to topics of any region, but must be created through one of these.
CHAT_API_REGIONS = ("ap-southeast-1", "eu-west-1", "us-east-2", "us-west-2")

# Slack ids: a workspace (team) id starts with T, a channel id with C (public), G (private) or D; both are
# upper-case letters and digits.
SLACK_WORKSPACE_PATTERN = r"^T[A-Z0-9]{6,}$"
SLACK_CHANNEL_PATTERN = r"^[CGD][A-Z0-9]{6,}$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# A Teams channel id as Teams' "Get link to channel" shows it, URL-decoded: 19:<id>@thread.tacv2 (or .skype).
TEAMS_CHANNEL_PATTERN = r"^19:[A-Za-z0-9_\-]+@thread\.(tacv2|skype)$"
SSM_PARAMETER_PATTERN = r"^/[A-Za-z0-9_.\-/]{1,1010}$"
# Terraform reads a variable's value from TF_VAR_<name> at plan and apply time.
URL_ENV_VAR_PATTERN = r"^TF_VAR_[A-Za-z][A-Za-z0-9_]{0,63}$"
# SQS queue names: 1 to 80 alphanumerics, hyphens and underscores, ".fifo" included for a FIFO queue
# (Amazon SQS Developer Guide, "Amazon SQS queue quotas"; CreateQueue API reference, QueueName).
SQS_QUEUE_NAME_PATTERN = r"(?=.{1,80}$)[A-Za-z0-9_-]+(\.fifo)?"
CHANNEL_NAME_PATTERN = r"^[a-z][a-z0-9\-]{0,30}[a-z0-9]$"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def matches_pattern(pattern: str, value: object) -> bool:
    # fullmatch: a pattern's `$` also matches before a final line break, which YAML's block scalars keep.
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def address_problems(addresses: object) -> list[tuple[str, str]]:
    if isinstance(addresses, str) or not isinstance(addresses, (list, tuple)):
        return [("addresses", f"{addresses!r} is not a list; allowed: a list of email addresses")]
    if not addresses:
        return [
            ("addresses", "the list is empty, so this channel delivers nothing; allowed: at least one email address")
        ]
    return address_list_problems("addresses", addresses)


def mailed_twice(where: str, address: str, first: str) -> str:
    return (
        f"{where}: {address!r} is also in {first}, so that mailbox would get every finding twice, once from SNS "
        "and once from AWS User Notifications; allowed: each address either in recipients and email channels or "
        "in the user_notifications channel"
    )


def user_notifications_filter_problem(filters: FindingFilters) -> str | None:
    """Why AWS User Notifications would refuse the event rule of these filters, or None.

    Its user guide ("Filtering event rules using customized JSON event patterns in AWS User Notifications")
    says: "Wildcards aren't currently supported." Excluding several prefixes, or a prefix with exact types,
    needs EventBridge's `anything-but: {wildcard: [...]}`; there is no other form for it in one condition.
    """
    if filters.include_types or not exclusion_uses_wildcard(filters.exclude_types):
        return None
    return (
        f"{json.dumps(list(filters.exclude_types))} excludes more than one prefix, or prefixes with exact types, "
        "which EventBridge can express only with a wildcard pattern, and AWS User Notifications does not support "
        "wildcards in event patterns; allowed for a user_notifications channel: exact finding types, or a single "
        "prefix (ending in ':', '/' or '*')"
    )


@dataclass
class ChannelList:
    """What `channel_problems` has seen so far in one list, for the checks that compare channels."""

    where: str
    region: str | None
    emulated: bool
    # Address (lower case) -> where it is first mailed: recipients and email channels, then User Notifications.
    mailed: dict[str, str] = field(default_factory=dict)
    notified: dict[str, str] = field(default_factory=dict)
    destinations: dict[str, int] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)
    variables: dict[str, int] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)
    user_notifications: int = 0


@dataclass(frozen=True)
class ChannelSetup:
    """What a channel may need of the rest of the construct (see props.py)."""

    region: str | None
    subject_formatter: bool
    filters: FindingFilters | None
    chat_provider: bool  # a chat_provider prop is given
    notifications_provider: bool
    holds_chat_configurations: bool


@dataclass(frozen=True, kw_only=True)
class ChannelBase:
    """What every channel may set: its own threshold and filters, and a name for its resources.

    :param severity_threshold: lowest severity this channel gets. Default: the construct's threshold.
    :param filters: finding filters of this channel. Default: the construct's filters.
    :param name: lowercase name for this channel's resources (2 to 32 letters, digits, hyphens). Default:
        derived from the destination (the channel id, the webhook's host, the queue's name).
    """

    kind: ClassVar[ChannelKind]
    route: ClassVar[Route] = Route.RAW
    placement: ClassVar[Placement] = Placement.EVERY_REGION
    # How the kind is delivered: SNS subscribes it to its raw group's topic (failed deliveries dead-letter
    # through the subscription's redrive policy), or the chat integration holds a configuration for it (which
    # needs the chat role).
    topic_subscription: ClassVar[bool] = False
    chat_configuration: ClassVar[bool] = False
    # Its key names resources of its own, so two channels must not share it (email and User Notifications
    # channels name none: their resources are keyed by address).
    keyed: ClassVar[bool] = True
    # How explain says what happens to sample findings it lets through.
    samples_words: ClassVar[str] = "delivered too (the event says sample: true)"
    severity_threshold: Severity | str | float | None = None
    filters: FindingFilters | None = None
    name: str | None = None

    # --- validation ---------------------------------------------------------------------------------------

    def _problems(self, *, emulated: bool = False) -> list[tuple[str, str]]:
        """Its own settings' problems, as (setting, problem); `emulated`: the stack calls a local emulator."""
        return []

    def _placement_problems(self, at: str, seen: ChannelList) -> list[str]:
        """Problems of where this channel is, given the stack's region (checked even with bad settings)."""
        return []

    def _list_problems(self, at: str, index: int, seen: ChannelList) -> tuple[list[str], bool]:
        """Problems with the channels before it (only when its own settings are valid); True to stop there."""
        return [], False

    def _setup_problems(self, at: str, setup: ChannelSetup) -> list[str]:
        """What it needs of the rest of the construct: a provider in the right region, settings that fit."""
        return []

    @property
    def banded(self) -> bool:
        """Whether the kind rides on its mail group's band rules (one rule per band, and one for samples) rather
        than on one rule for every finding: what the size of its event patterns is measured on."""
        return self.route in (Route.MAIL, Route.CHAT_WEBHOOK)

    def filter_problem(self, filters: FindingFilters) -> str | None:
        """Why its destination would refuse these filters, or None."""
        return None

    # --- naming and words ---------------------------------------------------------------------------------

    def key(self) -> str:
        """Stable stem of this channel's construct IDs and resource names."""
        return self.name or self._default_key()

    def _default_key(self) -> str:
        return self.kind.value.replace("_", "-")

    def destination(self) -> str:
        """What two channels must not share (the same destination configured twice)."""
        return self.key()

    def describe(self) -> str:
        """The destination in words, as explain, verify and plan-summary print it."""
        return self.key()

    def describe_named(self, names: AccountNames) -> str:
        """`describe` with any account of the config in words ("account payments-prod (111111111111)"), for
        explain and preview; `describe` alone stays as it is where no names are at hand (validation messages,
        resource descriptions, whose text is part of the Terraform JSON)."""
        return self.describe()

    def delivery_words(self) -> str | None:
        """What it gets, beyond the severities, in explain's words (None: nothing to add)."""
        return None

    def once(self, *, region: str | None, raw_topic_arn: Callable[[], str]) -> str:
        """What someone must do once before the destination gets anything (explain's "once" row)."""
        raise NotImplementedError

    def delivers_in(self, region: str, *, home_region: str | None) -> bool:
        """Whether the stack of `region` delivers to it (see `placement`)."""
        return True

    @property
    def own_region(self) -> str | None:
        """The region of its destination, for `Placement.OWN_REGION` kinds (None for the others)."""
        return None

    # --- what verify looks for -----------------------------------------------------------------------------

    def chat_listing(self) -> tuple[str, str, dict[str, str]]:
        """How verify lists the account's chat configurations of this kind (`chat_configuration` kinds): the
        chatbot API method, the key of its results, the arguments."""
        raise NotImplementedError(f"a {self.kind.value} channel has no chat configuration")

    def is_configuration_of(self, configuration: dict[str, Any]) -> bool:
        """Whether a listed chat configuration is this channel's."""
        raise NotImplementedError(f"a {self.kind.value} channel has no chat configuration")

    def sns_subscription(self) -> tuple[str, str]:
        """The protocol and endpoint of its SNS subscription (`topic_subscription` kinds)."""
        raise NotImplementedError(f"a {self.kind.value} channel has no topic subscription")

    def subscription_label(self, redact: Callable[[str], str]) -> str:
        """Verify's name for its subscription; `redact` hides a URL's secret parts."""
        raise NotImplementedError(f"a {self.kind.value} channel has no topic subscription")

    def confirm_advice(self, apply: str) -> str:
        """How its subscription gets confirmed (verify's fix); `apply` is the stack's apply command."""
        raise NotImplementedError(f"a {self.kind.value} channel has no topic subscription")

    # --- resources ----------------------------------------------------------------------------------------

    def queue_statement(self, topic_arn: str) -> dict[str, Any] | None:
        """The statement its queue's policy needs so SNS can deliver from `topic_arn` (None: no queue)."""
        return None

    def subscribe(self, scope: Construct, topic: SnsTopic, redrive: str) -> SnsTopicSubscription:
        """SNS's delivery of a raw topic to it (kinds with `topic_subscription`), dead-lettering what fails."""
        raise NotImplementedError(f"a {self.kind.value} channel has no topic subscription")

    def configure_chat(self, scope: Construct, common: dict[str, Any]) -> Any:
        """The chat integration's configuration of it (kinds with `chat_configuration`)."""
        raise NotImplementedError(f"a {self.kind.value} channel has no chat configuration")

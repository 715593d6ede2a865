"""Where findings go besides (or instead of) the readable mail: the channel kinds, as frozen data.

Each channel says where findings go and, optionally, its own severity threshold and finding filters (default:
the construct's). The construct routes them with as few rules as it can (`route_channels`):

- **Mail groups** (`email`, and the chat webhooks `slack_webhook`/`teams_webhook`): an input transformer
  cannot compute a band label, so these ride on one rule per severity band plus one for samples. Channels with
  the same threshold and filters share those rules; the group with the construct's own settings uses the
  construct's band rules (IDs unchanged since before channels existed).
- **Raw groups** (`slack`, `teams`, `webhook`, `sqs`): the whole event on an SNS topic. One rule, one topic
  per distinct threshold and filter set, shared by every raw channel with those settings.
- `user_notifications` has no EventBridge rule of ours: AWS User Notifications owns the rule it creates.

Construct IDs derive from the destination (a channel id, a host, a queue name) or from the threshold, never
from a channel's position in the list.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from .patterns import FindingFilters, exclusion_uses_wildcard
from .regions import ALL_REGIONS, PARTITIONS, channel_kind_problem
from .severity import Severity, parse_threshold, threshold_problem
from .validation import (
    address_list_problems,
    arn_problem,
    https_url_problem,
    parse_arn,
    partition_of_region,
    text_problem,
)

__all__ = [
    "USER_NOTIFICATIONS_REGIONS",
    "Aggregation",
    "Channel",
    "ChannelKind",
    "ChatWebhookChannel",
    "EmailChannel",
    "MailGroup",
    "RawGroup",
    "Routing",
    "SlackChannel",
    "SlackWebhookChannel",
    "SqsChannel",
    "TeamsChannel",
    "TeamsWebhookChannel",
    "UserNotificationsChannel",
    "WebhookChannel",
    "channel_problems",
    "partition_problem",
    "route_channels",
    "threshold_label",
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


class Aggregation(enum.Enum):
    """How AWS User Notifications groups bursts of findings into one mail."""

    NONE = "NONE"  # one mail per finding
    SHORT = "SHORT"  # a digest of what arrives within 5 minutes
    LONG = "LONG"  # a digest of what arrives within 12 hours


# AWS User Notifications observes events in the commercial partition only (its control plane is in
# us-east-1); GovCloud and China are not served. Our region list is the commercial partition's.
USER_NOTIFICATIONS_REGIONS: tuple[str, ...] = ALL_REGIONS

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
_SQS_ALLOWED = "arn:aws:sqs:<region>:<account>:<queue name>"
# A secret for an SNS https endpoint cannot come from SSM here (SNS keeps the endpoint as given).
_WEBHOOK_CREDENTIALS_ADVICE = (
    "an https:// URL without user:password@; have the receiver check SNS's message signature (SNS signs "
    "every message) or a key in the path, as PagerDuty's and Opsgenie's integration URLs do; for Slack or "
    "Teams use kind slack_webhook or teams_webhook, whose URL is read from url_ssm_parameter"
)
CHANNEL_NAME_PATTERN = r"^[a-z][a-z0-9\-]{0,30}[a-z0-9]$"


def threshold_label(threshold: float) -> str:
    """ "medium" for a band's floor, "7-5" for 7.5: the part of a group's key that says its threshold."""
    for band in Severity:
        if band.floor == threshold:
            return band.name.lower()
    return f"{threshold:g}".replace(".", "-")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _filters_digest(filters: FindingFilters) -> str:
    """Six hex digits naming a filter set: stable across runs, different for different filters."""
    parts: tuple[object, ...] = (
        sorted(filters.include_types),
        sorted(filters.exclude_types),
        filters.samples.value,
        filters.new_only,
    )
    if filters.accounts or filters.exclude_accounts:
        # Only then: the digest of every filter set without accounts stays what it was (the groups' construct IDs
        # and resource names are derived from it).
        parts += (sorted(filters.accounts), sorted(filters.exclude_accounts))
    text = repr(parts)
    return hashlib.sha256(text.encode()).hexdigest()[:6]


@dataclass(frozen=True, kw_only=True)
class _ChannelBase:
    """What every channel may set: its own threshold and filters, and a name for its resources.

    :param severity_threshold: lowest severity this channel gets. Default: the construct's threshold.
    :param filters: finding filters of this channel. Default: the construct's filters.
    :param name: lowercase name for this channel's resources (2 to 32 letters, digits, hyphens). Default:
        derived from the destination (the channel id, the webhook's host, the queue's name).
    """

    kind: ClassVar[ChannelKind]
    # How the kind is delivered, read by the builders instead of switching on the class: SNS subscribes it to
    # its raw group's topic (failed deliveries dead-letter through the subscription's redrive policy), or the
    # chat integration holds a configuration for it (which needs the chat role).
    topic_subscription: ClassVar[bool] = False
    chat_configuration: ClassVar[bool] = False
    severity_threshold: Severity | str | float | None = None
    filters: FindingFilters | None = None
    name: str | None = None

    def _problems(self) -> list[tuple[str, str]]:
        return []

    def key(self) -> str:
        """Stable stem of this channel's construct IDs and resource names."""
        return self.name or self._default_key()

    def _default_key(self) -> str:
        return self.kind.value.replace("_", "-")

    def destination(self) -> str:
        """What two channels must not share (the same destination configured twice)."""
        return self.key()

    def describe(self) -> str:
        """The destination in words, as explain and plan-summary print it."""
        return self.key()


@dataclass(frozen=True, kw_only=True)
class EmailChannel(_ChannelBase):
    """The readable mail, through an SNS topic with one email subscription per address."""

    kind: ClassVar[ChannelKind] = ChannelKind.EMAIL
    addresses: tuple[str, ...]

    def _problems(self) -> list[tuple[str, str]]:
        return _address_problems(self.addresses)

    def destination(self) -> str:
        return "email:" + ",".join(sorted(a.lower() for a in self.addresses))

    def describe(self) -> str:
        return "mail to " + ", ".join(self.addresses)


@dataclass(frozen=True, kw_only=True)
class SlackChannel(_ChannelBase):
    """A Slack channel through Amazon Q Developer in chat applications (formerly AWS Chatbot), which renders
    GuardDuty findings from the raw event. The workspace must be authorized once in its console."""

    kind: ClassVar[ChannelKind] = ChannelKind.SLACK
    chat_configuration: ClassVar[bool] = True
    workspace_id: str
    channel_id: str

    def _problems(self) -> list[tuple[str, str]]:
        problems = []
        if not _matches(SLACK_WORKSPACE_PATTERN, self.workspace_id):
            problems.append(
                (
                    "workspace_id",
                    f"{self.workspace_id!r} is not a Slack workspace id; allowed: T "
                    "followed by upper-case letters and digits, as the chat integration's console shows "
                    "it (T0123ABCDE)",
                )
            )
        if not _matches(SLACK_CHANNEL_PATTERN, self.channel_id):
            problems.append(
                (
                    "channel_id",
                    f"{self.channel_id!r} is not a Slack channel id; allowed: C, G or D "
                    "followed by upper-case letters and digits, the end of the channel's link "
                    "(C0123ABCDE)",
                )
            )
        return problems

    def _default_key(self) -> str:
        return f"slack-{self.channel_id.lower()}"

    def destination(self) -> str:
        # AWS refuses a second configuration of one Slack channel in an account, whatever its name.
        return f"slack:{self.channel_id}"

    def describe(self) -> str:
        return f"Slack channel {self.channel_id} (workspace {self.workspace_id})"


@dataclass(frozen=True, kw_only=True)
class TeamsChannel(_ChannelBase):
    """A Microsoft Teams channel through Amazon Q Developer in chat applications; the team must be authorized
    once in its console."""

    kind: ClassVar[ChannelKind] = ChannelKind.TEAMS
    chat_configuration: ClassVar[bool] = True
    tenant_id: str
    team_id: str
    channel_id: str

    def _problems(self) -> list[tuple[str, str]]:
        problems = []
        for field_name in ("tenant_id", "team_id"):
            value = getattr(self, field_name)
            if not _matches(UUID_PATTERN, value):
                problems.append(
                    (
                        field_name,
                        f"{value!r} is not a Microsoft {field_name.split('_')[0]} id; "
                        "allowed: a GUID such as 00000000-0000-0000-0000-000000000000",
                    )
                )
        if not _matches(TEAMS_CHANNEL_PATTERN, self.channel_id):
            problems.append(
                (
                    "channel_id",
                    f"{self.channel_id!r} is not a Teams channel id; allowed: "
                    "19:<id>@thread.tacv2, from the channel's link (URL-decoded)",
                )
            )
        return problems

    def _default_key(self) -> str:
        inner = self.channel_id.split(":", 1)[-1].split("@", 1)[0]
        return f"teams-{_slug(inner)[:24]}"

    def destination(self) -> str:
        return f"teams:{self.channel_id}"

    def describe(self) -> str:
        return f"Teams channel {self.channel_id} (team {self.team_id})"


@dataclass(frozen=True, kw_only=True)
class ChatWebhookChannel(_ChannelBase):
    """An incoming webhook of a chat tool, called by an EventBridge API destination with a chat message built
    by an input transformer. The URL is a secret: it is read at plan time from an SSM parameter or from the
    environment (TF_VAR_<name>), never written in the configuration or the synthesized JSON. Terraform keeps it
    in its state (marked sensitive) and EventBridge in the API destination."""

    url_ssm_parameter: str | None = None
    url_env_var: str | None = None

    def _problems(self) -> list[tuple[str, str]]:
        given = [value for value in (self.url_ssm_parameter, self.url_env_var) if value is not None]
        if len(given) != 1:
            return [
                (
                    "url_ssm_parameter",
                    "give exactly one of url_ssm_parameter or url_env_var; allowed: the "
                    "name of an SSM SecureString parameter holding the webhook URL (/security/slack-webhook), "
                    "or TF_VAR_<name>, an environment variable Terraform reads at plan time",
                )
            ]
        if self.url_ssm_parameter is not None and not _matches(SSM_PARAMETER_PATTERN, self.url_ssm_parameter):
            return [
                (
                    "url_ssm_parameter",
                    f"{self.url_ssm_parameter!r} is not an SSM parameter name; allowed: a "
                    "path starting with / (/security/slack-webhook)",
                )
            ]
        if self.url_env_var is not None and not _matches(URL_ENV_VAR_PATTERN, self.url_env_var):
            return [
                (
                    "url_env_var",
                    f"{self.url_env_var!r} is not allowed; allowed: TF_VAR_<name> (letters, "
                    "digits, underscores): Terraform reads the URL from it at plan time, so the secret never "
                    "enters the synthesized JSON",
                )
            ]
        return []

    @property
    def url_variable(self) -> str | None:
        """The Terraform variable the URL comes from (`url_env_var` without TF_VAR_), or None."""
        return self.url_env_var[len("TF_VAR_") :] if self.url_env_var else None

    def _source(self) -> str:
        return self.url_ssm_parameter or self.url_env_var or ""

    def _default_key(self) -> str:
        source = self.url_ssm_parameter or self.url_variable or ""
        return f"{self.kind.value.replace('_', '-')}-{_slug(source)}"[:40].rstrip("-")

    def destination(self) -> str:
        return f"{self.kind.value}:{self._source()}"

    def describe(self) -> str:
        tool = "Slack" if self.kind is ChannelKind.SLACK_WEBHOOK else "Teams"
        where = (
            f"SSM parameter {self.url_ssm_parameter}"
            if self.url_ssm_parameter
            else f"environment variable {self.url_env_var}"
        )
        return f"{tool} incoming webhook (URL in {where})"


@dataclass(frozen=True, kw_only=True)
class SlackWebhookChannel(ChatWebhookChannel):
    kind: ClassVar[ChannelKind] = ChannelKind.SLACK_WEBHOOK


@dataclass(frozen=True, kw_only=True)
class TeamsWebhookChannel(ChatWebhookChannel):
    """Teams "Workflows" webhook (Post to a channel when a webhook request is received): an Adaptive Card."""

    kind: ClassVar[ChannelKind] = ChannelKind.TEAMS_WEBHOOK


@dataclass(frozen=True, kw_only=True)
class WebhookChannel(_ChannelBase):
    """An HTTPS endpoint subscribed to the raw-event topic (PagerDuty, Opsgenie, any HTTPS receiver).

    :param url: the https:// URL; plain http:// is refused (findings would cross the internet unencrypted).
    :param raw_delivery: send the event itself (True) or SNS's JSON envelope around it (False, what PagerDuty's
        and Opsgenie's AWS integrations parse). Default: False.
    :param auto_confirms: the endpoint confirms the subscription itself (PagerDuty, Opsgenie do); otherwise its
        owner must visit the SubscribeURL SNS posts once. Default: False.
    """

    kind: ClassVar[ChannelKind] = ChannelKind.WEBHOOK
    topic_subscription: ClassVar[bool] = True
    url: str
    raw_delivery: bool = False
    auto_confirms: bool = False

    def _problems(self, *, emulated: bool = False) -> list[tuple[str, str]]:
        problem = https_url_problem(self.url, credentials_advice=_WEBHOOK_CREDENTIALS_ADVICE, loopback_allowed=emulated)
        return [("url", problem)] if problem else []

    def _default_key(self) -> str:
        host = urlsplit(self.url).hostname or "endpoint"
        return f"webhook-{_slug(host)}"[:40].rstrip("-")

    def destination(self) -> str:
        return f"webhook:{self.url}"

    def describe(self) -> str:
        parts = urlsplit(self.url)
        # The path may hold an integration key: only the host is printed.
        return f"HTTPS webhook at {parts.hostname}" + (" (auto-confirms)" if self.auto_confirms else "")


@dataclass(frozen=True, kw_only=True)
class SqsChannel(_ChannelBase):
    """An existing SQS queue, in the stack's region, subscribed to the raw-event topic (raw delivery: each
    message is the event). Its queue policy must let sns.amazonaws.com send from the topic (the statement is
    `GuardDutyAlerts.sqs_policy_statements`); a queue encrypted with a customer-managed key must also let
    sns.amazonaws.com use that key."""

    kind: ClassVar[ChannelKind] = ChannelKind.SQS
    topic_subscription: ClassVar[bool] = True
    queue_arn: str

    def _problems(self) -> list[tuple[str, str]]:
        # The stack's region is checked by `channel_problems`, with advice of its own.
        problem = arn_problem(self.queue_arn, service="sqs", what="an SQS queue ARN", region=None, allowed=_SQS_ALLOWED)
        if problem:
            return [("queue_arn", problem)]
        arn = parse_arn(self.queue_arn)
        assert arn is not None
        if not _matches(SQS_QUEUE_NAME_PATTERN, arn.resource):
            return [
                (
                    "queue_arn",
                    f"{self.queue_arn!r} names queue {arn.resource!r}; allowed: a queue name of 1 to 80 letters, "
                    "digits, hyphens and underscores (a FIFO queue's ending in .fifo)",
                )
            ]
        return []

    @property
    def queue_region(self) -> str:
        return self.queue_arn.split(":")[3]

    def _default_key(self) -> str:
        return f"sqs-{_slug(self.queue_arn.rsplit(':', 1)[-1])}"[:40].rstrip("-")

    def destination(self) -> str:
        return f"sqs:{self.queue_arn}"

    def describe(self) -> str:
        return f"SQS queue {self.queue_arn.rsplit(':', 1)[-1]} (account {self.queue_arn.split(':')[4]})"


@dataclass(frozen=True, kw_only=True)
class UserNotificationsChannel(_ChannelBase):
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
    addresses: tuple[str, ...]
    aggregation: Aggregation | str = Aggregation.NONE
    regions: tuple[str, ...] = ()
    create_hub: bool = False

    def _problems(self) -> list[tuple[str, str]]:
        problems = _address_problems(self.addresses)
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

    @property
    def aggregation_value(self) -> str:
        return self.aggregation.value if isinstance(self.aggregation, Aggregation) else str(self.aggregation)

    def destination(self) -> str:
        return "user_notifications"

    def describe(self) -> str:
        return "AWS User Notifications mail to " + ", ".join(self.addresses)


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


def _matches(pattern: str, value: object) -> bool:
    # fullmatch: a pattern's `$` also matches before a final line break, which YAML's block scalars keep.
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def _address_problems(addresses: object) -> list[tuple[str, str]]:
    if isinstance(addresses, str) or not isinstance(addresses, (list, tuple)):
        return [("addresses", f"{addresses!r} is not a list; allowed: a list of email addresses")]
    if not addresses:
        return [
            ("addresses", "the list is empty, so this channel delivers nothing; allowed: at least one email address")
        ]
    return address_list_problems("addresses", addresses)


def _own_problems(channel: _ChannelBase, emulated: bool) -> list[tuple[str, str]]:
    # Only a webhook's URL depends on where the stack's calls go.
    return channel._problems(emulated=emulated) if isinstance(channel, WebhookChannel) else channel._problems()


def channel_problems(
    channels: Sequence[Channel],
    *,
    region: str | None,
    recipients: Sequence[str] = (),
    where: str = "channels",
    emulated: bool = False,
) -> list[str]:
    """Every problem of a channel list, each naming `channels[i].<setting>`, the value and what is allowed.
    `recipients` are the top-level addresses: an address may be in one email channel only, or it would get
    the findings both channels share twice. `emulated`: every call of the stack goes to a local emulator, so
    an HTTPS webhook on a loopback address is reachable (on AWS it never is)."""
    problems: list[str] = []
    if isinstance(channels, str) or not isinstance(channels, Sequence):
        return [f"{where}: {channels!r} is not a list; allowed: a list of channels"]
    mailed: dict[str, str] = {address.lower(): "recipients" for address in recipients if isinstance(address, str)}
    # Addresses of the user_notifications channel: AWS mails them itself, apart from our SNS mail.
    notified: dict[str, str] = {}
    destinations: dict[str, int] = {}
    keys: dict[str, int] = {}
    variables: dict[str, int] = {}
    teams: dict[str, int] = {}
    user_notifications = 0
    for index, channel in enumerate(channels):
        at = f"{where}[{index}]"
        if not isinstance(channel, _ChannelBase):
            problems.append(
                f"{at}: {channel!r} is not a channel; allowed: one of " + ", ".join(kind.value for kind in ChannelKind)
            )
            continue
        problems += [f"{at}.{setting}: {problem}" for setting, problem in _own_problems(channel, emulated)]
        unavailable = partition_problem(channel, region)
        if unavailable:
            problems.append(f"{at}.kind: {unavailable}")
        if channel.severity_threshold is not None:
            problem = threshold_problem(channel.severity_threshold)
            if problem:
                problems.append(f"{at}.severity_threshold: {problem}")
        if channel.name is not None and not _matches(CHANNEL_NAME_PATTERN, channel.name):
            unprintable = isinstance(channel.name, str) and not channel.name.isprintable()
            shown = text_problem(channel.name) if unprintable else f"{channel.name!r} is not allowed"
            problems.append(
                f"{at}.name: {shown}; allowed: 2 to 32 lowercase letters, digits and hyphens, starting with a letter"
            )
        if isinstance(channel, SqsChannel) and region and not _own_problems(channel, emulated):
            if channel.queue_region != region:
                problems.append(
                    f"{at}.queue_arn: the queue is in {channel.queue_region}, this stack in {region}; "
                    "allowed: a queue in the stack's region (SNS subscribes queues of its own region "
                    "only here; add an sqs channel to that region's stack instead)"
                )
        if isinstance(channel, UserNotificationsChannel):
            user_notifications += 1
            if user_notifications > 1:
                problems.append(
                    f"{at}: a second user_notifications channel; allowed: one per stack, with every address in it"
                )
            if region and region not in USER_NOTIFICATIONS_REGIONS and not unavailable:
                problems.append(
                    f"{at}: AWS User Notifications does not serve {region}; allowed in a commercial AWS region only"
                )
        if _own_problems(channel, emulated):
            continue
        if isinstance(channel, EmailChannel):
            for number, address in enumerate(channel.addresses):
                first = mailed.setdefault(address.lower(), f"{at}.addresses")
                if first != f"{at}.addresses":
                    problems.append(
                        f"{at}.addresses[{number}]: {address!r} is also in {first}, so it would get the findings "
                        "both deliver twice; allowed: each address in one email channel (the one with the lowest "
                        "threshold it needs)"
                    )
                elif address.lower() in notified:
                    problems.append(_mailed_twice(f"{at}.addresses[{number}]", address, notified[address.lower()]))
        if isinstance(channel, UserNotificationsChannel):
            for number, address in enumerate(channel.addresses):
                notified.setdefault(address.lower(), f"{at}.addresses")
                if address.lower() in mailed:
                    problems.append(_mailed_twice(f"{at}.addresses[{number}]", address, mailed[address.lower()]))
        if isinstance(channel, ChatWebhookChannel) and channel.url_env_var is not None:
            first = variables.setdefault(channel.url_env_var, index)
            if first != index:
                problems.append(
                    f"{at}.url_env_var: {channel.url_env_var!r} is also the URL of {where}[{first}]; allowed: one "
                    "variable per webhook (two channels posting to one URL are one destination)"
                )
                continue
        if isinstance(channel, TeamsChannel):
            first_in_team = teams.setdefault(channel.team_id.lower(), index)
            if first_in_team != index and channel.destination() not in destinations:
                # hashicorp/terraform-provider-aws#38943 and #45081 (open): teams_channel_configuration.go
                # finds a configuration by team_id and asserts a single result.
                problems.append(
                    f"{at}.team_id: team {channel.team_id} already has a Teams channel in {where}[{first_in_team}]; "
                    "allowed: one Teams channel per team in an account, because the AWS provider (5.100) finds a "
                    "Teams configuration by its team_id and expects exactly one "
                    "(hashicorp/terraform-provider-aws#38943): a second one times out on create and drops out of "
                    "the state (use a channel in another team, or a teams_webhook channel)"
                )
                continue
        destination = channel.destination()
        if destination in destinations:
            problems.append(
                f"{at}: {channel.describe()} is the same destination as "
                f"{where}[{destinations[destination]}]; allowed: each destination once (give one "
                "channel the addresses or the threshold it needs)"
            )
            # Its name repeats the first one's too: one problem says it.
            continue
        destinations[destination] = index
        if not isinstance(channel, (EmailChannel, UserNotificationsChannel)):
            key = channel.key()
            if key in keys:
                problems.append(
                    f"{at}.name: {key!r} is also the name of {where}[{keys[key]}]; allowed: a "
                    "distinct name for each channel (set name on one of them)"
                )
            keys.setdefault(key, index)
    return problems


def partition_problem(channel: _ChannelBase, region: str | None) -> str | None:
    """Why the channel's kind cannot deliver in the partition of `region` (regions.PARTITIONS), or None."""
    partition = partition_of_region(region) if region else None
    return channel_kind_problem(channel.kind.value, partition) if partition in PARTITIONS else None


def _mailed_twice(where: str, address: str, first: str) -> str:
    return (
        f"{where}: {address!r} is also in {first}, so that mailbox would get every finding twice, once from SNS "
        "and once from AWS User Notifications; allowed: each address either in recipients and email channels or "
        "in the user_notifications channel"
    )


@dataclass(frozen=True)
class MailGroup:
    """Mail-group channels of one threshold and filter set: they ride on that set's band rules."""

    key: str  # "" for the construct's own settings (its band rules), else e.g. "high-up"
    threshold: float
    filters: FindingFilters
    addresses: tuple[str, ...]
    chat: tuple[ChatWebhookChannel, ...]


@dataclass(frozen=True)
class RawGroup:
    """Raw-event channels of one threshold and filter set: one rule, one topic."""

    key: str  # "raw-medium", "raw-7-5", "raw-high-1a2b3c" (own filters)
    threshold: float
    filters: FindingFilters
    channels: tuple[SlackChannel | TeamsChannel | WebhookChannel | SqsChannel, ...]


@dataclass(frozen=True)
class Routing:
    mail_groups: tuple[MailGroup, ...]
    raw_groups: tuple[RawGroup, ...]
    user_notifications: UserNotificationsChannel | None = None


def _settings(channel: _ChannelBase, threshold: float, filters: FindingFilters) -> tuple[float, FindingFilters, bool]:
    own_threshold = parse_threshold(channel.severity_threshold) if channel.severity_threshold is not None else threshold
    own_filters = channel.filters is not None and channel.filters != filters
    return own_threshold, (channel.filters if own_filters and channel.filters else filters), own_filters


def route_channels(
    channels: Sequence[Channel],
    *,
    recipients: Sequence[str],
    threshold: float,
    filters: FindingFilters,
    formatter: bool = False,
) -> Routing:
    """Group valid channels (see `channel_problems`) into the fewest rules that deliver what each asks for.

    `recipients` is the short form of one email channel with the construct's settings. With the subject
    formatter the construct's own mail has one rule and no band rules, so chat webhooks get band rules of
    their own even at the construct's settings.
    """
    mail: dict[tuple[float, FindingFilters, bool], dict[str, Any]] = {}
    raw: dict[tuple[float, FindingFilters], dict[str, Any]] = {}

    def group_key(prefix: str, suffix: str, own_threshold: float, own_filters: FindingFilters, own: bool) -> str:
        key = f"{prefix}{threshold_label(own_threshold)}{suffix}"
        return f"{key}-{_filters_digest(own_filters)}" if own else key

    if recipients:
        mail[(threshold, filters, False)] = {"key": "", "addresses": list(recipients), "chat": []}
    user_notifications = None
    for channel in channels:
        if isinstance(channel, UserNotificationsChannel):
            user_notifications = channel
            continue
        own_threshold, own_filters, own = _settings(channel, threshold, filters)
        if isinstance(channel, (EmailChannel, ChatWebhookChannel)):
            apart = formatter and not isinstance(channel, EmailChannel)
            default = own_threshold == threshold and not own and not apart
            entry = mail.setdefault(
                (own_threshold, own_filters, apart),
                {
                    "key": "" if default else group_key("", "-up", own_threshold, own_filters, own),
                    "addresses": [],
                    "chat": [],
                },
            )
            if isinstance(channel, EmailChannel):
                entry["addresses"] += [
                    a for a in channel.addresses if a.lower() not in {b.lower() for b in entry["addresses"]}
                ]
            else:
                entry["chat"].append(channel)
        else:
            entry = raw.setdefault(
                (own_threshold, own_filters),
                {"key": group_key("raw-", "", own_threshold, own_filters, own), "channels": []},
            )
            entry["channels"].append(channel)
    mail_groups = tuple(
        sorted(
            (
                MailGroup(
                    key=e["key"],
                    threshold=t,
                    filters=f,
                    addresses=tuple(sorted(e["addresses"], key=str.lower)),
                    chat=tuple(sorted(e["chat"], key=lambda c: c.key())),
                )
                for (t, f, _), e in mail.items()
            ),
            key=lambda group: group.key,
        )
    )
    raw_groups = tuple(
        sorted(
            (
                RawGroup(
                    key=e["key"], threshold=t, filters=f, channels=tuple(sorted(e["channels"], key=lambda c: c.key()))
                )
                for (t, f), e in raw.items()
            ),
            key=lambda group: group.key,
        )
    )
    return Routing(mail_groups=mail_groups, raw_groups=raw_groups, user_notifications=user_notifications)

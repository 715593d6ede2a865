"""Where findings go besides (or instead of) the readable mail: routing the channels into groups.

Each channel says where findings go and, optionally, its own severity threshold and finding filters (default:
the construct's). The construct routes them with as few rules as it can (`route_channels`):

- **Mail groups** (`email`, and the chat webhooks `slack_webhook`/`teams_webhook`): an input transformer
  cannot compute a band label, so these ride on one rule per severity band plus one for samples. Channels with
  the same threshold and filters share those rules; the group with the construct's own settings uses the
  construct's band rules (IDs unchanged since before channels existed).
- **Raw groups** (`slack`, `teams`, `webhook`, `sqs`): the whole event on an SNS topic. One rule, one topic
  per distinct threshold and filter set, shared by every raw channel with those settings.
- `user_notifications` has no EventBridge rule of ours: AWS User Notifications owns the rule it creates.

Each kind says how it is routed (its `route`), checked, named, described and built: channel_base.py,
chat_channels.py, endpoint_channels.py and channel_kinds.py (with `CHANNEL_KINDS`, the registry); the list's
checks are channel_checks.py. This module groups them, and re-exports the kinds.

Construct IDs derive from the destination (a channel id, a host, a queue name) or from the threshold, never
from a channel's position in the list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .channel_base import (
    USER_NOTIFICATIONS_REGIONS,
    Aggregation,
    ChannelBase,
    ChannelKind,
    Route,
    user_notifications_filter_problem,
)
from .channel_checks import channel_problems
from .channel_kinds import (
    CHANNEL_KINDS,
    Channel,
    EmailChannel,
    SqsChannel,
    UserNotificationsChannel,
    WebhookChannel,
)
from .chat_channels import (
    ChatConfigurationChannel,
    ChatWebhookChannel,
    SlackChannel,
    SlackWebhookChannel,
    TeamsChannel,
    TeamsWebhookChannel,
)
from .patterns import FindingFilters
from .severity import Severity, parse_threshold

__all__ = [
    "CHANNEL_KINDS",
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
    "route_channels",
    "threshold_label",
    "user_notifications_filter_problem",
]


def threshold_label(threshold: float) -> str:
    """ "medium" for a band's floor, "7-5" for 7.5: the part of a group's key that says its threshold."""
    for band in Severity:
        if band.floor == threshold:
            return band.name.lower()
    return f"{threshold:g}".replace(".", "-")


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
    channels: tuple[ChatConfigurationChannel | WebhookChannel | SqsChannel, ...]


@dataclass(frozen=True)
class Routing:
    mail_groups: tuple[MailGroup, ...]
    raw_groups: tuple[RawGroup, ...]
    user_notifications: UserNotificationsChannel | None = None


def _settings(channel: ChannelBase, threshold: float, filters: FindingFilters) -> tuple[float, FindingFilters, bool]:
    own_threshold = parse_threshold(channel.severity_threshold) if channel.severity_threshold is not None else threshold
    own_filters = channel.filters is not None and channel.filters != filters
    return own_threshold, (channel.filters if own_filters and channel.filters else filters), own_filters


def _group_key(prefix: str, suffix: str, threshold: float, filters: FindingFilters, own: bool) -> str:
    key = f"{prefix}{threshold_label(threshold)}{suffix}"
    return f"{key}-{_filters_digest(filters)}" if own else key


def route_channels(
    channels: Sequence[Channel],
    *,
    recipients: Sequence[str],
    threshold: float,
    filters: FindingFilters,
    formatter: bool = False,
) -> Routing:
    """Group valid channels (see `channel_problems`) into the fewest rules that deliver what each asks for,
    by each kind's `route`.

    `recipients` is the short form of one email channel with the construct's settings. With the subject
    formatter the construct's own mail has one rule and no band rules, so chat webhooks get band rules of
    their own even at the construct's settings.
    """
    mail: dict[tuple[float, FindingFilters, bool], dict[str, Any]] = {}
    raw: dict[tuple[float, FindingFilters], dict[str, Any]] = {}
    if recipients:
        mail[(threshold, filters, False)] = {"key": "", "addresses": list(recipients), "chat": []}
    user_notifications = None
    for channel in channels:
        if channel.route is Route.USER_NOTIFICATIONS:
            user_notifications = channel
            continue
        own_threshold, own_filters, own = _settings(channel, threshold, filters)
        if channel.route is Route.RAW:
            key = _group_key("raw-", "", own_threshold, own_filters, own)
            raw.setdefault((own_threshold, own_filters), {"key": key, "channels": []})["channels"].append(channel)
            continue
        apart = formatter and channel.route is Route.CHAT_WEBHOOK
        default = own_threshold == threshold and not own and not apart
        key = "" if default else _group_key("", "-up", own_threshold, own_filters, own)
        entry = mail.setdefault((own_threshold, own_filters, apart), {"key": key, "addresses": [], "chat": []})
        if channel.route is Route.MAIL:
            taken = {b.lower() for b in entry["addresses"]}
            entry["addresses"] += [a for a in channel.addresses if a.lower() not in taken]
        else:
            entry["chat"].append(channel)
    return Routing(
        mail_groups=tuple(sorted((_mail_group(t, f, e) for (t, f, _), e in mail.items()), key=lambda g: g.key)),
        raw_groups=tuple(sorted((_raw_group(t, f, e) for (t, f), e in raw.items()), key=lambda g: g.key)),
        user_notifications=user_notifications,
    )


def _mail_group(threshold: float, filters: FindingFilters, entry: dict[str, Any]) -> MailGroup:
    return MailGroup(
        key=entry["key"],
        threshold=threshold,
        filters=filters,
        addresses=tuple(sorted(entry["addresses"], key=str.lower)),
        chat=tuple(sorted(entry["chat"], key=lambda c: c.key())),
    )


def _raw_group(threshold: float, filters: FindingFilters, entry: dict[str, Any]) -> RawGroup:
    channels = tuple(sorted(entry["channels"], key=lambda c: c.key()))
    return RawGroup(key=entry["key"], threshold=threshold, filters=filters, channels=channels)

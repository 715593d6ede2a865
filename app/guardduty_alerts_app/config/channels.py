"""The `channels` section of the configuration file: its schema, its checks, and the channel objects the
construct takes.

Each channel is a mapping with `kind` and that kind's keys, plus the keys every channel may set for itself
(severity_threshold, finding_types, sample_findings, new_findings_only, name); a setting a channel leaves out
is the top-level one. The formats (ids, URLs, ARNs) are checked by the construct library's own rules
(`guardduty_alerts.channels.channel_problems`), so the file and the construct give the same messages.

Placement in an estate: a channel applies to every stack of the account, except `sqs` (only the stack of the
queue's region: SNS subscribes queues of its own region) and `user_notifications` (one configuration per
account, in the stack of its `home_region`, receiving findings of all the account's regions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from guardduty_alerts.channel_base import Placement
from guardduty_alerts.channel_kinds import CHANNEL_KINDS, kind_class
from guardduty_alerts.channels import Aggregation, Channel, ChannelKind, channel_problems
from guardduty_alerts.patterns import FindingFilters, SampleHandling
from guardduty_alerts.regions import DEFAULT_PARTITION, EVERY_REGION, PARTITIONS, channel_kind_problem
from guardduty_alerts.validation import EMAIL_PATTERN, is_loopback_url
from jsonschema.protocols import Validator

from .routing import account_list_schema, parse_unrouted

__all__ = [
    "DEFAULT_HOME_REGION",
    "channels_for_region",
    "channels_problems",
    "channels_schema",
    "chat_home_region",
    "parse_channel",
    "parse_channels",
    "user_notifications_home_region",
]

DEFAULT_HOME_REGION = "us-east-1"

_STRING = {"type": "string", "x-allowed": "a string"}
_ADDRESSES = {
    "type": "array",
    "x-allowed": "a list of email addresses",
    "items": {"type": "string", "pattern": EMAIL_PATTERN, "maxLength": 254, "x-allowed": "one email address"},
}
_BOOLEAN = {"type": "boolean", "x-allowed": "true or false"}

# Keys of each kind (beyond kind and the common keys), and which of them are required.
_KIND_KEYS: dict[ChannelKind, tuple[dict[str, Any], list[str]]] = {
    ChannelKind.EMAIL: ({"addresses": _ADDRESSES}, ["addresses"]),
    ChannelKind.SLACK: ({"workspace_id": _STRING, "channel_id": _STRING}, ["workspace_id", "channel_id"]),
    ChannelKind.TEAMS: (
        {"tenant_id": _STRING, "team_id": _STRING, "channel_id": _STRING},
        ["tenant_id", "team_id", "channel_id"],
    ),
    ChannelKind.SLACK_WEBHOOK: ({"url_ssm_parameter": _STRING, "url_env_var": _STRING}, []),
    ChannelKind.TEAMS_WEBHOOK: ({"url_ssm_parameter": _STRING, "url_env_var": _STRING}, []),
    ChannelKind.WEBHOOK: ({"url": _STRING, "raw_delivery": _BOOLEAN, "auto_confirms": _BOOLEAN}, ["url"]),
    ChannelKind.SQS: ({"queue_arn": _STRING}, ["queue_arn"]),
    ChannelKind.USER_NOTIFICATIONS: (
        {
            "addresses": _ADDRESSES,
            "aggregation": {
                "type": "string",
                "enum": [item.value for item in Aggregation],
                "x-allowed": "NONE (a mail per finding), SHORT (5-minute digests) or LONG (12-hour digests)",
            },
            "home_region": {
                "type": "string",
                "enum": list(EVERY_REGION),
                "x-allowed": "one of the configured regions: the stack that holds the configuration",
            },
            # The account's notification hub, in the home region's stack (one stack per account).
            "create_hub": _BOOLEAN,
        },
        ["addresses"],
    ),
}


def channels_schema(top: Mapping[str, Any]) -> dict[str, Any]:
    """Schema of `channels`; `top` is the top-level properties, whose filter keys a channel may repeat."""
    common = {
        "kind": {"type": "string", "enum": [kind.value for kind in ChannelKind]},
        "name": {
            "type": "string",
            "x-allowed": "2 to 32 lowercase letters, digits and hyphens, starting with a letter",
        },
        **{key: top[key] for key in ("severity_threshold", "finding_types", "sample_findings", "new_findings_only")},
        "accounts": account_list_schema("this channel gets only their findings"),
        "accounts_except": account_list_schema("this channel gets the findings of every other account"),
    }
    kinds = ", ".join(kind.value for kind in ChannelKind)
    return {
        "type": "array",
        "minItems": 1,
        "x-allowed": f"a non-empty list of channels, each a mapping with kind ({kinds}) and its settings",
        "items": {
            "type": "object",
            "required": ["kind"],
            "x-allowed": f"a mapping with kind ({kinds}) and its settings",
            "properties": {
                "kind": {"type": "string", "enum": [kind.value for kind in ChannelKind], "x-allowed": f"one of {kinds}"}
            },
            "allOf": [
                {
                    "if": {"properties": {"kind": {"const": kind.value}}, "required": ["kind"]},
                    "then": {
                        "additionalProperties": False,
                        "required": required,
                        "properties": {**common, **keys},
                    },
                }
                for kind, (keys, required) in _KIND_KEYS.items()
            ],
        },
    }


def _filters(item: Mapping[str, Any], document: Mapping[str, Any]) -> FindingFilters | None:
    """The channel's own filters, the top-level ones filling what it leaves out; None when it sets none.
    `accounts` and `accounts_except` are one setting: a channel that gives either replaces both top-level ones."""
    keys = ("finding_types", "sample_findings", "new_findings_only", "accounts", "accounts_except")
    if not any(key in item for key in keys):
        return None
    types = item.get("finding_types", document.get("finding_types", {}))
    own_accounts = "accounts" in item or "accounts_except" in item
    accounts = item.get("accounts", ()) if own_accounts else document.get("finding_accounts", ())
    excluded = item.get("accounts_except", ()) if own_accounts else document.get("finding_accounts_except", ())
    return FindingFilters(
        include_types=tuple(types.get("include", ())),
        exclude_types=tuple(types.get("exclude", ())),
        samples=SampleHandling(item.get("sample_findings", document.get("sample_findings", "deliver"))),
        new_only=item.get("new_findings_only", document.get("new_findings_only", False)),
        accounts=tuple(sorted(accounts)),
        exclude_accounts=tuple(sorted(excluded)),
    )


_COMMON_KEYS = (
    "kind",
    "name",
    "severity_threshold",
    "finding_types",
    "sample_findings",
    "new_findings_only",
    "home_region",
    "accounts",
    "accounts_except",
)


def parse_channels(document: Mapping[str, Any]) -> tuple[Channel, ...]:
    """Channel objects of a document that passed the schema, the unrouted destination last. A
    user_notifications channel receives findings of every configured region (with a central inbox: of its home
    region, where they all arrive)."""
    channels = [parse_channel(item, document) for item in document.get("channels", [])]
    unrouted = parse_unrouted(document, lambda item: parse_channel(item, document))
    return tuple(channels) + ((unrouted,) if unrouted is not None else ())


def parse_channel(item: Mapping[str, Any], document: Mapping[str, Any]) -> Channel:
    """One channel mapping of a valid document as the construct's channel object."""
    arguments = {key: value for key, value in item.items() if key not in _COMMON_KEYS}
    for key in ("addresses",):
        if key in arguments:
            arguments[key] = tuple(arguments[key])
    if item["kind"] == ChannelKind.USER_NOTIFICATIONS.value:
        # With a central inbox every finding reaches its home region's bus: observing the other regions
        # as well would notify each finding twice.
        inbox = _inbox_home(document)
        arguments["regions"] = (inbox,) if inbox else tuple(sorted(document.get("regions", ())))
    return kind_class(item["kind"])(
        **arguments,
        severity_threshold=item.get("severity_threshold"),
        filters=_filters(item, document),
        name=item.get("name"),
    )


def _top_level_filters(document: Mapping[str, Any]) -> FindingFilters:
    """The top-level finding types, as far as they are well formed (the schema reports the rest)."""
    types = document.get("finding_types")
    if not isinstance(types, dict):
        return FindingFilters()

    def entries(key: str) -> tuple[str, ...]:
        value = types.get(key, ())
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    return FindingFilters(include_types=entries("include"), exclude_types=entries("exclude"))


def _inbox_home(document: Mapping[str, Any]) -> str | None:
    """The central inbox's home region, if the document has one: the only region whose stack delivers."""
    inbox = document.get("central_inbox")
    home = inbox.get("home_region") if isinstance(inbox, dict) else None
    return home if isinstance(home, str) else None


def _channel_items(document: Mapping[str, Any]) -> list[object]:
    """The channel mappings of a document: `channels`, then the unrouted destination's channel (a channel too,
    placed like the others)."""
    items = document.get("channels", [])
    unrouted = document.get("unrouted")
    extra = [unrouted["channel"]] if isinstance(unrouted, dict) and isinstance(unrouted.get("channel"), dict) else []
    return [*(items if isinstance(items, list) else []), *extra]


def user_notifications_home_region(document: Mapping[str, Any]) -> str | None:
    """The region whose stack holds the user_notifications configuration: its home_region, else the central
    inbox's home region, else us-east-1 when configured, else the first configured region alphabetically."""
    for item in _channel_items(document):
        if isinstance(item, dict) and item.get("kind") == ChannelKind.USER_NOTIFICATIONS.value:
            regions = sorted(document.get("regions", ()))
            default = DEFAULT_HOME_REGION if DEFAULT_HOME_REGION in regions else (regions[0] if regions else None)
            return item.get("home_region", _inbox_home(document) or default)
    return None


def chat_home_region(document: Mapping[str, Any]) -> str | None:
    """The region whose stack holds the account's Slack and Teams configurations (AWS allows one per Slack
    channel in an account): the central inbox's home region, else us-east-1 when configured, else the first
    configured region alphabetically, as for user_notifications. None without slack or teams channels."""
    chat_kinds = tuple(cls.kind.value for cls in CHANNEL_KINDS if cls.chat_configuration)
    if not any(isinstance(item, dict) and item.get("kind") in chat_kinds for item in _channel_items(document)):
        return None
    regions = sorted(document.get("regions", ()))
    default = DEFAULT_HOME_REGION if DEFAULT_HOME_REGION in regions else (regions[0] if regions else None)
    return _inbox_home(document) or default


def channels_problems(document: Mapping[str, Any], schema: Validator, unrouted_schema: Validator) -> list[str]:
    """What the schema cannot say about channels (and the unrouted destination, a channel too): formats (by the
    library's rules), duplicates, regions. Only for `channels` and `unrouted` sections that pass `schema` and
    `unrouted_schema` (validators of their own schemas): the schema reports the rest, once."""
    items = document.get("channels")
    regions = document.get("regions")
    if (items is None and "unrouted" not in document) or (items is not None and not schema.is_valid(items)):
        return []
    if "unrouted" in document and not unrouted_schema.is_valid(document["unrouted"]):
        return []
    if not isinstance(regions, list) or not all(isinstance(region, str) for region in regions):
        return []  # channels are placed by region: the schema reports the regions first
    items = items or []
    channels = parse_channels(document)
    recipients = document.get("recipients") if isinstance(document.get("recipients"), list) else []
    provider = document.get("provider")
    endpoint = provider.get("endpoint_url") if isinstance(provider, dict) else None
    problems = channel_problems(channels, region=None, recipients=recipients, emulated=is_loopback_url(endpoint))
    # The unrouted destination is checked as the last channel (its mapping, or {} for the recipients form).
    items = list(items) + ([document["unrouted"].get("channel", {})] if len(channels) > len(items) else [])
    inbox = _inbox_home(document)
    partition = document.get("partition", DEFAULT_PARTITION)
    for index, channel in enumerate(channels):
        missing = channel_kind_problem(channel.kind.value, partition) if partition in PARTITIONS else None
        if missing:
            problems.append(f"channels[{index}].kind: {missing}")
        # An sqs queue: only the stack of its region delivers to it (`Placement.OWN_REGION`).
        own_region = None
        if channel.placement is Placement.OWN_REGION and not any(
            p.startswith(f"channels[{index}].queue_arn") for p in problems
        ):
            own_region = channel.own_region
        if own_region is not None:
            if own_region not in regions:
                problems.append(
                    f"channels[{index}].queue_arn: the queue is in {own_region}, which is not one of "
                    f"regions ({', '.join(map(str, regions))}); allowed: a queue in a configured region (SNS "
                    "subscribes queues of its own region, so the stack of that region delivers to it)"
                )
            elif inbox is not None and own_region != inbox:
                problems.append(
                    f"channels[{index}].queue_arn: the queue is in {own_region}, whose findings go to the "
                    f"central inbox in {inbox}; allowed: a queue in {inbox}, where every finding is delivered"
                )
        problem = channel.filter_problem(channel.filters or _top_level_filters(document))
        if problem:
            where = (
                f"channels[{index}].finding_types.exclude"
                if "finding_types" in items[index]
                else f"finding_types.exclude (used by channels[{index}], a {channel.kind.value} channel)"
            )
            problems.append(f"{where}: {problem}")
        problems += _home_region_problems(index, items[index].get("home_region"), regions, inbox)
    if not recipients and inbox is None and not problems:
        problems += _undelivered_regions(channels, regions, user_notifications_home_region(document))
    if "unrouted" in document:
        # Say where in the file the unrouted destination is, rather than its place in the list of channels.
        where = "unrouted.recipients" if "recipients" in document["unrouted"] else "unrouted.channel"
        problems = [problem.replace(f"channels[{len(items) - 1}]", where) for problem in problems]
    return problems


def _home_region_problems(index: int, home: object, regions: Sequence[object], inbox: str | None) -> list[str]:
    """A channel's home_region (user_notifications): a configured region, the central inbox's if there is one."""
    if home is not None and home not in regions:
        return [
            f"channels[{index}].home_region: {home!r} is not one of regions; allowed: one of "
            f"{', '.join(map(str, regions))}"
        ]
    if home is not None and inbox is not None and home != inbox:
        return [
            f"channels[{index}].home_region: {home!r} forwards its findings to the central inbox in "
            f"{inbox} and holds no alerting resources; allowed: {inbox}, or leave home_region out"
        ]
    return []


def _undelivered_regions(channels: Sequence[Channel], regions: Sequence[object], home: str | None) -> list[str]:
    """Regions whose stack would deliver to nothing: each stack builds its rules, topic and subscriptions
    around its own destinations, and the construct refuses a stack without any (there is no stack that only
    runs the detector). Said here, with the reason, rather than as the construct's "no channels are given"."""
    problems = []
    for position, region in enumerate(regions):
        if not isinstance(region, str) or channels_for_region(channels, region, home_region=home):
            continue
        reasons = []
        queues = sorted({c.own_region for c in channels if c.own_region is not None})
        if queues:
            reasons.append(
                f"the sqs queues are in {', '.join(queues)}, and a region's topic delivers to queues of its own "
                "region only"
            )
        if any(c.placement is Placement.HOME_REGION for c in channels):
            reasons.append(
                f"user_notifications is configured in the {home} stack (it notifies {region}'s findings from "
                f"there), so the {region} stack would only run the detector, which no stack does on its own"
            )
        problems.append(
            f"regions[{position}]: {region} has no recipients or channel of its own: {'; '.join(reasons)}; "
            f"allowed: recipients, a channel of another kind, or an sqs queue in {region}; or leave {region} out of "
            "regions"
        )
    return problems


def channels_for_region(channels: Sequence[Channel], region: str, *, home_region: str | None) -> tuple[Channel, ...]:
    """The channels the stack of `region` delivers to."""
    return tuple(channel for channel in channels if channel.delivers_in(region, home_region=home_region))

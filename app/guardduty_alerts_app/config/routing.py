"""Routing by account: `accounts` / `accounts_except` on a channel, `finding_accounts` / `finding_accounts_except`
at the top level (where `accounts` already lists the estate), and `unrouted`, the destination of the findings
of every account that no route lists.

An entry is an account id or the name of an entry of `accounts`. Names are resolved to ids before anything else
is checked (`resolve_account_references`), so the rest of the loader and the construct see ids only.

"Routed" means: listed in the `accounts` of a channel, or in the top-level `finding_accounts` (which applies to
`recipients` and to the channels that set no accounts of their own). Channels without an account filter get
every account's findings and route none; `accounts_except` routes none either (it says who does *not* get a
finding). The unrouted destination gets the findings of every account not routed: an `accounts_except` of every
routed account, built here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from guardduty_alerts.accounts import ACCOUNT_ID_PATTERN, account_in_words
from guardduty_alerts.channels import Channel, EmailChannel
from guardduty_alerts.patterns import FindingFilters, SampleHandling

__all__ = [
    "TOP_LEVEL_KEYS",
    "account_list_schema",
    "parse_unrouted",
    "resolve_account_references",
    "routed_accounts",
    "routing_problems",
    "unrouted_filters",
    "unrouted_schema",
]

CHANNEL_KEYS = ("accounts", "accounts_except")
TOP_LEVEL_KEYS = ("finding_accounts", "finding_accounts_except")


def account_list_schema(what: str) -> dict[str, Any]:
    """A non-empty list of account ids or names; `what` says what the list selects. The values themselves are
    checked by `resolve_account_references`, which knows the names."""
    return {
        "type": "array",
        "minItems": 1,
        "x-allowed": f"a non-empty list of account ids or names from accounts: {what}",
        "items": {"type": "string", "x-allowed": "an account id (12 digits, quoted) or the name of one of accounts"},
    }


def unrouted_schema(channel_item: Mapping[str, Any]) -> dict[str, Any]:
    """`unrouted: {recipients: [...]}` or `unrouted: {channel: {kind: ..., ...}}`."""
    return {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
        "x-allowed": "a mapping with recipients (a list of email addresses) or channel (one channel)",
        "properties": {
            "recipients": {
                "type": "array",
                "minItems": 1,
                "x-allowed": "a non-empty list of email addresses",
                "items": {"type": "string", "x-allowed": "one email address"},
            },
            "channel": channel_item,
        },
    }


def _show(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _names(document: Mapping[str, Any]) -> dict[str, str]:
    """Account name -> id, of the well-formed entries of `accounts`."""
    accounts = document.get("accounts")
    if not isinstance(accounts, list):
        return {}
    return {
        entry["name"]: entry["id"]
        for entry in accounts
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("id"), str)
    }


def resolve_account_references(document: object) -> tuple[object, list[str]]:
    """The document with every account name in an account list replaced by its id, and the problems: an entry
    that is neither a 12-digit id nor a name from `accounts`, an account listed twice, both keys of a pair."""
    if not isinstance(document, dict):
        return document, []
    names = _names(document)
    in_words = {account_id: name for name, account_id in names.items()}
    allowed = "an account id (12 digits, quoted)" + (
        f" or the name of one of accounts ({', '.join(sorted(names))})"
        if names
        else " (no accounts are listed, so no names)"
    )
    problems: list[str] = []

    def resolve(where: str, mapping: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        present = [key for key in keys if key in mapping]
        if len(present) == 2:
            at = f"{where}: " if where else ""
            problems.append(
                f"{at}both {keys[0]} and {keys[1]} are set; allowed: one of them (the accounts whose findings to "
                "deliver, or the accounts whose findings to leave out)"
            )
        resolved = dict(mapping)
        for key in present:
            values = mapping[key]
            if not isinstance(values, list):
                continue  # the schema reports it
            path = f"{where}.{key}" if where else key
            ids: list[object] = []
            first: dict[str, int] = {}
            for position, value in enumerate(values):
                if not isinstance(value, str):
                    ids.append(value)  # the schema reports it
                    continue
                account_id = names.get(value, value)
                if not ACCOUNT_ID_PATTERN.fullmatch(account_id):
                    problems.append(
                        f"{path}[{position}]: {_show(value)} is neither a 12-digit account id nor the name of one of "
                        f"accounts; allowed: {allowed}"
                    )
                elif account_id in first:
                    problems.append(
                        f"{path}[{position}]: {_show(value)} is {account_in_words(account_id, in_words)} again, as "
                        f"{path}[{first[account_id]}]; allowed: each account once"
                    )
                else:
                    first[account_id] = position
                ids.append(account_id)
            resolved[key] = ids
        return resolved

    result = dict(document)
    result.update(resolve("", document, TOP_LEVEL_KEYS))
    result = _resolve_sections(result, "", resolve)
    accounts = document.get("accounts")
    if isinstance(accounts, list):
        result["accounts"] = [
            _resolve_sections(resolve(f"accounts[{index}]", entry, TOP_LEVEL_KEYS), f"accounts[{index}].", resolve)
            if isinstance(entry, dict)
            else entry
            for index, entry in enumerate(accounts)
        ]
    return result, problems


def _resolve_sections(document: dict[str, Any], prefix: str, resolve: Any) -> dict[str, Any]:
    """`channels[*]` and `unrouted.channel` of one level (top or an account) resolved by `resolve`."""
    result = dict(document)
    channels = document.get("channels")
    if isinstance(channels, list):
        result["channels"] = [
            resolve(f"{prefix}channels[{index}]", item, CHANNEL_KEYS) if isinstance(item, dict) else item
            for index, item in enumerate(channels)
        ]
    unrouted = document.get("unrouted")
    if isinstance(unrouted, dict) and isinstance(unrouted.get("channel"), dict):
        result["unrouted"] = {
            **unrouted,
            "channel": resolve(f"{prefix}unrouted.channel", unrouted["channel"], CHANNEL_KEYS),
        }
    return result


def routed_accounts(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The accounts some route lists (see the module docstring), sorted: the unrouted destination's exclusions."""
    routed: set[str] = set()
    top = document.get("finding_accounts")
    if isinstance(top, list):
        routed.update(value for value in top if isinstance(value, str))
    for item in document.get("channels", []) or []:
        if isinstance(item, dict) and isinstance(item.get("accounts"), list):
            routed.update(value for value in item["accounts"] if isinstance(value, str))
    return tuple(sorted(routed))


def routing_problems(document: Mapping[str, Any], *, nothing_routed: bool = True) -> list[str]:
    """What the schema cannot say about `unrouted`. `nothing_routed`: whether to refuse an unrouted destination
    when no account is routed (not at the top level of an estate: each account's channels are checked with the
    account, which the loader does for each of them)."""
    prefix = ""
    unrouted = document.get("unrouted")
    if not isinstance(unrouted, dict):
        return []
    problems = []
    channel = unrouted.get("channel")
    if isinstance(channel, dict):
        for key in CHANNEL_KEYS:
            if key in channel:
                problems.append(
                    f"{prefix}unrouted.channel.{key}: set on the unrouted channel; allowed: leave it out (the unrouted "
                    "destination gets the findings of every account no route lists)"
                )
    if nothing_routed and not routed_accounts(document):
        problems.append(
            f"{prefix}unrouted: no channel lists accounts (and there is no finding_accounts), so no account is routed "
            "and every finding would also go here; allowed: accounts on at least one channel, or leave unrouted out "
            "and add it as an ordinary channel"
        )
    if "recipients" in unrouted and document.get("subject_formatter") is True:
        problems.append(
            f"{prefix}unrouted.recipients: an email destination with filters of its own while subject_formatter is "
            "on (the formatter writes to one topic); allowed: unrouted.channel of another kind, or subject_formatter "
            "off"
        )
    return problems


def unrouted_filters(document: Mapping[str, Any], own: FindingFilters | None) -> FindingFilters:
    """The unrouted destination's filters: its own or the top-level ones, with every routed account left out."""
    if own is None:
        types = document.get("finding_types", {})
        own = FindingFilters(
            include_types=tuple(types.get("include", ())),
            exclude_types=tuple(types.get("exclude", ())),
            samples=SampleHandling(document.get("sample_findings", "deliver")),
            new_only=document.get("new_findings_only", False),
        )
    return FindingFilters(
        include_types=own.include_types,
        exclude_types=own.exclude_types,
        samples=own.samples,
        new_only=own.new_only,
        exclude_accounts=routed_accounts(document),
    )


def parse_unrouted(document: Mapping[str, Any], parse_channel: Any) -> Channel | None:
    """The unrouted destination of a valid document as a channel, or None. `parse_channel(item)` turns a
    channel mapping into a Channel (channels.py), which gives it its own filters when it sets some."""
    unrouted = document.get("unrouted")
    if not isinstance(unrouted, dict):
        return None
    if "recipients" in unrouted:
        return EmailChannel(
            addresses=tuple(unrouted["recipients"]),
            name="unrouted",
            filters=unrouted_filters(document, None),
        )
    item = unrouted["channel"]
    channel: Channel = parse_channel(item)
    return _with_filters(channel, unrouted_filters(document, channel.filters))


def _with_filters(channel: Channel, filters: FindingFilters) -> Channel:
    return dataclasses.replace(channel, filters=filters)  # type: ignore[type-var]

"""plan-summary lines for the chat configurations themselves (Slack and Teams through Amazon Q Developer in chat
applications): one per channel per account, so a configuration moves between the stacks of an account or
changes the regions it subscribes to, and a reviewer must read that in words, not as "channel removed".

AWS allows one configuration per Slack channel in an account (cloudcomponents/cdk-constructs#92,
aws-cloudformation/cloudformation-coverage-roadmap#1155) and provider 5.100 one Teams configuration per team
(hashicorp/terraform-provider-aws#38943). The update APIs (UpdateSlackChannelConfiguration,
UpdateMicrosoftTeamsChannelConfiguration) take no configuration name, and the provider does not replace the
resource when the name changes: a rename is planned as an update that never takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .model import Change, Impact, Level

__all__ = ["chat_configuration_impacts"]

SLACK = "aws_chatbot_slack_channel_configuration"
TEAMS = "aws_chatbot_teams_channel_configuration"

ORDER_HINT = "`python main.py stacks` lists the order"


def _words(change: Change) -> tuple[tuple[str, str], str]:
    """The destination key plan-summary uses for the channel, and the configuration in words."""
    values = change.after or change.before or {}
    if change.type == SLACK:
        channel, workspace = values.get("slack_channel_id"), values.get("slack_team_id")
        suffix = f" (workspace {workspace})" if workspace else ""
        return ("slack", str(channel)), f"the Slack configuration for {channel}{suffix}"
    channel, team = values.get("channel_id"), values.get("team_id")
    suffix = f" (team {team})" if team else ""
    return ("teams", str(channel)), f"the Teams configuration for {channel}{suffix}"


def _arns(values: Any) -> list[str]:
    topics = values.get("sns_topic_arns") if isinstance(values, dict) else None
    return [arn for arn in topics or () if isinstance(arn, str)]


def _topic(arn: str) -> str:
    """'gd-raw-high in eu-west-1' from arn:aws:sns:eu-west-1:123456789012:gd-raw-high."""
    parts = arn.split(":")
    return f"{parts[5]} in {parts[3]}" if len(parts) == 6 else arn


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def chat_configuration_impacts(changes: Sequence[Change]) -> tuple[list[Impact], frozenset[tuple[str, str]]]:
    """Impact lines for chat configurations that move, are re-created, are renamed or change the regions they
    subscribe to; and the destination keys whose removal these lines explain (the generic "Channel removed"
    line would say the channel stops getting findings, which it does not)."""
    staying = frozenset(
        arn
        for change in changes
        if change.type == "aws_sns_topic" and change.after is not None
        for arn in (change.value("arn"), change.value("arn", after=False))
        if isinstance(arn, str)
    )
    impacts: list[Impact] = []
    moved: set[tuple[str, str]] = set()
    for change in sorted((c for c in changes if c.type in (SLACK, TEAMS)), key=lambda c: c.address):
        key, words = _words(change)
        if change.kind == "delete":
            lines = _deleted(change, words, staying)
            if lines:
                moved.add(key)
            impacts += lines
        elif change.kind == "replace":
            impacts += _replaced(words)
        elif change.kind == "create":
            impacts += _created(change, words, staying)
        elif change.kind == "update":
            impacts += _updated(change, words, staying)
    return impacts, frozenset(moved)


def _deleted(change: Change, words: str, staying: frozenset[str]) -> list[Impact]:
    """A configuration deleted here while its topics stay: it moves to the account's chat home stack."""
    impacts: list[Impact] = []
    before = _arns(change.before)
    kept = [arn for arn in before if arn in staying]
    if kept:
        impacts.append(
            Impact(
                Level.NOTE,
                "Chat configuration moves to one per account",
                f"{words} is deleted from this stack: AWS allows one configuration per channel in an "
                "account, so the account's chat home stack holds it and subscribes to this stack's "
                f"{'topic' if len(kept) == 1 else 'topics'} {_join([_topic(a) for a in kept])} by ARN. "
                "This region's findings reach the channel again once that stack is applied: apply this "
                f"stack first, then the home stack ({ORDER_HINT}); nothing else to do.",
            )
        )
    return impacts


def _replaced(words: str) -> list[Impact]:
    impacts: list[Impact] = []
    impacts.append(
        Impact(
            Level.LOSS,
            "Chat configuration re-created",
            f"{words} is deleted and created again: the channel gets nothing in between, and the new one "
            "must be created after the old one is gone (AWS refuses a second configuration of the "
            "channel).",
        )
    )
    return impacts


def _created(change: Change, words: str, staying: frozenset[str]) -> list[Impact]:
    impacts: list[Impact] = []
    after = _arns(change.after)
    others = [arn for arn in after if arn not in staying]
    if others:
        impacts.append(
            Impact(
                Level.NOTE,
                "Chat configuration for the whole account",
                f"{words} is created in this stack for the account and subscribes to "
                f"{_join([_topic(a) for a in others])} too. If another stack of the account still holds a "
                "configuration of this channel, apply that stack first (it deletes it), or AWS refuses "
                f"this one as already configured ({ORDER_HINT}).",
            )
        )
    return impacts


def _updated(change: Change, words: str, staying: frozenset[str]) -> list[Impact]:
    impacts: list[Impact] = []
    before, after = _arns(change.before), _arns(change.after)
    added = [arn for arn in after if arn not in before and arn not in staying]
    dropped = [arn for arn in before if arn not in after and arn not in staying]
    if added:
        impacts.append(
            Impact(
                Level.GAIN,
                "Chat configuration subscribes to more regions",
                f"{words} now also gets the findings of {_join([_topic(a) for a in added])}: one "
                "configuration per channel per account, held by this stack. Apply the stacks of those "
                f"regions first ({ORDER_HINT}); if one of them still holds its own configuration of this "
                "channel, the channel gets those findings twice until that stack is applied.",
            )
        )
    if dropped:
        impacts.append(
            Impact(
                Level.LOSS,
                "Chat configuration subscribes to fewer regions",
                f"{words} no longer gets the findings of {_join([_topic(a) for a in dropped])} through this stack.",
            )
        )
    old_name, new_name = change.value("configuration_name", after=False), change.value("configuration_name")
    if old_name != new_name and isinstance(old_name, str) and isinstance(new_name, str):
        impacts.append(
            Impact(
                Level.NOTE,
                "Chat configuration cannot be renamed in place",
                f"{words} changes its name from {old_name} to {new_name}, which AWS's update API cannot "
                "do: this plan will show the change again after every apply. To rename it, re-create it "
                "(`terraform apply -replace=" + change.address + "`); the channel gets nothing in between.",
            )
        )
    return impacts

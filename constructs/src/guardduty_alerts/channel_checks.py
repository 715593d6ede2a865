"""Every problem of a channel list (`channel_problems`): each kind checks its own settings, where it is and how
it clashes with the channels before it (the hooks of `ChannelBase`); what every channel shares (a threshold, a
name, a destination configured once, a name used once) is checked here."""

from __future__ import annotations

from collections.abc import Sequence

from .channel_base import CHANNEL_NAME_PATTERN, ChannelBase, ChannelKind, ChannelList, matches_pattern
from .channel_kinds import Channel, is_channel
from .regions import PARTITIONS, channel_kind_problem
from .severity import threshold_problem
from .validation import partition_of_region, text_problem

__all__ = ["channel_problems", "partition_problem"]


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
    if isinstance(channels, str) or not isinstance(channels, Sequence):
        return [f"{where}: {channels!r} is not a list; allowed: a list of channels"]
    seen = ChannelList(where=where, region=region, emulated=emulated)
    seen.mailed.update({address.lower(): "recipients" for address in recipients if isinstance(address, str)})
    problems: list[str] = []
    for index, channel in enumerate(channels):
        at = f"{where}[{index}]"
        if not is_channel(channel):
            problems.append(
                f"{at}: {channel!r} is not a channel; allowed: one of " + ", ".join(kind.value for kind in ChannelKind)
            )
            continue
        own = channel._problems(emulated=emulated)
        problems += [f"{at}.{setting}: {problem}" for setting, problem in own]
        unavailable = partition_problem(channel, region)
        if unavailable:
            problems.append(f"{at}.kind: {unavailable}")
        problems += _common_problems(at, channel)
        problems += channel._placement_problems(at, seen)
        if not own:
            problems += _list_problems(at, index, channel, seen)
    return problems


def partition_problem(channel: ChannelBase, region: str | None) -> str | None:
    """Why the channel's kind cannot deliver in the partition of `region` (regions.PARTITIONS), or None."""
    partition = partition_of_region(region) if region else None
    return channel_kind_problem(channel.kind.value, partition) if partition in PARTITIONS else None


def _common_problems(at: str, channel: ChannelBase) -> list[str]:
    """What every channel may set: its threshold and its name."""
    problems = []
    if channel.severity_threshold is not None:
        problem = threshold_problem(channel.severity_threshold)
        if problem:
            problems.append(f"{at}.severity_threshold: {problem}")
    if channel.name is not None and not matches_pattern(CHANNEL_NAME_PATTERN, channel.name):
        unprintable = isinstance(channel.name, str) and not channel.name.isprintable()
        shown = text_problem(channel.name) if unprintable else f"{channel.name!r} is not allowed"
        problems.append(
            f"{at}.name: {shown}; allowed: 2 to 32 lowercase letters, digits and hyphens, starting with a letter"
        )
    return problems


def _list_problems(at: str, index: int, channel: ChannelBase, seen: ChannelList) -> list[str]:
    """A valid channel against the ones before it: its kind's own clashes, then the same destination or the
    same name twice."""
    problems, stop = channel._list_problems(at, index, seen)
    if stop:
        return problems
    destination = channel.destination()
    if destination in seen.destinations:
        # Its name repeats the first one's too: one problem says it.
        return [
            *problems,
            f"{at}: {channel.describe()} is the same destination as "
            f"{seen.where}[{seen.destinations[destination]}]; allowed: each destination once (give one "
            "channel the addresses or the threshold it needs)",
        ]
    seen.destinations[destination] = index
    if channel.keyed:
        key = channel.key()
        if key in seen.keys:
            problems.append(
                f"{at}.name: {key!r} is also the name of {seen.where}[{seen.keys[key]}]; allowed: a "
                "distinct name for each channel (set name on one of them)"
            )
        seen.keys.setdefault(key, index)
    return problems

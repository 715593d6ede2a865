"""`main.py explain`: a compact table per stack of what the configuration mails, to whom, and what it suppresses;
with channels, then each destination: the severities it gets, its own filters, and what someone must do once."""

from __future__ import annotations

from collections.abc import Sequence

from guardduty_alerts.accounts import AccountNames, account_in_words
from guardduty_alerts.channels import Channel, EmailChannel
from guardduty_alerts.patterns import FindingFilters, band_range, bands_at_or_above, type_matcher
from guardduty_alerts.severity import Severity, parse_threshold
from guardduty_alerts.validation import partition_of_region

from .alerting import StackAlerting

__all__ = ["explain"]


def _number(value: float) -> str:
    return f"{value:.1f}"


def explain(stacks: Sequence[StackAlerting]) -> str:
    """A table per stack: severities mailed, finding types, samples, occurrences, recipients, suppression."""
    return "\n\n".join(_table(alerting) for alerting in stacks)


def _table(alerting: StackAlerting) -> str:
    threshold = alerting.threshold
    filters = alerting.filters
    rules = alerting.mail_rules()
    bands = []
    for band in bands_at_or_above(threshold):
        scores = band_range(band, threshold)
        assert scores is not None
        low, high = scores
        bands.append(f"{band.name} {_number(low)}-{'10.0' if high is None else _number(high - 0.1)}")

    types = _types_text(filters)
    suppressed = "; ".join(
        f"{rule.name} ("
        + ", ".join(
            f"{field} {op.replace('_', ' ')} {value if not isinstance(value, list) else '|'.join(map(str, value))}"
            for field, conditions in sorted(rule.criteria.items())
            for op, value in sorted(conditions.items())
        )
        + ")"
        for rule in alerting.suppression_rules
    )
    rows = [
        ("severities mailed", ", ".join(bands) if bands else "none"),
        ("finding types", types),
        ("sample findings", "mailed, marked SAMPLE" if filters.samples.value == "deliver" else "dropped"),
        ("occurrences", "first only (service.count = 1)" if filters.new_only else "every occurrence"),
        ("recipients", ", ".join(alerting.recipients)),
        ("suppressed (archived)", suppressed or "nothing"),
        ("subject formatter", "on (Lambda publishes with a subject)" if alerting.subject_formatter else "off"),
        ("EventBridge rules", f"{len(rules)} ({', '.join(rule.key for rule in rules)})"),
    ]
    if alerting.channels:
        channel_rules = _channel_rule_keys(alerting)
        if channel_rules:
            rows[-1] = (rows[-1][0], rows[-1][1] + f" + {len(channel_rules)} for channels ({', '.join(channel_rules)})")
    rows.append(("alarms notify", alarms_text(alerting)))
    width = max(len(key) for key, _ in rows)
    # The account only when the config lists accounts: one without them reads as it always did.
    account = f"{account_in_words(alerting.account_id, alerting.account_names)}, " if alerting.account_id else ""
    lines = [f"stack {alerting.name} ({account}region {alerting.region})"]
    lines += [f"  {key.ljust(width)}  {value}" for key, value in rows]
    if alerting.channels:
        lines += _destination_lines(alerting)
    elif alerting.recipients and (alerting.filters.accounts or alerting.filters.exclude_accounts):
        # Recipients alone with finding_accounts(_except): an account left out reaches no one, which is said here.
        destination = EmailChannel(addresses=tuple(alerting.recipients)).describe()
        lines += _account_lines(alerting.account_names, [(destination, alerting.filters)])
    return "\n".join(lines)


def alarms_text(alerting: StackAlerting) -> str:
    """Who hears of failed deliveries and dead letters, in words (GuardDutyAlerts `alarm_actions`)."""
    if alerting.alarm_actions:
        return ", ".join(alerting.alarm_actions)
    if alerting.alarm_actions is not None:
        return "no one (delivery.alarm_actions is empty): the alarms only change state in CloudWatch"
    own_mail = next((g for g in alerting.routing().mail_groups if g.key == "" and g.addresses), None)
    if own_mail is None:
        return (
            "NO ONE: this stack has no mail topic (no recipients) and no delivery.alarm_actions; set "
            "delivery.alarm_actions to an on-call SNS topic of the region"
        )
    return f"the alert topic {alerting.alerts_name}, mailed to {', '.join(own_mail.addresses)}"


def _types_text(filters: FindingFilters) -> str:
    def describe(entries: tuple[str, ...]) -> str:
        return ", ".join(f"{text}*" if kind == "prefix" else text for kind, text in map(type_matcher, entries))

    if filters.include_types:
        return "only " + describe(filters.include_types)
    if filters.exclude_types:
        return "all except " + describe(filters.exclude_types)
    return "all"


def severities_text(threshold: float) -> str:
    """The severities at or above a threshold in words: 'HIGH and CRITICAL (7.0 and above)'; a threshold
    inside a band says so: 'part of HIGH, and CRITICAL (7.5 and above)'."""
    names = [band.name for band in bands_at_or_above(threshold)]
    if not names:
        return "nothing"
    band = Severity.of_score(threshold)
    if threshold != band.floor:
        names[0] = f"part of {names[0]}"
    words = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{words} ({_number(threshold)} and above)"


def _channel_rule_keys(alerting: StackAlerting) -> list[str]:
    """Keys of the rules the channels add to the stack's own (as the construct names them: rule-<key>)."""
    keys = []
    for group in alerting.routing().mail_groups:
        if group.key == "":
            continue
        keys += [f"{group.key}-{band.name.lower()}" for band in bands_at_or_above(group.threshold)]
        if group.filters.samples.value == "deliver":
            keys.append(f"{group.key}-sample")
    keys += [group.key for group in alerting.routing().raw_groups]
    return keys


def _own_settings(alerting: StackAlerting, channel: Channel) -> tuple[float, FindingFilters, bool]:
    threshold = (
        parse_threshold(channel.severity_threshold) if channel.severity_threshold is not None else alerting.threshold
    )
    own_filters = channel.filters is not None and channel.filters != alerting.filters
    return threshold, (channel.filters if own_filters and channel.filters else alerting.filters), own_filters


def _filters_text(filters: FindingFilters, names: AccountNames) -> str:
    parts = [f"finding types {_types_text(filters)}"]
    parts.append("first occurrence only" if filters.new_only else "every occurrence")
    if filters.accounts or filters.exclude_accounts:
        parts.append(accounts_text(filters, names))
    return ", ".join(parts)


def accounts_text(filters: FindingFilters, names: AccountNames) -> str:
    """Whose findings pass the filters' account lists, in words: 'findings of account payments-prod
    (111111111111) only', 'findings of every account except account shared (222222222222)'."""
    if filters.accounts:
        return f"findings of {_and(filters.accounts, names)} only"
    if filters.exclude_accounts:
        return f"findings of every account except {_and(filters.exclude_accounts, names)}"
    return "findings of every account"


def _and(ids: Sequence[str], names: AccountNames) -> str:
    words = [account_in_words(account_id, names) for account_id in ids]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def admits(filters: FindingFilters, account_id: str | None) -> bool:
    """Whether a finding of `account_id` passes the filters' account lists (the pattern on detail.accountId);
    None stands for an account that no list mentions."""
    if filters.accounts:
        return account_id in filters.accounts
    return account_id not in filters.exclude_accounts


def _samples_text(channel: Channel, filters: FindingFilters) -> str:
    # Each kind says it: marked by our mail or chat message, or left to the whole event (sample: true).
    return channel.samples_words if filters.samples.value == "deliver" else "dropped"


# The chat integration's own rate: issue 18, point 6, from the Amazon Q Developer in chat applications
# Administrator Guide (https://docs.aws.amazon.com/chatbot/latest/adminguide/). The page itself was not in the
# reference corpus this was written with: the figure is the reading of it, to check against AWS. SNS
# counts a delivery to the chat integration as delivered, so NumberOfNotificationsFailed (our channel alarm)
# stays at zero for what it drops.
CHAT_THROTTLING = (
    "the chat integration accepts about 10 events a second and drops the rest, with no SNS failure metric and "
    "no alarm; for bursts add a user_notifications channel with aggregation SHORT or LONG (digests), or give "
    "this channel a higher severity_threshold"
)


# explain's mark on the unrouted destination: its filters list every routed account as left out, which alone
# reads as a list of exclusions rather than a catch-all.
UNROUTED = "unrouted: gets findings of every account no route lists"


def _once(alerting: StackAlerting, channel: Channel) -> str:
    """What someone must do once before the destination gets anything (each kind says it)."""
    return channel.once(region=alerting.region, raw_topic_arn=lambda: _topic_arn(alerting, channel))


def _topic_arn(alerting: StackAlerting, channel: Channel) -> str:
    key = next(group.key for group in alerting.routing().raw_groups if channel in group.channels)
    account = alerting.account_id or "<account of the stack>"
    partition = partition_of_region(alerting.region)
    return f"arn:{partition}:sns:{alerting.region}:{account}:{alerting.alerts_name}-{key}"


def _destination_lines(alerting: StackAlerting) -> list[str]:
    """Each destination: the stack's own recipients, then every channel in the order given."""
    entries: list[tuple[Channel, float, FindingFilters, bool]] = []
    if alerting.recipients:
        # The stack's own recipients are the short form of one email channel with its settings.
        own_mail = EmailChannel(addresses=tuple(alerting.recipients))
        entries.append((own_mail, alerting.threshold, alerting.filters, False))
    for channel in alerting.channels:
        entries.append((channel, *_own_settings(alerting, channel)))
    lines = ["  destinations"]
    for channel, threshold, filters, own in entries:
        words = channel.describe_named(alerting.account_names)
        delivery = channel.delivery_words()
        rows = [("gets", "; ".join([severities_text(threshold), *([delivery] if delivery else [])]))]
        if own:
            rows.append(("filters", _filters_text(filters, alerting.account_names)))
        if alerting.unrouted is not None and channel == alerting.unrouted:
            rows.append(("routing", UNROUTED))
        rows.append(("samples", _samples_text(channel, filters)))
        if channel.chat_configuration:
            rows.append(("limit", CHAT_THROTTLING))
        rows.append(("once", _once(alerting, channel)))
        lines.append(f"  - {words}")
        lines += [f"      {key.ljust(7)}  {value}" for key, value in rows]
    if any(filters.accounts or filters.exclude_accounts for *_, filters, _ in entries):
        lines += _account_lines(
            alerting.account_names,
            [(channel.describe_named(alerting.account_names), filters) for channel, _, filters, _ in entries],
        )
    return lines


def _account_lines(names: AccountNames, destinations: list[tuple[str, FindingFilters]]) -> list[str]:
    """Which destinations each account's findings reach (by their account lists only: severities and types as
    above), the accounts the configuration names or a list mentions, then every other account; an account whose
    findings reach no destination is flagged, and one that an except list leaves out says so (an
    `accounts_except` is easy to write once too often)."""
    listed = {account for _, filters in destinations for account in (*filters.accounts, *filters.exclude_accounts)}
    excluded = {account for _, filters in destinations for account in filters.exclude_accounts}
    lines = ["  accounts (whose findings reach which destinations)"]
    for account_id in sorted(set(names) | listed):
        reach = [words for words, filters in destinations if admits(filters, account_id)]
        if reach:
            who = "; ".join(reach)
        elif account_id in excluded:
            who = (
                "NOBODY: every destination that would get its findings leaves it out (accounts_except or "
                "finding_accounts_except); take it out of one, or list it in a channel's accounts"
            )
        else:
            who = "NOBODY: no destination gets its findings; list it in a channel's accounts, or add unrouted"
        lines.append(f"  - {account_in_words(account_id, names)}: {who}")
    reach = [words for words, filters in destinations if admits(filters, None)]
    who = "; ".join(reach) if reach else "NOBODY: add unrouted, so that a new account's findings reach someone"
    lines.append(f"  - any other account: {who}")
    return lines

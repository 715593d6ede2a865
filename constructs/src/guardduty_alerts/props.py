"""The construct's props as one typed object, and the one check that collects every problem in them.

`check_props` is the construct's first step: it lists every problem of every prop (the plain values, the
channels, what the channels need of the rest of the construct, the event patterns' size) and raises one
`InvalidPropsError`, so a caller fixes everything in one pass (see errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._aws import AwsProvider
from .channel_base import ChannelSetup
from .channels import Channel, channel_problems, route_channels
from .delivery import MAX_METRICS_PER_ALARM
from .delivery_settings import (
    DEAD_LETTER_RETENTION,
    DEFAULT_DEAD_LETTER_RETENTION_SECONDS,
    DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    MAXIMUM_EVENT_AGE,
    MAXIMUM_RETRY_ATTEMPTS,
    alarm_action_problem,
    bounds_problem,
    kms_key_arn_problem,
)
from .errors import InvalidPropsError
from .formatter_names import account_names_problems
from .notifications import mail_rules, pattern_size_limit_problem, pattern_size_problem
from .patterns import DEFAULT_EVENT_PATTERN_SIZE_LIMIT, FindingFilters, account_filter_problems
from .regions import ALL_REGIONS
from .severity import Severity, parse_threshold, threshold_problem
from .suppression import SuppressionRule, suppression_rule_problems
from .validation import (
    PublishingFrequency,
    address_list_problems,
    detector_id_problem,
    frequency_problem,
    name_problem,
    tag_problems,
)

__all__ = ["AlertsProps", "chat_topic_regions_problems", "check_props"]


@dataclass(frozen=True)
class AlertsProps:
    """Every prop of `GuardDutyAlerts`, documented once here: what it means, its allowed values and its
    default as behaviour. The construct takes them as keyword arguments of the same names and gathers them
    into this object; `check_props` checks them all at once."""

    recipients: Sequence[str] = ()
    """Email addresses that get the readable mail at the construct's threshold and filters; each must confirm the
    subscription mail. The short form of one `EmailChannel`. Default: none (then `channels` must deliver somewhere)."""

    channels: Sequence[Channel] = ()
    """More destinations, each with its own threshold and filters (default: the construct's): `EmailChannel`,
    `SlackChannel`, `TeamsChannel`, `SlackWebhookChannel`, `TeamsWebhookChannel`, `WebhookChannel`, `SqsChannel`,
    `UserNotificationsChannel` (see channels.py). Channels with the same settings share rules. Default: none."""

    severity_threshold: Severity | str | float = Severity.MEDIUM
    """Lowest severity mailed, a band or a number from 1.0 to 10.0. Default: MEDIUM (4.0), as GuardDuty's console groups
    findings."""

    name: str = "guardduty-alerts"
    """Name of the topic, prefix of the rule's name. Default: "guardduty-alerts"."""

    finding_publishing_frequency: PublishingFrequency | str = PublishingFrequency.FIFTEEN_MINUTES
    """How often updates of active findings are published. Default: FIFTEEN_MINUTES (AWS's own default is SIX_HOURS, too
    slow to alert on)."""

    existing_detector_id: str | None = None
    """Adopt this region's existing detector instead of creating one (AWS allows one detector per account and region).
    Default: a new detector is created."""

    tags: Mapping[str, str] | None = None
    """Tags for every taggable resource created. Default: no tags."""

    filters: FindingFilters | None = None
    """Finding types to include or exclude, sample handling, new findings only. Default: every finding type, samples
    mailed and marked, every occurrence."""

    suppression_rules: Sequence[SuppressionRule] = ()
    """GuardDuty filters with action ARCHIVE (known-benign findings are archived at the source and never sent to
    EventBridge). Default: none."""

    subject_formatter: bool = False
    """Route findings through a small Lambda function that publishes them with a readable subject and unquoted text.
    Default: off, EventBridge publishes to the topic directly."""

    encrypt_topic: bool = True
    """Encrypt the topic at rest with KMS. Default: True. False leaves the topic unencrypted (the dead-letter queue
    keeps SQS-managed encryption); findings are sensitive."""

    existing_kms_key_arn: str | None = None
    """Encrypt with this customer-managed key (ARN of the key or its alias, in the stack's region) instead of creating
    one; its key policy must let events.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt. AWS-managed keys
    (alias/aws/sns) are refused: EventBridge cannot use them and nothing would arrive. Default: a new
    customer-managed key with rotation on and alias alias/<name> is created."""

    maximum_event_age_seconds: int = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS
    """How long EventBridge retries a failed delivery before dead-lettering it, 60 to 86400. Default: 86400 (24 hours,
    AWS's maximum)."""

    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
    """Retries of a failed delivery, 0 to 185. Default: 185 (AWS's maximum)."""

    dead_letter_retention_seconds: int = DEFAULT_DEAD_LETTER_RETENTION_SECONDS
    """How long undelivered findings stay in the dead-letter queue, 60 to 1209600. Default: 1209600 (14 days, SQS's
    maximum)."""

    alarm_actions: Sequence[str] | None = None
    """ARNs notified when a delivery fails or a finding is dead-lettered (an SNS topic of the on-call system, in the
    stack's region); not the alerts topic itself (that is the default). An empty list notifies no one: the alarms
    only change state in CloudWatch. Default: the construct's own mail topic, so its recipients hear of failed
    deliveries (most failures, a chat webhook's 400s, the formatter's errors, a channel's topic, are not failures of
    that topic); the created key and the topic policy then let CloudWatch publish. With `existing_kms_key_arn` that
    key's policy must let cloudwatch.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt. Without recipients
    (channels only) there is no such topic and no one is notified."""

    event_pattern_size_limit: int = DEFAULT_EVENT_PATTERN_SIZE_LIMIT
    """EventBridge's "Event pattern size" quota of the account and region, 2048 to 4096 characters; a finding type
    filter whose rules' patterns exceed it is refused at synth (AWS would refuse it at apply). Default: 2048, AWS's
    default quota; raise it only after raising the quota."""

    chat_provider: AwsProvider | None = None
    """AWS provider in a region where the chat integration has its API (us-east-2, us-west-2, eu-west-1,
    ap-southeast-1), for Slack and Teams channels. Default: the stack's provider, which must then be in one of those
    regions."""

    notifications_provider: AwsProvider | None = None
    """AWS provider in us-east-1, where AWS User Notifications has its API, for a `UserNotificationsChannel`. Default:
    the stack's provider, which must then be in us-east-1."""

    chat_topic_regions: Sequence[str] | None = None
    """Where the Slack and Teams configurations are, for an account deployed as one stack per region. AWS allows one
    configuration per Slack channel in an account, and provider 5.100 one Teams configuration per team, so one stack
    holds them. In that stack: every region of the account whose findings go to chat (this stack's region among
    them); each configuration subscribes to the raw topic of the same name in each, addressed by ARN, so apply the
    other regions' stacks first. In the account's other stacks: an empty list; they keep their rule and topic, and
    create no configuration, chat role or guardrail (and need no `chat_provider`). Default: the configurations are in
    this stack and subscribe to this stack's topics only (one stack in the account)."""

    account_names: Mapping[str, str] | None = None
    """Account id -> name; with `subject_formatter` the mails name those accounts in words, "account payments-prod
    (111111111111)" (the function's ACCOUNT_NAMES variable, within Lambda's 4 KB environment quota). Without the
    formatter it has no effect: an input transformer cannot look names up. Default: none, mails name every account
    by its id."""


def check_props(props: AlertsProps, *, region: str | None, emulated: bool = False) -> None:
    """Raise one `InvalidPropsError` listing every problem of `props`; `region` is the stack provider's, and
    `emulated` says that its calls go to a local emulator (an HTTPS webhook on this machine is then reachable)."""
    problems = (
        _plain_problems(props, region=region)
        + _channel_list_problems(props, region=region, emulated=emulated)
        + suppression_rule_problems(props.suppression_rules)
        + _delivery_problems(props, region=region)
        + _pattern_size_problems(props)
    )
    if problems:
        raise InvalidPropsError(problems)


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _plain_problems(props: AlertsProps, *, region: str | None) -> list[str]:
    """The props that are plain values: recipients, threshold, name, frequency, detector, tags, regions."""
    problems: list[str] = []

    def check(prop: str, problem: str | None) -> None:
        if problem:
            problems.append(f"{prop}: {problem}")

    recipients = props.recipients
    if not _is_list(recipients):
        problems.append(f"recipients: {recipients!r} is not a list; allowed: a list of email addresses")
    elif not recipients and not props.channels:
        problems.append(
            "recipients: the list is empty and no channels are given, so nothing would be delivered; "
            "allowed: at least one email address, or channels"
        )
    else:
        problems += [f"{where}: {problem}" for where, problem in address_list_problems("recipients", recipients)]
    check("severity_threshold", threshold_problem(props.severity_threshold))
    check("name", name_problem(props.name))
    check("finding_publishing_frequency", frequency_problem(props.finding_publishing_frequency))
    if props.existing_detector_id is not None:
        check("existing_detector_id", detector_id_problem(props.existing_detector_id))
    tags = props.tags
    if tags is not None:
        if not isinstance(tags, Mapping):
            problems.append(f"tags: {tags!r} is not a mapping; allowed: a mapping of strings to strings")
        else:
            problems += [f"tags{problem}" for problem in tag_problems(tags)]
    problems += account_names_problems(props.account_names)
    return problems + chat_topic_regions_problems(props.chat_topic_regions, region=region)


def _channel_list_problems(props: AlertsProps, *, region: str | None, emulated: bool) -> list[str]:
    """The channels themselves, then (when each is well formed) what they need of the rest of the construct."""
    channels = list(props.channels) if _is_list(props.channels) else props.channels
    recipients = props.recipients if _is_list(props.recipients) else ()
    problems = channel_problems(channels, region=region, recipients=recipients, emulated=emulated)  # type: ignore[arg-type]
    if problems or not channels:
        # Setup checks read each channel's fields and route them: only sound on well-formed channels.
        return problems
    return _channel_setup_problems(
        channels,  # type: ignore[arg-type]
        region=region,
        subject_formatter=props.subject_formatter,
        # An invalid threshold is reported above; the routing check then assumes the default.
        threshold=props.severity_threshold if threshold_problem(props.severity_threshold) is None else None,
        filters=props.filters,
        chat_provider=props.chat_provider,
        notifications_provider=props.notifications_provider,
        holds_chat_configurations=props.chat_topic_regions is None or bool(props.chat_topic_regions),
    )


def _pattern_size_problems(props: AlertsProps) -> list[str]:
    """EventBridge refuses a pattern over its size quota at apply; say so at synth."""
    limit = props.event_pattern_size_limit
    problem = pattern_size_limit_problem(limit)
    if problem is not None:
        return [f"event_pattern_size_limit: {problem}"]
    if threshold_problem(props.severity_threshold) is not None:
        return []  # reported above; the patterns cannot be built without it
    rules = mail_rules(
        parse_threshold(props.severity_threshold),
        props.filters or FindingFilters(),
        formatter=props.subject_formatter,
    )
    problem = pattern_size_problem(rules, limit)
    problems = [f"filters: {problem}"] if problem is not None else []
    return problems + _account_list_problems(props, limit)


def _account_list_problems(props: AlertsProps, limit: int) -> list[str]:
    """The account lists of the filters and of each channel's own: well formed, and within the size quota."""
    problems = [
        f"filters.{where}: {problem}" for where, problem in account_filter_problems(props.filters or FindingFilters())
    ]
    channels = list(props.channels) if _is_list(props.channels) else []
    threshold = parse_threshold(props.severity_threshold)
    for index, channel in enumerate(channels):
        filters = getattr(channel, "filters", None)
        if not isinstance(filters, FindingFilters) or not (filters.accounts or filters.exclude_accounts):
            continue
        own = account_filter_problems(filters)
        problems += [f"channels[{index}].filters.{where}: {problem}" for where, problem in own]
        if own or (channel.severity_threshold is not None and threshold_problem(channel.severity_threshold)):
            continue
        level = parse_threshold(channel.severity_threshold) if channel.severity_threshold is not None else threshold
        # Mail groups have a rule per band; the raw kinds one rule for every finding (the formatter's pattern).
        rules = mail_rules(level, filters, formatter=not channel.banded)
        too_long = pattern_size_problem(rules, limit, cause="the accounts")
        if too_long:
            key = "accounts" if filters.accounts else "exclude_accounts"
            problems.append(f"channels[{index}].filters.{key}: {too_long}")
    return problems


def _channel_setup_problems(
    channels: Sequence[Channel],
    *,
    region: str | None,
    subject_formatter: bool,
    threshold: object,
    filters: FindingFilters | None,
    chat_provider: AwsProvider | None,
    notifications_provider: AwsProvider | None,
    holds_chat_configurations: bool = True,
) -> list[str]:
    """What the channels need of the rest of the construct: providers in the right regions, the formatter's
    one topic, and CloudWatch's limit on the channel alarm."""
    setup = ChannelSetup(
        region=region,
        subject_formatter=subject_formatter,
        filters=filters,
        chat_provider=chat_provider is not None,
        notifications_provider=notifications_provider is not None,
        holds_chat_configurations=holds_chat_configurations,
    )
    # Each kind says what it needs (see ChannelBase._setup_problems).
    problems = [
        problem
        for index, channel in enumerate(channels)
        for problem in channel._setup_problems(f"channels[{index}]", setup)
    ]
    return problems + _channel_alarm_problems(
        channels, threshold=threshold, filters=filters, subject_formatter=subject_formatter
    )


def _channel_alarm_problems(
    channels: Sequence[Channel], *, threshold: object, filters: FindingFilters | None, subject_formatter: bool
) -> list[str]:
    """CloudWatch's limit of metrics per alarm, which the one channel alarm sums over every channel rule."""
    problems: list[str] = []
    routing = route_channels(
        channels,
        recipients=(),
        threshold=parse_threshold(threshold) if threshold is not None else Severity.MEDIUM.floor,  # type: ignore[arg-type]
        filters=filters or FindingFilters(),
        formatter=subject_formatter,
    )
    own = [group for group in routing.mail_groups if group.key] + list(routing.raw_groups)
    metrics = sum(
        len(mail_rules(group.threshold, group.filters)) for group in routing.mail_groups if group.key
    ) + 2 * len(routing.raw_groups)
    if metrics > MAX_METRICS_PER_ALARM:
        problems.append(
            f"channels: {len(own)} distinct threshold and filter sets need {metrics} metrics in the channel "
            f"alarm; allowed: at most {MAX_METRICS_PER_ALARM} (CloudWatch's limit per alarm): give more channels "
            "the same severity_threshold and filters"
        )
    return problems


def chat_topic_regions_problems(value: object, *, region: str | None) -> list[str]:
    """Problems of the `chat_topic_regions` prop: None, or a list of distinct commercial regions that holds
    this stack's own (its topic is the one created here), or empty."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [f"chat_topic_regions: {value!r} is not a list; allowed: a list of AWS region names, or None"]
    problems = []
    seen: set[object] = set()
    for index, item in enumerate(value):
        if not isinstance(item, str) or item not in ALL_REGIONS:
            problems.append(
                f"chat_topic_regions[{index}]: {item!r} is not an AWS commercial region; allowed: a region name "
                "such as eu-west-1"
            )
        elif item in seen:
            problems.append(f"chat_topic_regions[{index}]: {item!r} is listed twice; allowed: each region once")
        seen.add(item)
    if value and region is not None and region not in value and not problems:
        problems.append(
            f"chat_topic_regions: {list(value)!r} leaves out this stack's region {region}; allowed: the account's "
            "regions whose topics the chat configurations subscribe to, this stack's among them, or an empty "
            "list when another stack of the account holds the configurations"
        )
    return problems


def _delivery_problems(props: AlertsProps, *, region: str | None) -> list[str]:
    """The delivery props: encryption, retries, the dead-letter queue, who hears of failures."""
    name = props.name
    encrypt_topic = props.encrypt_topic
    existing_kms_key_arn = props.existing_kms_key_arn
    alarm_actions = props.alarm_actions
    problems: list[str] = []

    def check(prop: str, problem: str | None) -> None:
        if problem:
            problems.append(f"{prop}: {problem}")

    if not isinstance(encrypt_topic, bool):
        problems.append(f"encrypt_topic: {encrypt_topic!r} is not allowed; allowed: True or False")
    if existing_kms_key_arn is not None:
        if encrypt_topic is False:
            problems.append(
                f"existing_kms_key_arn: {existing_kms_key_arn!r} is given but encrypt_topic is False; "
                "allowed: leave it out, or set encrypt_topic to True"
            )
        else:
            check("existing_kms_key_arn", kms_key_arn_problem(existing_kms_key_arn, region=region))
    check("maximum_event_age_seconds", bounds_problem(props.maximum_event_age_seconds, MAXIMUM_EVENT_AGE))
    check("maximum_retry_attempts", bounds_problem(props.maximum_retry_attempts, MAXIMUM_RETRY_ATTEMPTS))
    check("dead_letter_retention_seconds", bounds_problem(props.dead_letter_retention_seconds, DEAD_LETTER_RETENTION))
    if alarm_actions is None:
        pass
    elif isinstance(alarm_actions, str) or not isinstance(alarm_actions, Sequence):
        problems.append(
            f"alarm_actions: {alarm_actions!r} is not a list; allowed: a list of ARNs, an empty list (no one is "
            "notified) or None (the alerts topic)"
        )
    else:
        for index, action in enumerate(alarm_actions):
            check(f"alarm_actions[{index}]", alarm_action_problem(action, region=region, topic_name=str(name)))
    return problems

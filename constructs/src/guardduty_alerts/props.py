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
from .notifications import mail_rules, pattern_size_limit_problem, pattern_size_problem
from .patterns import DEFAULT_EVENT_PATTERN_SIZE_LIMIT, FindingFilters
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
    """Every prop of `GuardDutyAlerts`, as given (see its docstring for what each means and its default)."""

    recipients: Sequence[str] = ()
    channels: Sequence[Channel] = ()
    severity_threshold: Severity | str | float = Severity.MEDIUM
    name: str = "guardduty-alerts"
    finding_publishing_frequency: PublishingFrequency | str = PublishingFrequency.FIFTEEN_MINUTES
    existing_detector_id: str | None = None
    tags: Mapping[str, str] | None = None
    filters: FindingFilters | None = None
    suppression_rules: Sequence[SuppressionRule] = ()
    subject_formatter: bool = False
    encrypt_topic: bool = True
    existing_kms_key_arn: str | None = None
    maximum_event_age_seconds: int = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
    dead_letter_retention_seconds: int = DEFAULT_DEAD_LETTER_RETENTION_SECONDS
    alarm_actions: Sequence[str] | None = None
    event_pattern_size_limit: int = DEFAULT_EVENT_PATTERN_SIZE_LIMIT
    chat_provider: AwsProvider | None = None
    notifications_provider: AwsProvider | None = None
    chat_topic_regions: Sequence[str] | None = None


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
    return [f"filters: {problem}"] if problem is not None else []


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

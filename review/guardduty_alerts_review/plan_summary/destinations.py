"""Where one side (before or after) of a plan delivers findings: every destination and the severities it gets.

A finding reaches a destination along resources that name each other by ARN: an EventBridge rule, its target
(an SNS topic or an EventBridge API destination), then the topic's subscriptions (email, https, sqs) or the
Amazon Q Developer in chat applications configurations listing the topic; AWS User Notifications has its own
event rule, configuration, contacts and their associations. Before the change every ARN is known; after it an
ARN of something still to be created is not, so the plan's `configuration` section (which resource each
expression references) links them instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from guardduty_alerts.accounts import AccountNames, account_in_words

from .matchers import (
    EVERY_ACCOUNT,
    NOT_SAMPLE,
    SAMPLE,
    AccountSelection,
    SeveritySet,
    UninterpretablePattern,
    account_selection,
    sample_kinds,
    severity_filter,
)
from .model import Change
from .resource_types import (
    API_DESTINATION,
    NOTIFICATION_ASSOCIATION,
    NOTIFICATION_CONFIGURATION,
    NOTIFICATION_CONTACT,
    NOTIFICATION_RULE,
    SLACK,
    SUBSCRIPTION,
    TARGET,
    TEAMS,
    TOPIC,
)

__all__ = ["Deliveries", "Destination", "RuleReach"]

EMAIL_PROTOCOLS = ("email", "email-json")

# Where a target delivers: a topic that mails (or one this summary cannot place), a channel, another bus.
MAIL, CHANNEL, BUS = "mail", "channel", "bus"


def _base_address(address: str) -> str:
    """`aws_sns_topic.x["a"]` -> `aws_sns_topic.x` (the configuration names resources without instance keys)."""
    return address.split("[", 1)[0] if address.endswith("]") else address


@dataclass(frozen=True)
class Destination:
    """One place findings go, on one side of the plan. `severities` is None when the plan does not say which
    rules feed it (no target links it to a rule)."""

    key: tuple[str, str]
    kind: str  # email, https, sqs, slack, teams, chat_webhook, user_notifications
    words: str
    severities: SeveritySet | None
    samples: bool
    once: str  # what someone must do once before it gets anything ("" for nothing)
    accounts: AccountSelection = EVERY_ACCOUNT  # whose findings it gets (detail.accountId)


@dataclass(frozen=True)
class RuleReach:
    """What a rule selects, as far as destinations care: the real findings' severities and whether samples."""

    severities: SeveritySet
    kinds: frozenset[str]
    accounts: AccountSelection = EVERY_ACCOUNT


class Deliveries:
    """Destinations of one side of a plan, from its finding rules (by rule name) and the resources between."""

    def __init__(
        self,
        changes: list[Change],
        references: Mapping[str, Mapping[str, list[str]]],
        rules: Mapping[str, RuleReach],
        *,
        after: bool,
        account_names: AccountNames = MappingProxyType({}),
    ) -> None:
        self._after = after
        self._account_names = account_names
        self._references = references
        self._changes = changes
        self._by_type: dict[str, list[Change]] = {}
        for change in changes:
            if self._values(change) is not None:
                self._by_type.setdefault(change.type, []).append(change)
        # Topic address -> its subscriptions and chat configurations, on this side.
        self._topic_subscriptions: dict[str, list[Change]] = {}
        for subscription in self._of(SUBSCRIPTION):
            topic = self._resolve(subscription, "topic_arn", TOPIC)
            if topic:
                self._topic_subscriptions.setdefault(topic, []).append(subscription)
        self._topic_chats: dict[str, list[Change]] = {}
        for chat in [*self._of(SLACK), *self._of(TEAMS)]:
            for topic in self._resolve_all(chat, "sns_topic_arns", TOPIC):
                self._topic_chats.setdefault(topic, []).append(chat)
        # Rule name -> where its targets deliver: (kind, address) pairs.
        self.targets: dict[str, list[tuple[str, str | None]]] = {}
        for target in self._of(TARGET):
            rule = self._values(target).get("rule")  # type: ignore[union-attr]
            if isinstance(rule, str):
                self.targets.setdefault(rule, []).append(self._target_kind(target))
        self.destinations = self._destinations(rules)

    # --- linking -----------------------------------------------------------------------------------------

    def _values(self, change: Change) -> Mapping[str, Any] | None:
        return change.after if self._after else change.before

    def _of(self, type_: str) -> list[Change]:
        return self._by_type.get(type_, [])

    def _by_arn(self, arn: str, type_: str) -> str | None:
        for change in self._by_type.get(type_, []):
            for values in (change.before, change.after):
                if values and values.get("arn") == arn:
                    return change.address
        if type_ == TOPIC and arn.startswith("arn:") and ":sns:" in arn:
            name = arn.rsplit(":", 1)[-1]
            for change in self._of(TOPIC):
                if self._values(change).get("name") == name:  # type: ignore[union-attr]
                    return change.address
        return None

    def _by_reference(self, change: Change, attribute: str, type_: str) -> list[str]:
        if not self._after:
            return []  # the configuration is the new one: it says nothing of what was
        references = self._references.get(_base_address(change.address), {}).get(attribute, [])
        # A resource with count or for_each has instance keys in its address, none in the configuration.
        by_base: dict[str, list[str]] = {}
        for candidate in self._of(type_):
            by_base.setdefault(_base_address(candidate.address), []).append(candidate.address)
        found: list[str] = []
        for reference in references:
            # "aws_sns_topic.x.arn" and "aws_sns_topic.x" both appear; the resource is the part before ".arn".
            instances = by_base.get(reference.removesuffix(".arn"), [])
            if len(instances) == 1 and instances[0] not in found:
                found.append(instances[0])
        return found

    def _resolve(self, change: Change, attribute: str, type_: str) -> str | None:
        """The address of the `type_` resource whose ARN `change.attribute` holds, on this side; None if it is
        not one in the plan (an ARN of something else, or unknown and unreferenced)."""
        value = (self._values(change) or {}).get(attribute)
        if isinstance(value, str) and value:
            return self._by_arn(value, type_)
        found = self._by_reference(change, attribute, type_)
        return found[0] if len(found) == 1 else None

    def _resolve_all(self, change: Change, attribute: str, type_: str) -> list[str]:
        values = (self._values(change) or {}).get(attribute)
        values = values if isinstance(values, list) else [values]
        found = [a for v in values if isinstance(v, str) and (a := self._by_arn(v, type_))]
        if any(not isinstance(v, str) for v in values):
            found += [a for a in self._by_reference(change, attribute, type_) if a not in found]
        return found

    def _target_kind(self, target: Change) -> tuple[str, str | None]:
        arn = (self._values(target) or {}).get("arn")
        if isinstance(arn, str) and ":event-bus/" in arn:
            return BUS, None
        destination = self._resolve(target, "arn", API_DESTINATION)
        if destination:
            return CHANNEL, destination
        topic = self._resolve(target, "arn", TOPIC)
        if topic is None:
            return MAIL, None
        mails = any(
            (self._values(s) or {}).get("protocol") in EMAIL_PROTOCOLS for s in self._topic_subscriptions.get(topic, [])
        )
        others = bool(self._topic_chats.get(topic)) or len(self._topic_subscriptions.get(topic, [])) > 0
        return (MAIL if mails or not others else CHANNEL), topic

    def channel_only(self, rule_name: object) -> bool:
        """Whether every target of the rule delivers to a channel (or another bus) and none to a mail topic."""
        kinds = [kind for kind, _ in self.targets.get(str(rule_name), [])]
        return CHANNEL in kinds and all(kind in (CHANNEL, BUS) for kind in kinds)

    def channel_target(self, target: Change) -> bool:
        """Whether a target delivers to a channel on this side (its line is the channel's line)."""
        return self._values(target) is not None and self._target_kind(target)[0] == CHANNEL

    def mail_topic(self, topic: Change) -> bool:
        """Whether a topic mails (has an email subscription), or is not known to feed only channels."""
        subscriptions = self._topic_subscriptions.get(topic.address, [])
        if any((self._values(s) or {}).get("protocol") in EMAIL_PROTOCOLS for s in subscriptions):
            return True
        return not (subscriptions or self._topic_chats.get(topic.address))

    # --- destinations ------------------------------------------------------------------------------------

    def _reach(self, rules: Mapping[str, RuleReach], kind: str, address: str) -> tuple[SeveritySet | None, bool]:
        feeding = [
            reach
            for name, reach in rules.items()
            if any(target == (kind, address) for target in self._typed_targets(name))
        ]
        if not feeding:
            return None, False
        severities = SeveritySet.empty()
        for reach in feeding:
            if NOT_SAMPLE in reach.kinds:
                severities = severities | reach.severities
        return severities, any(SAMPLE in reach.kinds for reach in feeding)

    def _accounts(self, rules: Mapping[str, RuleReach], kind: str, address: str | None) -> AccountSelection:
        """Whose findings reach a destination: what any rule feeding it lets through (every account if none)."""
        feeding = [
            reach.accounts
            for name, reach in rules.items()
            if address is not None and any(target == (kind, address) for target in self._typed_targets(name))
        ]
        if not feeding:
            return EVERY_ACCOUNT
        selection = feeding[0]
        for each in feeding[1:]:
            selection = selection | each
        return selection

    def _typed_targets(self, rule_name: str) -> Iterable[tuple[str, str | None]]:
        for _kind, address in self.targets.get(rule_name, []):
            if address is None:
                continue
            yield ("api" if address.startswith(API_DESTINATION + ".") else "topic"), address

    def _destinations(self, rules: Mapping[str, RuleReach]) -> dict[tuple[str, str], Destination]:
        found: dict[tuple[str, str], Destination] = {}

        def add(destination: Destination) -> None:
            if destination.key in found:
                # The same destination fed twice (one address on two topics): it gets what either sends.
                known = found[destination.key]
                if known.severities is not None and destination.severities is not None:
                    both = known.severities | destination.severities
                else:
                    both = known.severities or destination.severities
                destination = Destination(
                    known.key,
                    known.kind,
                    known.words,
                    both,
                    known.samples or destination.samples,
                    known.once,
                    known.accounts | destination.accounts,
                )
            found[destination.key] = destination

        for destination in [
            *self._subscription_destinations(rules),
            *self._chat_destinations(rules),
            *self._webhook_destinations(rules),
        ]:
            add(destination)
        self._user_notifications(add)
        return found

    def _subscription_destinations(self, rules: Mapping[str, RuleReach]) -> Iterator[Destination]:
        """Email addresses, HTTPS endpoints and SQS queues subscribed to the topics."""
        for subscription in self._of(SUBSCRIPTION):
            values = self._values(subscription) or {}
            protocol, endpoint = values.get("protocol"), values.get("endpoint")
            if not isinstance(endpoint, str) or not endpoint:
                continue
            topic = self._resolve(subscription, "topic_arn", TOPIC)
            severities, samples = self._reach(rules, "topic", topic) if topic else (None, False)
            accounts = self._accounts(rules, "topic", topic)
            if protocol in EMAIL_PROTOCOLS:
                once = "nothing arrives until they confirm the subscription mail AWS sends them"
                yield Destination(("email", endpoint.lower()), "email", endpoint, severities, samples, once, accounts)
            elif protocol == "https":
                host = urlsplit(endpoint).hostname or "an HTTPS endpoint"
                once = (
                    ""
                    if values.get("endpoint_auto_confirms")
                    else "nothing arrives until its owner confirms the subscription (SNS posts a SubscribeURL to it)"
                )
                # The path may hold an integration key: only the host is printed.
                words = f"HTTPS webhook at {host}"
                yield Destination(("https", endpoint), "https", words, severities, samples, once, accounts)
            elif protocol == "sqs":
                parts = endpoint.split(":")
                words = f"SQS queue {parts[-1]}" + (f" (account {parts[4]})" if len(parts) == 6 else "")
                if len(parts) == 6 and parts[4] in self._account_names:
                    words = f"SQS queue {parts[-1]} of {account_in_words(parts[4], self._account_names)}"
                once = (
                    "the queue's policy must let sns.amazonaws.com send from the topic (`explain` prints the statement)"
                )
                yield Destination(("sqs", endpoint), "sqs", words, severities, samples, once, accounts)

    def _chat_destinations(self, rules: Mapping[str, RuleReach]) -> Iterator[Destination]:
        """Slack and Teams channels of chat configurations (one configuration may subscribe to many topics)."""
        for chat in [*self._of(SLACK), *self._of(TEAMS)]:
            values = self._values(chat) or {}
            topics = self._resolve_all(chat, "sns_topic_arns", TOPIC)
            reaches = [self._reach(rules, "topic", topic) for topic in topics]
            known = [severities for severities, _ in reaches if severities is not None]
            severities = None
            if known:
                severities = SeveritySet.empty()
                for each in known:
                    severities = severities | each
            samples = any(samples for _, samples in reaches)
            accounts = EVERY_ACCOUNT
            for index, topic in enumerate(topics):
                each = self._accounts(rules, "topic", topic)
                accounts = each if index == 0 else accounts | each
            if chat.type == SLACK:
                channel, workspace = values.get("slack_channel_id"), values.get("slack_team_id")
                words = f"Slack channel {channel}" + (f" (workspace {workspace})" if workspace else "")
                once = (
                    f"Slack workspace {workspace or '(its workspace)'} must be authorized in the Amazon Q Developer "
                    "in chat applications console before the apply, and @Amazon Q invited into the channel"
                )
                yield Destination(("slack", str(channel)), "slack", words, severities, samples, once, accounts)
            else:
                channel, team = values.get("channel_id"), values.get("team_id")
                words = f"Teams channel {channel}" + (f" (team {team})" if team else "")
                once = (
                    "the team must be authorized in the Amazon Q Developer in chat applications console before "
                    "the apply, and the Amazon Q app added to the channel"
                )
                yield Destination(("teams", str(channel)), "teams", words, severities, samples, once, accounts)

    def _webhook_destinations(self, rules: Mapping[str, RuleReach]) -> Iterator[Destination]:
        """Chat webhooks: EventBridge API destinations that rules target directly."""
        for destination in self._of(API_DESTINATION):
            values = self._values(destination) or {}
            name = str(values.get("name") or destination.address)
            description = values.get("description")
            words = f"chat webhook {name}"
            if isinstance(description, str) and "(" in description and description.endswith(")"):
                # The construct describes the channel in the parentheses; never the URL (a secret).
                words = description[description.index("(") + 1 : -1]
            severities, samples = self._reach(rules, "api", destination.address)
            accounts = self._accounts(rules, "api", destination.address)
            yield Destination(("chat_webhook", name), "chat_webhook", words, severities, samples, "", accounts)

    def _user_notifications(self, add: Any) -> None:
        for rule in self._of(NOTIFICATION_RULE):
            values = self._values(rule) or {}
            if values.get("source") not in (None, "aws.guardduty"):
                continue
            severities: SeveritySet | None
            accounts = EVERY_ACCOUNT
            try:
                text = values.get("event_pattern")
                pattern = json.loads(text) if isinstance(text, str) and text else {}
                kinds = sample_kinds(pattern)
                severities = severity_filter(pattern) if NOT_SAMPLE in kinds else SeveritySet.empty()
                samples = SAMPLE in kinds
                accounts = account_selection(pattern)
            except (json.JSONDecodeError, UninterpretablePattern, AttributeError):
                severities, samples = None, False
            configuration = self._resolve(rule, "notification_configuration_arn", NOTIFICATION_CONFIGURATION)
            for association in self._of(NOTIFICATION_ASSOCIATION):
                linked = self._resolve(association, "notification_configuration_arn", NOTIFICATION_CONFIGURATION)
                if configuration is not None and linked not in (configuration, None):
                    continue
                contact = self._resolve(association, "arn", NOTIFICATION_CONTACT)
                change = next((c for c in self._of(NOTIFICATION_CONTACT) if c.address == contact), None)
                address = (self._values(change) or {}).get("email_address") if change else None
                if not isinstance(address, str):
                    continue
                once = "nothing arrives until they accept the activation mail AWS sends them"
                add(
                    Destination(
                        ("user_notifications", address.lower()),
                        "user_notifications",
                        f"AWS User Notifications mail to {address}",
                        severities,
                        samples,
                        once,
                        accounts,
                    )
                )

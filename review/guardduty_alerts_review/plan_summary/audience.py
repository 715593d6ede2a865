"""Audience impacts: who gets which findings before and after a change (severities mailed, recipients, and
every other destination: chat, webhooks, queues, an email channel's own severities)."""

from __future__ import annotations

from .account_routes import accounts_phrase
from .destinations import Destination
from .matchers import SeveritySet, describe_severities, threshold_label
from .model import Change, Impact, Level
from .sides import EMAIL_PROTOCOLS, Mailed
from .wording import recipients_text, what_text

__all__ = ["channel_impacts", "channels_state", "recipient_impacts", "severity_impacts"]


def severity_impacts(before: Mailed, after: Mailed) -> list[Impact]:
    impacts: list[Impact] = []
    if before.severities.same_as(after.severities):
        pass
    else:
        stopped = before.severities - after.severities
        started = after.severities - before.severities
        low_before, low_after = before.severities.threshold(), after.severities.threshold()
        if low_before is not None and low_after is not None:
            direction = "raised" if low_after > low_before else "lowered"
            title = f"Threshold {direction} from {threshold_label(low_before)} to {threshold_label(low_after)}"
        elif after.severities.is_empty():
            title = "Alerts stop"
        elif before.severities.is_empty():
            title = "Alerts start"
        else:
            title = "Mailed severities change"
        if not stopped.is_empty():
            still = ""
            if not after.severities.is_empty():
                still = f"; {describe_severities(after.severities)} are still mailed"
            impacts.append(
                Impact(Level.LOSS, title, f"{describe_severities(stopped)} will no longer be mailed to anyone{still}.")
            )
        if not started.is_empty():
            impacts.append(
                Impact(
                    Level.GAIN,
                    title,
                    f"{describe_severities(started)} will now be mailed to {recipients_text(after.recipients)}.",
                )
            )
    for unreadable in sorted(set(before.unreadable) | set(after.unreadable)):
        impacts.append(
            Impact(
                Level.NOTE,
                "Cannot read a rule",
                f"rule {unreadable} uses a matcher this summary does not evaluate; read the plan.",
            )
        )
    return impacts


def recipient_impacts(before: Mailed, after: Mailed, changes: list[Change]) -> list[Impact]:
    impacts = []
    was = {r.lower(): r for r in before.recipients}
    now = {r.lower(): r for r in after.recipients}
    what_before, what_after = what_text(before), what_text(after)
    for key in sorted(set(was) - set(now)):
        impacts.append(
            Impact(
                Level.LOSS,
                "Recipient removed",
                f"{was[key]} will no longer be mailed; until now they got {_address_what(before, key) or what_before}.",
            )
        )
    for key in sorted(set(now) - set(was)):
        impacts.append(
            Impact(
                Level.GAIN,
                "Recipient added",
                f"{now[key]} will get "
                f"{_address_what(after, key) or what_after}, once they confirm "
                "the subscription mail AWS sends them; nothing arrives before that.",
            )
        )
    topic_replaced = any(c.type == "aws_sns_topic" and c.kind == "replace" for c in changes)
    for change in changes:
        if change.type == "aws_sns_topic_subscription" and change.kind == "replace" and not topic_replaced:
            endpoint = change.value("endpoint") or change.value("endpoint", after=False)
            protocol = change.value("protocol") or change.value("protocol", after=False)
            if protocol not in EMAIL_PROTOCOLS:
                continue  # a channel's subscription: channel_impacts says it
            impacts.append(
                Impact(
                    Level.LOSS,
                    "Subscription re-created",
                    f"{endpoint} gets a new confirmation mail and receives nothing until they confirm it.",
                )
            )
    return impacts


def address_severities(mailed: Mailed, key: str) -> SeveritySet | None:
    """The severities mailed to one address, when the plan links it to rules and they differ from what the
    stack mails as a whole (an email channel of its own threshold); else None."""
    destination = mailed.destinations.get(("email", key.lower()))
    if destination is None or destination.severities is None or destination.severities.same_as(mailed.severities):
        return None
    return destination.severities


def _address_what(mailed: Mailed, key: str) -> str | None:
    severities = address_severities(mailed, key)
    return None if severities is None else describe_severities(severities)


def gets(destination: Destination) -> str:
    """'HIGH and CRITICAL findings (severity 7.0 to 10.0), sample findings too'."""
    if destination.severities is None:
        return "findings (which ones, the plan does not say: no rule in it is linked to this destination)"
    text = describe_severities(destination.severities)
    if destination.samples:
        text += ", sample findings too" if not destination.severities.is_empty() else " but sample findings"
    return text + accounts_phrase(destination)


def channel_impacts(before: Mailed, after: Mailed, *, moved: frozenset[tuple[str, str]] = frozenset()) -> list[Impact]:
    """Each destination besides the stack's mail: added, removed, or getting other severities; and an address
    of an email channel whose own severities change. `moved`: chat channels whose configuration moves to the
    account's chat home stack (chat.py says so; they keep getting this region's findings)."""
    impacts: list[Impact] = []
    was, now = before.destinations, after.destinations
    for key in sorted(set(was) | set(now)):
        old, new = was.get(key), now.get(key)
        if key[0] == "email":
            impacts += _address_change(key[1], before, after)
            continue
        if new is not None and old is None:
            once = f"; {new.once}" if new.once else ""
            impacts.append(Impact(Level.GAIN, "Channel added", f"{new.words} is added: it gets {gets(new)}{once}."))
        elif old is not None and new is None and key not in moved:
            impacts.append(
                Impact(
                    Level.LOSS,
                    "Channel removed",
                    f"{old.words} will no longer get findings; until now it got {gets(old)}.",
                )
            )
        elif old is not None and new is not None and old.severities is not None and new.severities is not None:
            stopped, started = old.severities - new.severities, new.severities - old.severities
            if not stopped.is_empty():
                still = "" if new.severities.is_empty() else f"; it still gets {describe_severities(new.severities)}"
                impacts.append(
                    Impact(
                        Level.LOSS,
                        "Channel gets fewer findings",
                        f"{new.words} will no longer get {describe_severities(stopped)}{still}.",
                    )
                )
            if not started.is_empty():
                impacts.append(
                    Impact(
                        Level.GAIN,
                        "Channel gets more findings",
                        f"{new.words} will now get {describe_severities(started)} too.",
                    )
                )
            if old.samples != new.samples:
                impacts.append(
                    Impact(
                        Level.NOTE,
                        "Channel sample findings",
                        f"{new.words} {'will now get' if new.samples else 'will no longer get'} sample findings.",
                    )
                )
    return impacts


def _address_change(key: str, before: Mailed, after: Mailed) -> list[Impact]:
    """One address's own severities, when they differ from the stack's mail (else the mail lines say it)."""
    old, new = before.destinations.get(("email", key)), after.destinations.get(("email", key))
    if old is None or new is None or old.severities is None or new.severities is None:
        return []
    if address_severities(before, key) is None and address_severities(after, key) is None:
        return []
    impacts = []
    stopped, started = old.severities - new.severities, new.severities - old.severities
    if not stopped.is_empty():
        impacts.append(
            Impact(
                Level.LOSS,
                "Recipient gets fewer findings",
                f"{new.words} will no longer be mailed "
                f"{describe_severities(stopped)}; they still get {describe_severities(new.severities)}.",
            )
        )
    if not started.is_empty():
        impacts.append(
            Impact(
                Level.GAIN,
                "Recipient gets more findings",
                f"{new.words} will now be mailed {describe_severities(started)} too.",
            )
        )
    return impacts


def channels_state(mailed: Mailed) -> str:
    """'Slack channel C0123ABCDE (workspace T0123ABCDE) gets HIGH and CRITICAL findings (...)' for every
    destination besides the stack's mail, and every address whose own severities differ ("" for none)."""
    parts = []
    for key, destination in sorted(mailed.destinations.items()):
        if key[0] == "email":
            severities = address_severities(mailed, key[1])
            if severities is not None:
                parts.append(f"{destination.words} gets only {describe_severities(severities)}")
        else:
            parts.append(f"{destination.words} gets {gets(destination)}")
    return "; ".join(parts)

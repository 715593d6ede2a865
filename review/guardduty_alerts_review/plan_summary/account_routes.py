"""Account routes: whose findings each destination gets, before and after a change, in one or two sentences
("findings of account payments-prod (111111111111) will now go to mail to payments@example.com"; "findings of
account 222222222222 move from X to Y"), from the rules' `detail.accountId` conditions."""

from __future__ import annotations

from guardduty_alerts.accounts import AccountNames, account_in_words, account_names

from .destinations import Destination
from .matchers import join_words
from .model import Impact, Level
from .sides import Mailed

__all__ = ["account_impacts", "accounts_phrase"]


def _words(destination: Destination) -> str:
    return f"mail to {destination.words}" if destination.kind == "email" else destination.words


def _accounts_words(ids: list[str] | list[str | None], names: AccountNames) -> str:
    words = [account_in_words(i, names) if i is not None else "every account no route lists" for i in ids]
    return join_words(words)


def accounts_phrase(destination: Destination, names: AccountNames | None = None) -> str:
    """', of account A only' or ', of every account except account B' ('' for every account): appended to what
    a destination gets."""
    names = names if names is not None else account_names({})
    selection = destination.accounts
    if selection.only is not None:
        return f", of {_accounts_words(sorted(selection.only), names)} only"
    if selection.excluded:
        return f", of every account except {_accounts_words(sorted(selection.excluded), names)}"
    return ""


def account_impacts(before: Mailed, after: Mailed, names: AccountNames | None = None) -> list[Impact]:
    """For each account a rule names on either side (and every other account), which destinations start and stop
    getting its findings: a move from one destination to another is one sentence. Only destinations on both
    sides or on one side with an account list (added and removed destinations are said by the channel lines)."""
    names = names if names is not None else account_names({})
    was, now = before.destinations, after.destinations
    named = {account for destination in [*was.values(), *now.values()] for account in destination.accounts.named()}
    if not named:
        return []
    gained: dict[str | None, list[Destination]] = {}
    lost: dict[str | None, list[Destination]] = {}
    for key in sorted(set(was) | set(now)):
        old, new = was.get(key), now.get(key)
        if old is None or new is None:
            continue  # a destination added or removed: channel_impacts and recipient_impacts say it
        for account in [*sorted(named), None]:
            if new.accounts.admits(account) and not old.accounts.admits(account):
                gained.setdefault(account, []).append(new)
            elif old.accounts.admits(account) and not new.accounts.admits(account):
                lost.setdefault(account, []).append(old)
    impacts = []
    for account in [*sorted(named), None]:
        to, away = gained.get(account, []), lost.get(account, [])
        subject = f"findings of {_accounts_words([account], names)}"
        if len(to) == 1 and len(away) == 1:
            impacts.append(
                Impact(
                    Level.NOTE,
                    "Account moved",
                    f"{subject} move from {_words(away[0])} to {_words(to[0])}.",
                )
            )
            continue
        if to:
            impacts.append(
                Impact(
                    Level.GAIN,
                    "Account routed",
                    f"{subject} will now go to {join_words([_words(d) for d in to])}.",
                )
            )
        if away:
            impacts.append(
                Impact(
                    Level.LOSS,
                    "Account no longer routed",
                    f"{subject} will no longer go to {join_words([_words(d) for d in away])}.",
                )
            )
    return impacts

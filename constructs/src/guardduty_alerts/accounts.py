"""Accounts in words: "account payments-prod (111111111111)" wherever a person reads an account id.

The config gives every account a name; mails, explain, preview, plan summaries and verify reports name an
account by that name and keep the id beside it (ids are what AWS consoles and CloudTrail show). Pure: nothing
here imports cdktf.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["ACCOUNT_ID_PATTERN", "AccountNames", "account_in_words", "account_names"]

# An AWS account id is exactly 12 digits (leading zeros kept), IAM user guide, "Your AWS account ID".
ACCOUNT_ID_PATTERN = re.compile(r"[0-9]{12}")

AccountNames = Mapping[str, str]
"""Account id -> the name the config gives it."""


def account_names(pairs: Mapping[str, str]) -> AccountNames:
    """An immutable, id-sorted copy of `pairs` (id -> name), so that output built from it is deterministic."""
    return MappingProxyType(dict(sorted(pairs.items())))


def account_in_words(account_id: str, names: AccountNames) -> str:
    """'account payments-prod (111111111111)' for a named account, 'account 111111111111' for any other."""
    name = names.get(account_id)
    return f"account {name} ({account_id})" if name else f"account {account_id}"

"""The subject formatter's ACCOUNT_NAMES environment variable: its value, and the checks on what goes in it.

Pure (no cdktf), so that the YAML app checks a configuration's `accounts` before anything is synthesized.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .accounts import ACCOUNT_ID_PATTERN

__all__ = ["ACCOUNT_NAMES_MAX_BYTES", "account_names_problems", "account_names_size_problem", "account_names_variable"]

# Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): "Function environment
# variables: 4 KB, for all environment variables associated with the function, in aggregate". TOPIC_ARN takes at
# most 9 + 313 bytes (arn:aws-us-gov:sns:<region>:<12 digits>:<256-character topic name>); 512 are kept for it.
ACCOUNT_NAMES_MAX_BYTES = 4096 - 512 - len("ACCOUNT_NAMES")


def account_names_variable(account_names: Mapping[str, str]) -> str:
    """The ACCOUNT_NAMES value: compact JSON sorted by id, so the same names give the same bytes."""
    return json.dumps(dict(sorted(account_names.items())), separators=(",", ":"), ensure_ascii=False)


def account_names_size_problem(account_names: Mapping[str, str]) -> str | None:
    """Why these names do not fit Lambda's environment quota, or None when they do."""
    size = len(account_names_variable(account_names).encode())
    if size <= ACCOUNT_NAMES_MAX_BYTES:
        return None
    return (
        f"the names of {len(account_names)} accounts take {size} bytes in the subject formatter's environment; "
        f"allowed: at most {ACCOUNT_NAMES_MAX_BYTES} bytes (Lambda's 4 KB quota on a function's environment "
        "variables, less room for TOPIC_ARN): name fewer accounts, shorten their names, or turn subject_formatter off"
    )


def account_names_problems(account_names: object) -> list[str]:
    """What is wrong with an `account_names` prop: not a mapping of 12-digit ids to names, or more than Lambda's
    environment quota holds."""
    if account_names is None:
        return []
    if not isinstance(account_names, Mapping):
        return [f"account_names: {account_names!r} is not a mapping; allowed: a mapping of account ids to names"]
    problems = [
        f"account_names[{key!r}]: {key!r} -> {value!r} is not a 12-digit account id with a name; allowed: "
        "a 12-digit account id (a string) mapped to a non-empty name"
        for key, value in account_names.items()
        if not (isinstance(key, str) and ACCOUNT_ID_PATTERN.fullmatch(key) and isinstance(value, str) and value)
    ]
    if problems:
        return problems
    too_many = account_names_size_problem(account_names)
    return [f"account_names: {too_many}"] if too_many else []

"""Checks shared by the construct's props and the configuration file.

Each returns a sentence saying what is wrong with the value and what is allowed, or None. Callers put the
name of the setting in front, so the same rule reads right as a prop and as a config key.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence

__all__ = [
    "EMAIL_PATTERN",
    "NAME_PATTERN",
    "PublishingFrequency",
    "address_list_problems",
    "detector_id_problem",
    "email_problem",
    "frequency_problem",
    "name_problem",
    "tag_problems",
]


class PublishingFrequency(enum.Enum):
    """How often GuardDuty publishes updates of an active finding (new findings go out within ~5 minutes)."""

    FIFTEEN_MINUTES = "FIFTEEN_MINUTES"
    ONE_HOUR = "ONE_HOUR"
    SIX_HOURS = "SIX_HOURS"


# One address, no display name: SNS email endpoints take a bare address.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$"
# Used in stack, topic and rule names: rule names allow 64 characters and we append "-findings".
NAME_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"
DETECTOR_ID_PATTERN = r"^[0-9a-z]{32}$"

_EMAIL = re.compile(EMAIL_PATTERN)
_NAME = re.compile(NAME_PATTERN)
_DETECTOR_ID = re.compile(DETECTOR_ID_PATTERN)


def email_problem(value: object) -> str | None:
    if isinstance(value, str) and len(value) <= 254 and _EMAIL.match(value):
        return None
    return f"{value!r} is not an email address; allowed: one address such as security@example.com"


def address_list_problems(key: str, addresses: Sequence[object]) -> list[tuple[str, str]]:
    """(`key[i]`, problem) for each address that is not one, or repeats an earlier one (case does not matter)."""
    problems = []
    seen: dict[str, int] = {}
    for index, address in enumerate(addresses):
        problem = email_problem(address)
        if problem:
            problems.append((f"{key}[{index}]", problem))
            continue
        assert isinstance(address, str)
        first = seen.setdefault(address.lower(), index)
        if first != index:
            problems.append(
                (
                    f"{key}[{index}]",
                    f"{address!r} repeats {key}[{first}]; allowed: each address once (case does not matter)",
                )
            )
    return problems


def name_problem(value: object) -> str | None:
    if isinstance(value, str) and _NAME.match(value):
        return None
    return (
        f"{value!r} is not a usable name; allowed: 2 to 40 lowercase letters, digits and hyphens, "
        "starting with a letter and not ending with a hyphen"
    )


def detector_id_problem(value: object) -> str | None:
    if isinstance(value, str) and _DETECTOR_ID.match(value):
        return None
    return (
        f"{value!r} is not a GuardDuty detector id; allowed: the 32-character id shown by "
        "`aws guardduty list-detectors` in that region"
    )


def frequency_problem(value: object) -> str | None:
    if isinstance(value, PublishingFrequency):
        return None
    if isinstance(value, str) and value in PublishingFrequency.__members__:
        return None
    allowed = ", ".join(PublishingFrequency.__members__)
    return f"{value!r} is not a publishing frequency; allowed: {allowed}"


def tag_problems(tags: Mapping[object, object]) -> list[str]:
    """Problems with a tag map, each prefixed by the tag key it concerns (`[key]`)."""
    problems = []
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            allowed = "1 to 128 characters, not starting with 'aws:'"
            problems.append(f"[{key!r}] is not a usable tag key; allowed: {allowed}")
        if not isinstance(value, str) or len(value) > 256:
            problems.append(f"[{key!r}] has value {value!r}; allowed: a string of at most 256 characters")
    return problems

"""Checks shared by the construct's props and the configuration file.

Each returns a sentence saying what is wrong with the value and what is allowed, or None. Callers put the
name of the setting in front, so the same rule reads right as a prop and as a config key.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "EMAIL_PATTERN",
    "NAME_PATTERN",
    "Arn",
    "PublishingFrequency",
    "address_list_problems",
    "arn_problem",
    "detector_id_problem",
    "email_problem",
    "frequency_problem",
    "https_url_problem",
    "is_loopback_url",
    "name_problem",
    "parse_arn",
    "partition_of_region",
    "tag_problems",
    "text_problem",
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
    if isinstance(value, str) and len(value) <= 254 and _EMAIL.fullmatch(value):
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
    if isinstance(value, str) and _NAME.fullmatch(value):
        return None
    # A line break (kept by YAML's block scalars) is invisible in the value as most people print it: say so.
    if isinstance(value, str) and not value.isprintable():
        return f"{text_problem(value)}; allowed: 2 to 40 lowercase letters, digits and hyphens"
    return (
        f"{value!r} is not a usable name; allowed: 2 to 40 lowercase letters, digits and hyphens, "
        "starting with a letter and not ending with a hyphen"
    )


def detector_id_problem(value: object) -> str | None:
    if isinstance(value, str) and _DETECTOR_ID.fullmatch(value):
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


def text_problem(value: object) -> str | None:
    """Why `value` holds whitespace or a control character (a line break kept by YAML's block scalars), or None."""
    if not isinstance(value, str):
        return None
    for position, char in enumerate(value):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            if char == "\n" and position == len(value) - 1:
                return (
                    f"{value!r} ends with a line break (YAML's `|` and `>` blocks keep the final one; write the "
                    "value on one line, or use `|-` or `>-`)"
                )
            return f"{value!r} contains whitespace or a control character ({char!r} at position {position})"
    return None


def partition_of_region(region: str) -> str:
    """The AWS partition a region belongs to (the second field of every ARN in it)."""
    # Regions of the other partitions carry their partition in their name (AWS General Reference, "Amazon
    # Resource Names (ARNs)": partition aws, aws-cn, aws-us-gov; the isolated partitions likewise).
    for prefix, partition in (
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ):
        if region.startswith(prefix):
            return partition
    return "aws"


@dataclass(frozen=True)
class Arn:
    """An ARN split into its fields: arn:<partition>:<service>:<region>:<account>:<resource>."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


_ARN = re.compile(r"arn:(aws(?:-[a-z]+)*):([a-z0-9-]+):([a-z0-9-]*):([^:]*):(.+)")
_REGION_NAME = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_ACCOUNT = re.compile(r"\d{12}")


def parse_arn(value: object) -> Arn | None:
    """The fields of an ARN, or None when `value` is not shaped like one (whitespace anywhere included)."""
    if not isinstance(value, str) or text_problem(value):
        return None
    match = _ARN.fullmatch(value)
    return Arn(*match.groups()) if match else None


def arn_problem(
    value: object, *, service: str, what: str, region: str | None, allowed: str, regional: bool = True
) -> str | None:
    """Why `value` is not an ARN of `service` whose partition, region and account fields are well formed, in
    `region` when it is known (None: the region itself is not checked), or None. `what` names the resource in
    words ("an SQS queue ARN")."""
    unprintable = text_problem(value)
    if unprintable:
        return f"{unprintable}; allowed: {allowed}"
    arn = parse_arn(value)
    if arn is None:
        return f"{value!r} is not {what}; allowed: {allowed}"
    if arn.service != service:
        return f"{value!r} is an ARN of service {arn.service}, not {service}; allowed: {allowed}"
    if regional and not _REGION_NAME.fullmatch(arn.region):
        return f"{value!r} has no usable region ({arn.region!r}); allowed: {allowed}"
    if not _ACCOUNT.fullmatch(arn.account):
        return f"{value!r} has account {arn.account!r}, not a 12-digit account id; allowed: {allowed}"
    expected = partition_of_region(region or arn.region)
    if arn.partition != expected:
        return (
            f"{value!r} is in partition {arn.partition}, but region {region or arn.region} is in partition "
            f"{expected} (a resource of another partition cannot be used from this stack); allowed: {allowed}"
        )
    if region is not None and regional and arn.region != region:
        return f"{value!r} is in region {arn.region}, not {region}; allowed: {allowed}"
    return None


# The longest host name DNS allows (RFC 1035), one label at most 63 characters.
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def is_loopback_url(url: object) -> bool:
    """Whether `url` names a host on this machine (127.0.0.0/8, ::1 or localhost): where a local emulator runs."""
    if not isinstance(url, str):
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def https_url_problem(value: object, *, credentials_advice: str, loopback_allowed: bool = False) -> str | None:
    """Why `value` is not an https:// URL a public AWS service can deliver to, or None.

    `credentials_advice` says where a secret goes instead of `user:password@` (the URL is written in clear into
    the synthesized JSON, the plan and the state). `loopback_allowed`: the stack's calls go to a local emulator,
    which delivers from this machine, so a receiver on a loopback address (127.0.0.0/8, ::1) is reachable.
    """
    allowed = "an https:// URL with a public host name, such as https://events.pagerduty.com/integration/<key>/enqueue"
    if not isinstance(value, str):
        return f"{value!r} is not a URL; allowed: {allowed}"
    unprintable = text_problem(value)
    if unprintable:
        return f"{unprintable}; allowed: {allowed}"
    if len(value) > 2048:
        return f"the URL is {len(value)} characters long; allowed: at most 2048 characters"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        return f"{value!r} is not a usable URL ({error}); allowed: {allowed}"
    if parts.scheme != "https":
        why = "plain http sends findings unencrypted" if parts.scheme == "http" else "it is not an https URL"
        return f"{value!r} is refused: {why}; allowed: an https:// URL"
    if parts.username is not None or parts.password is not None:
        return (
            "the URL holds credentials (user:password@), which would be written in clear into the synthesized "
            f"JSON, the plan and the Terraform state; allowed: {credentials_advice}"
        )
    host = parts.hostname
    if not host:
        return f"{value!r} has no host; allowed: {allowed}"
    if port == 0:
        return f"{value!r} has port 0; allowed: a port from 1 to 65535, or none (443)"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        # AWS delivers from its public network: a loopback, private, link-local (169.254.169.254 is the
        # instance metadata service) or reserved address is never the receiver, only a mistake or a probe.
        if address.is_loopback and loopback_allowed:
            return None
        if not address.is_global:
            return f"{value!r} points at {host}, an address that is not public; allowed: {allowed}"
        return None
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return f"{value!r} has host {host!r}, not a host name; allowed: {allowed} (punycode for other scripts)"
    if len(labels) < 2 or host.rstrip(".").lower() == "localhost" or labels[-1].lower() in ("localhost", "local"):
        return f"{value!r} points at {host}, which is not a public host name; allowed: {allowed}"
    return None

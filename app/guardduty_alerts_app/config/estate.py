"""Many accounts and regions: the `accounts`, `organization`, `central_inbox` and `state` settings (schema,
checks a schema cannot make, typed settings). The stacks they give are planned in ../planning.py.

Top-level settings are the defaults; an entry of `accounts` overrides the keys in ACCOUNT_OVERRIDABLE_KEYS for
that account. Without `accounts` the configuration means what it always meant: one account (whatever the
credentials point at), one stack per region, named `<name>-<region>`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

from guardduty_alerts.accounts import AccountNames, account_in_words
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.protection import protection_problems
from guardduty_alerts.regions import (
    DEFAULT_PARTITION,
    EVERY_REGION,
    PARTITIONS,
)
from guardduty_alerts.validation import parse_arn

from .protection import PROTECTION_PLANS_SCHEMA, protection_plans_from_config
from .settings import Account, AlertsConfig, OrganizationSettings, S3State

__all__ = [
    "ACCOUNT_ID_PATTERN",
    "ACCOUNT_NAME_PATTERN",
    "ACCOUNT_OVERRIDABLE_KEYS",
    "ALL_REGIONS_KEYWORD",
    "PARTITION_SCHEMA",
    "ROLE_ARN_PATTERN",
    "estate_problems",
    "estate_schema_properties",
    "expand_all_regions",
    "parse_accounts",
    "parse_organization",
    "parse_state",
    "state_problems",
]

ALL_REGIONS_KEYWORD = "all"
ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"
# Used in stack names, role names and the topic's display name (the sender name of the mails).
ACCOUNT_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$"
ROLE_ARN_PATTERN = r"^arn:aws(-us-gov|-cn)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"
PARTITION_SCHEMA: dict[str, Any] = {
    "type": "string",
    "enum": list(PARTITIONS),
    "x-allowed": "one of " + ", ".join(PARTITIONS) + " (default aws: the commercial regions)",
}
BUCKET_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
KEY_PREFIX_PATTERN = r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$"
DYNAMODB_TABLE_PATTERN = r"^[A-Za-z0-9_.-]{3,255}$"

# Settings an account may give for itself. Add new top-level keys here when they make sense per account.
ACCOUNT_OVERRIDABLE_KEYS = (
    "central_inbox",
    "channels",
    "delivery",
    "detector",
    "event_pattern_size_limit",
    "finding_accounts",
    "finding_accounts_except",
    "finding_types",
    "new_findings_only",
    "protection_plans",
    "recipients",
    "regions",
    "sample_findings",
    "severity_threshold",
    "subject_formatter",
    "suppression_rules",
    "tags",
    "topic_encryption",
    "unrouted",
)

_ACCOUNT_ID_ALLOWED = "a 12-digit AWS account id, quoted so that YAML keeps it a string"


def estate_schema_properties(base: Mapping[str, Any]) -> dict[str, Any]:
    """Schema of the top-level keys this module adds; `base` is the top-level properties, for the overrides."""
    central_inbox = {
        "type": "object",
        "additionalProperties": False,
        "required": ["home_region"],
        "x-allowed": "a mapping with home_region",
        "properties": {
            "home_region": {
                "type": "string",
                "enum": list(EVERY_REGION),
                "x-allowed": "one of the regions of the account, where the one topic and severity rule live",
            },
        },
    }
    account = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name"],
        "x-allowed": "a mapping with id, name and optionally role_arn and overrides of the defaults",
        "properties": {
            "id": {"type": "string", "pattern": ACCOUNT_ID_PATTERN, "x-allowed": _ACCOUNT_ID_ALLOWED},
            "name": {
                "type": "string",
                "pattern": ACCOUNT_NAME_PATTERN,
                "x-allowed": (
                    "2 to 24 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen"
                ),
            },
            "role_arn": {
                "type": "string",
                "pattern": ROLE_ARN_PATTERN,
                "x-allowed": "an IAM role ARN such as arn:aws:iam::111122223333:role/GuardDutyAlertsDeploy",
            },
            **{key: copy.deepcopy(base[key]) for key in ACCOUNT_OVERRIDABLE_KEYS if key in base},
            "central_inbox": central_inbox,
            "protection_plans": PROTECTION_PLANS_SCHEMA,
        },
    }
    return {
        "accounts": {
            "type": "array",
            "minItems": 1,
            "x-allowed": "a non-empty list of accounts",
            "items": account,
        },
        "protection_plans": PROTECTION_PLANS_SCHEMA,
        "central_inbox": central_inbox,
        "organization": {
            "type": "object",
            "additionalProperties": False,
            "required": ["management_account", "administrator_account"],
            "x-allowed": "a mapping with management_account, administrator_account and optionally auto_enable",
            "properties": {
                "management_account": {
                    "type": "string",
                    "pattern": ACCOUNT_ID_PATTERN,
                    "x-allowed": "the id of the organization's management account, listed in accounts",
                },
                "administrator_account": {
                    "type": "string",
                    "pattern": ACCOUNT_ID_PATTERN,
                    "x-allowed": (
                        "the id of the account that administers GuardDuty for the organization, listed in accounts"
                    ),
                },
                "auto_enable": {
                    "type": "string",
                    "enum": ["ALL", "NEW"],
                    "x-allowed": "ALL (every member account, existing and new) or NEW (accounts that join from now on)",
                },
            },
        },
        "state": {
            "type": "object",
            "additionalProperties": False,
            "required": ["s3"],
            "x-allowed": "a mapping with s3",
            "properties": {
                "s3": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["bucket", "region"],
                    "x-allowed": (
                        "a mapping with bucket, region and optionally key_prefix, use_lockfile, dynamodb_table"
                    ),
                    "properties": {
                        "bucket": {"type": "string", "pattern": BUCKET_PATTERN, "x-allowed": "an S3 bucket name"},
                        "key_prefix": {
                            "type": "string",
                            "pattern": KEY_PREFIX_PATTERN,
                            "x-allowed": "S3 key segments separated by '/', without a leading or trailing '/'",
                        },
                        "region": {
                            "type": "string",
                            "enum": list(EVERY_REGION),
                            "x-allowed": "the bucket's AWS region",
                        },
                        "use_lockfile": {"type": "boolean", "x-allowed": "true or false"},
                        "dynamodb_table": {
                            "type": "string",
                            "pattern": DYNAMODB_TABLE_PATTERN,
                            "x-allowed": "a DynamoDB table name (partition key LockID, a string)",
                        },
                    },
                },
            },
        },
    }


def expand_all_regions(document: object) -> object:
    """`regions: all` (top level or in an account) becomes the regions enabled by default in every account of
    the configured partition (an unknown partition: the schema says so, and the commercial regions stand in)."""
    if not isinstance(document, dict):
        return document
    document = dict(document)
    partition = PARTITIONS.get(str(document.get("partition", DEFAULT_PARTITION)), PARTITIONS[DEFAULT_PARTITION])
    if document.get("regions") == ALL_REGIONS_KEYWORD:
        document["regions"] = list(partition.default_regions)
    accounts = document.get("accounts")
    if isinstance(accounts, list):
        document["accounts"] = [
            {**entry, "regions": list(partition.default_regions)}
            if isinstance(entry, dict) and entry.get("regions") == ALL_REGIONS_KEYWORD
            else entry
            for entry in accounts
        ]
    return document


def _show(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _names_by_id(accounts: object) -> AccountNames:
    """Id -> name of the entries of `accounts` that give both, so that a message names an account of the config
    in words ("account payments-prod (111111111111)"), as explain and the mails do."""
    if not isinstance(accounts, list):
        return {}
    return {
        entry["id"]: entry["name"]
        for entry in accounts
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("name"), str)
    }


def _account_problems(index: int, entry: dict[str, Any], defaults: dict[str, Any], names: AccountNames) -> list[str]:
    where = f"accounts[{index}]"
    problems = []
    role_arn, account_id = entry.get("role_arn"), entry.get("id")
    if isinstance(role_arn, str) and isinstance(account_id, str) and parse_arn(role_arn) is not None:
        role_account = role_arn.split(":")[4]
        if role_account != account_id:
            own = account_in_words(account_id, names)
            problems.append(
                f"{where}.role_arn: {_show(role_arn)} is a role in {account_in_words(role_account, names)}, not in "
                f"{own}; allowed: a role in {own} that the deploying credentials may assume"
            )
    regions = entry.get("regions")
    if isinstance(regions, list):
        first: dict[str, int] = {}
        for position, region in enumerate(regions):
            if isinstance(region, str) and region in first:
                problems.append(
                    f"{where}.regions[{position}]: {_show(region)} repeats {where}.regions[{first[region]}]; "
                    "allowed: each region once"
                )
            first.setdefault(region, position)
    else:
        regions = defaults.get("regions")
    inbox = entry.get("central_inbox", defaults.get("central_inbox"))
    # Without an override of either, the top-level check has said it already.
    if isinstance(inbox, dict) and isinstance(regions, list) and ("central_inbox" in entry or "regions" in entry):
        home = inbox.get("home_region")
        if isinstance(home, str) and home in EVERY_REGION and home not in regions:
            origin = "" if "central_inbox" in entry else " (from the top-level central_inbox)"
            problems.append(
                f"{where}.central_inbox.home_region: {_show(home)}{origin} is not one of the account's regions; "
                f"allowed: one of {', '.join(map(str, regions))}"
            )
    problems += existing_detector_problems(
        entry.get("detector"), regions, prefix=f"{where}.", regions_are="one of the account's regions"
    )
    return problems


def existing_detector_problems(detector: object, regions: object, *, prefix: str, regions_are: str) -> list[str]:
    """An existing detector id listed for a region the stacks do not cover (top level, or an account with the
    regions it has: its own or the top-level ones)."""
    existing = detector.get("existing_detector_ids") if isinstance(detector, dict) else None
    if not isinstance(existing, dict) or not isinstance(regions, list):
        return []
    return [
        f"{prefix}detector.existing_detector_ids.{region}: region {_show(region)} is not {regions_are}; "
        f"allowed: one of {', '.join(map(str, regions))}"
        for region in existing
        if region not in regions
    ]


def estate_problems(document: dict[str, Any]) -> list[str]:
    """What the schema cannot say: duplicates, cross references, combinations."""
    problems: list[str] = []
    inbox = document.get("central_inbox")
    regions = document.get("regions")
    if isinstance(inbox, dict) and isinstance(regions, list):
        home = inbox.get("home_region")
        if isinstance(home, str) and home in EVERY_REGION and home not in regions:
            problems.append(
                f"central_inbox.home_region: {_show(home)} is not one of regions; "
                f"allowed: one of {', '.join(map(str, regions))}"
            )
    accounts = document.get("accounts")
    detector = document.get("detector")
    if isinstance(accounts, list) and isinstance(detector, dict) and detector.get("existing_detector_ids"):
        problems.append(
            "detector.existing_detector_ids: a detector id belongs to one account, and accounts are listed; "
            "allowed: give the ids under the detector setting of the account they belong to"
        )
    ids: dict[str, int] = {}
    names: dict[str, int] = {}
    if isinstance(accounts, list):
        for index, entry in enumerate(accounts):
            if not isinstance(entry, dict):
                continue
            account_id, name = entry.get("id"), entry.get("name")
            if isinstance(account_id, str):
                if account_id in ids:
                    problems.append(
                        f"accounts[{index}].id: {_show(account_id)} repeats accounts[{ids[account_id]}].id; "
                        "allowed: each account once"
                    )
                ids.setdefault(account_id, index)
            if isinstance(name, str):
                if name in names:
                    problems.append(
                        f"accounts[{index}].name: {_show(name)} repeats accounts[{names[name]}].name; "
                        "allowed: a name of its own (it names the account's stacks)"
                    )
                names.setdefault(name, index)
            problems += _account_problems(index, entry, document, _names_by_id(accounts))
            problems += _plans_problems(entry.get("protection_plans"), f"accounts[{index}].protection_plans")
    problems += _plans_problems(document.get("protection_plans"), "protection_plans")
    problems += state_problems(document)
    organization = document.get("organization")
    if isinstance(organization, dict):
        if not isinstance(accounts, list):
            problems.append(
                "organization: needs accounts; "
                "allowed: an accounts list that includes the management and administrator accounts"
            )
        else:
            listed = ", ".join(sorted(ids)) or "none"
            for key in ("management_account", "administrator_account"):
                value = organization.get(key)
                if isinstance(value, str) and value not in ids:
                    problems.append(f"organization.{key}: {_show(value)} is not in accounts; allowed: one of {listed}")
            problems += _organization_region_problems(organization, accounts, document, ids)
    return problems


def _plans_problems(section: object, prefix: str) -> list[str]:
    runtime = section.get("runtime_monitoring") if isinstance(section, dict) else None
    if not isinstance(runtime, dict) or not all(isinstance(value, bool) for value in runtime.values()):
        return []  # the schema reports it
    try:
        plans = protection_plans_from_config({"runtime_monitoring": runtime})
    except KeyError:
        return []  # `enabled` missing: the schema reports it
    return protection_problems(plans, prefix=prefix)


def _organization_region_problems(
    organization: dict[str, Any], accounts: list[Any], document: dict[str, Any], ids: dict[str, int]
) -> list[str]:
    # The administrator is designated region by region, from the management account's stacks of that region.
    management, administrator = organization.get("management_account"), organization.get("administrator_account")
    if not isinstance(management, str) or not isinstance(administrator, str):
        return []  # the schema reports them
    if management not in ids or administrator not in ids:
        return []

    def regions_of(account_id: str) -> list[str]:
        entry = accounts[ids[account_id]]
        value = entry.get("regions", document.get("regions"))
        return value if isinstance(value, list) else []

    missing = [region for region in regions_of(administrator) if region not in regions_of(management)]
    if not missing:
        return []
    return [
        f"accounts[{ids[management]}].regions: lacks {', '.join(map(str, missing))}, where the administrator, "
        f"{account_in_words(administrator, _names_by_id(accounts))}, has stacks; allowed: every region of the "
        "administrator account (the management account designates the administrator region by region)"
    ]


def parse_accounts(document: dict[str, Any], parse: Callable[[dict[str, Any]], AlertsConfig]) -> tuple[Account, ...]:
    """Accounts of a valid document, ordered by name; `parse` turns a defaults-plus-overrides mapping into settings."""
    defaults = {key: value for key, value in document.items() if key not in ("accounts", "organization")}
    accounts = []
    for index, entry in enumerate(document.get("accounts", [])):
        merged = dict(defaults)
        merged.update({key: entry[key] for key in ACCOUNT_OVERRIDABLE_KEYS if key in entry})
        try:
            settings = parse(merged)
        except ConfigError as error:
            # A rule spanning several keys that only this account's overrides break: name the account.
            problems = [f"accounts[{index}].{problem}" for problem in error.problems]
            raise ConfigError(problems, source=error.source) from None
        accounts.append(Account(id=entry["id"], name=entry["name"], role_arn=entry.get("role_arn"), config=settings))
    return tuple(sorted(accounts, key=lambda account: account.name))


def parse_organization(document: dict[str, Any]) -> OrganizationSettings | None:
    section = document.get("organization")
    if section is None:
        return None
    return OrganizationSettings(
        management_account=section["management_account"],
        administrator_account=section["administrator_account"],
        auto_enable=section.get("auto_enable", OrganizationSettings.auto_enable),
    )


def parse_state(document: dict[str, Any]) -> S3State | None:
    section = document.get("state", {}).get("s3")
    if section is None:
        return None
    return S3State(
        bucket=section["bucket"],
        region=section["region"],
        key_prefix=section.get("key_prefix", S3State.key_prefix),
        use_lockfile=section.get("use_lockfile", "dynamodb_table" not in section),
        dynamodb_table=section.get("dynamodb_table"),
    )


def state_problems(document: dict[str, Any]) -> list[str]:
    state = document.get("state")
    section = state.get("s3") if isinstance(state, dict) else None
    if isinstance(section, dict) and section.get("use_lockfile") is False and "dynamodb_table" not in section:
        return [
            "state.s3.use_lockfile: false without a dynamodb_table leaves the state unlocked, and two runs at once "
            "corrupt it; allowed: true (an S3 lock file), or a dynamodb_table"
        ]
    return []

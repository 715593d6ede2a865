"""The YAML configuration file: loading and validation, turned into frozen settings (settings.py).

Validation happens in two passes, both complete before anything is reported: a JSON Schema (structure,
types, closed sets, formats), then the rules a schema cannot state (duplicates, cross references). Every
problem names its key path, the value found and what is allowed; all of them are raised at once as one
ConfigError.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
from guardduty_alerts.delivery_settings import (
    DEFAULT_DEAD_LETTER_RETENTION_SECONDS,
    DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    alarm_action_problem,
    kms_key_arn_problem,
)
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.formatter_names import account_names_size_problem
from guardduty_alerts.notifications import mail_rules, pattern_size_problem
from guardduty_alerts.regions import EVERY_REGION
from guardduty_alerts.severity import parse_threshold
from guardduty_alerts.validation import text_problem

from .channels import channels_problems, chat_home_region, parse_channels, user_notifications_home_region
from .estate import (
    estate_problems,
    existing_detector_problems,
    expand_all_regions,
    parse_accounts,
    parse_organization,
    parse_state,
)
from .hints import closest, did_you_mean
from .partitions import partition_problems
from .protection import protection_plans_from_config
from .routing import resolve_account_references, routing_problems
from .schema import SCHEMA
from .settings import AlertsConfig
from .suppression import parse_suppression_rules, suppression_problems
from .validator import ConfigValidator
from .yaml_file import WrittenInt, read_yaml

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_PATH",
    "SCHEMA",
    "AlertsConfig",
    "config_path",
    "config_path_and_origin",
    "load_config",
    "parse_config",
]

CONFIG_ENV_VAR = "GUARDDUTY_ALERTS_CONFIG"
DEFAULT_CONFIG_PATH = Path("config/guardduty-alerts.yaml")
# The channels' schema on its own, with the definitions its `$ref`s point to (a channel's finding_types).
_CHANNELS_SCHEMA = {"$defs": SCHEMA["$defs"], **SCHEMA["properties"]["channels"]}
_UNROUTED_SCHEMA = {"$defs": SCHEMA["$defs"], **SCHEMA["properties"]["unrouted"]}


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The file to read: an explicit path, else $GUARDDUTY_ALERTS_CONFIG, else the default path."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(CONFIG_ENV_VAR)
    return Path(from_env) if from_env else DEFAULT_CONFIG_PATH


def config_path_and_origin(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """`config_path(explicit)` and how it was chosen (`--config`, the environment variable or the default), for
    the message when the file does not exist."""
    if explicit:
        return Path(explicit), "--config"
    return config_path(), (f"${CONFIG_ENV_VAR}" if os.environ.get(CONFIG_ENV_VAR) else "default")


def load_config(path: str | os.PathLike[str], *, origin: str | None = None) -> AlertsConfig:
    """Read, parse and validate a configuration file; ConfigError lists every problem, naming the file.
    `origin` says how the path was chosen (`config_path_and_origin`), for the message when it does not exist."""
    allowed = "allowed: the path of an existing configuration file"
    if origin == "default":
        missing = (
            f"file not found (the default path, read when neither --config nor ${CONFIG_ENV_VAR} names a file); "
            f"allowed: a configuration file there, or --config FILE or ${CONFIG_ENV_VAR} naming one"
        )
    elif origin:
        missing = f"file not found (named by {origin}); {allowed}"
    else:
        missing = f"file not found; {allowed}"
    document = read_yaml(Path(path), not_found=missing)
    return parse_config(document, source=str(path))


def parse_config(document: object, *, source: str | None = None) -> AlertsConfig:
    """Validate an already parsed document (a dict as YAML gives it)."""
    if document is None:
        raise ConfigError(
            ["the file is empty; allowed: a mapping with at least regions and recipients (or channels)"], source=source
        )
    document = expand_all_regions(document)
    # Account names in account lists become ids first: everything after this sees ids only.
    document, reference_problems = resolve_account_references(document)
    validator = ConfigValidator(SCHEMA)
    errors = list(validator.iter_errors(document))
    # A value of the wrong type also fails the checks of the right one (a region given as a number is not one
    # of the names either): the type is the one problem to report there.
    mistyped = {tuple(error.absolute_path) for error in errors if error.validator == "type"}
    problems = [
        problem
        for error in errors
        if error.validator == "type"
        or error.validator not in _SAME_VALUE_CHECKS
        or tuple(error.absolute_path) not in mistyped
        for problem in _schema_problems(error)
    ]
    problems += reference_problems
    if isinstance(document, dict):
        problems += _semantic_problems(document)
        problems += routing_problems(document, nothing_routed=not _accounts_route_their_own(document))
        problems += estate_problems(document)
        problems += partition_problems(document)
        problems += _delivery_problems(document)
        problems += channels_problems(document, ConfigValidator(_CHANNELS_SCHEMA), ConfigValidator(_UNROUTED_SCHEMA))
        if "recipients" not in document and "channels" not in document:
            problems.append(
                "recipients: missing; required: a non-empty list of email addresses, or channels "
                "(see the channels table in docs/channels.md)"
            )
    if problems:
        # Sorted by key path, so that the same file always gives the same message; list positions as numbers
        # (recipients[9] before recipients[10]), so that the first problems shown are the first in the file.
        raise ConfigError(sorted(set(problems), key=_natural_order), source=source)
    assert isinstance(document, dict)
    detector = document.get("detector", {})
    channels = parse_channels(document)
    config = AlertsConfig(
        regions=tuple(document["regions"]),
        recipients=tuple(document.get("recipients", ())),
        channels=channels,
        user_notifications_home_region=user_notifications_home_region(document),
        chat_home_region=chat_home_region(document),
        name=document.get("name", AlertsConfig.name),
        severity_threshold=document.get("severity_threshold", AlertsConfig.severity_threshold),
        finding_publishing_frequency=detector.get(
            "finding_publishing_frequency", AlertsConfig.finding_publishing_frequency
        ),
        existing_detector_ids=MappingProxyType(dict(sorted(detector.get("existing_detector_ids", {}).items()))),
        tags=MappingProxyType(dict(sorted(document.get("tags", {}).items()))),
        endpoint_url=document.get("provider", {}).get("endpoint_url"),
        include_types=tuple(document.get("finding_types", {}).get("include", ())),
        exclude_types=tuple(document.get("finding_types", {}).get("exclude", ())),
        sample_findings=document.get("sample_findings", AlertsConfig.sample_findings),
        new_findings_only=document.get("new_findings_only", AlertsConfig.new_findings_only),
        finding_accounts=tuple(sorted(document.get("finding_accounts", ()))),
        finding_accounts_except=tuple(sorted(document.get("finding_accounts_except", ()))),
        unrouted=channels[-1] if "unrouted" in document else None,
        suppression_rules=parse_suppression_rules(document.get("suppression_rules", [])),
        subject_formatter=document.get("subject_formatter", AlertsConfig.subject_formatter),
        event_pattern_size_limit=document.get("event_pattern_size_limit", AlertsConfig.event_pattern_size_limit),
        protection_plans=protection_plans_from_config(document.get("protection_plans")),
        central_inbox_home_region=document.get("central_inbox", {}).get("home_region"),
        organization=parse_organization(document),
        state=parse_state(document),
        **_delivery_fields(document),
    )
    # Before the accounts are parsed (each with this document's defaults): a list written at the top level is
    # named once, where it is written, rather than once for each account that uses it.
    too_long_lists = _account_pattern_problems(document, config)
    if too_long_lists:
        raise ConfigError(too_long_lists, source=source)
    config = dataclasses.replace(
        config, accounts=parse_accounts(document, lambda merged: parse_config(merged, source=source))
    )
    # Known only once the settings are typed: how long the rules' event patterns get with these filters.
    rules = mail_rules(parse_threshold(config.severity_threshold), config.filters, formatter=config.subject_formatter)
    too_long = pattern_size_problem(rules, config.event_pattern_size_limit)
    if too_long:
        raise ConfigError([f"finding_types: {too_long}"], source=source)
    # Every stack with the formatter carries every account's name (ACCOUNT_NAMES): refused here once, not per stack.
    if any(account.config.subject_formatter for account in config.accounts):
        too_many = account_names_size_problem({account.id: account.name for account in config.accounts})
        if too_many:
            raise ConfigError([f"accounts: with subject_formatter on, {too_many}"], source=source)
    return config


def _accounts_route_their_own(document: dict[str, Any]) -> bool:
    """Whether an entry of `accounts` gives channels or finding_accounts of its own: then the unrouted check is
    made for each account, with what it routes, rather than for the defaults."""
    entries = document.get("accounts")
    return isinstance(entries, list) and any(
        isinstance(entry, dict) and ("channels" in entry or "finding_accounts" in entry) for entry in entries
    )


def _account_pattern_problems(document: dict[str, Any], config: AlertsConfig) -> list[str]:
    """The account lists whose patterns EventBridge would refuse as over its size quota, each named where it is
    written: the top-level pair, a channel's own, or the unrouted destination's (every routed account)."""
    problems = []
    limit = config.event_pattern_size_limit
    threshold = parse_threshold(config.severity_threshold)
    if config.finding_accounts or config.finding_accounts_except:
        key = "finding_accounts" if config.finding_accounts else "finding_accounts_except"
        # The construct's rules were measured above with the type filters; with the accounts they are longer.
        rules = mail_rules(threshold, config.filters, formatter=config.subject_formatter)
        problem = pattern_size_problem(rules, limit, cause="the accounts")
        if problem:
            problems.append(f"{key}: {problem}")
    items = document.get("channels", [])
    for index, channel in enumerate(config.channels):
        filters = channel.filters
        if filters is None or not (filters.accounts or filters.exclude_accounts):
            continue
        own = parse_threshold(channel.severity_threshold) if channel.severity_threshold is not None else threshold
        # Mail groups have a rule per band (and samples); the other kinds one rule for every finding, which is
        # what the formatter's rule is (`channel.banded`).
        rules = mail_rules(own, filters, formatter=not channel.banded)
        problem = pattern_size_problem(rules, limit, cause="the accounts")
        if problem is None:
            continue
        if channel is config.unrouted:
            count = len(filters.exclude_accounts)
            problems.append(f"unrouted: the {count} accounts other routes list, left out here: {problem}")
        else:
            key = "accounts" if "accounts" in items[index] else "accounts_except"
            inherited = "finding_accounts" if filters.accounts else "finding_accounts_except"
            where = f"channels[{index}].{key}" if key in items[index] else f"{inherited} (used by channels[{index}])"
            problems.append(f"{where}: {problem}")
    return problems


def _natural_order(problem: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in re.split(r"([0-9]+)", problem)]


def _delivery_fields(document: dict[str, Any]) -> dict[str, Any]:
    encryption = document.get("topic_encryption", {})
    delivery = document.get("delivery", {})
    return {
        "encrypt_topic": encryption.get("enabled", True),
        "existing_kms_key_arns": MappingProxyType(dict(sorted(encryption.get("existing_kms_key_arns", {}).items()))),
        "maximum_event_age_seconds": delivery.get("maximum_event_age_seconds", DEFAULT_MAXIMUM_EVENT_AGE_SECONDS),
        "maximum_retry_attempts": delivery.get("maximum_retry_attempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS),
        "dead_letter_retention_seconds": delivery.get(
            "dead_letter_retention_seconds", DEFAULT_DEAD_LETTER_RETENTION_SECONDS
        ),
        "alarm_actions": MappingProxyType(_alarm_actions(document, delivery.get("alarm_actions", {}))),
    }


def _alarm_actions(document: dict[str, Any], actions: dict[str, list[str]] | list[str]) -> dict[str, tuple[str, ...]]:
    """Region -> the ARNs its delivery alarms notify; a region left out notifies its alert topic. `[]` (the
    schema allows only an empty list) opts every region out."""
    if isinstance(actions, list):
        return {region: () for region in sorted(document.get("regions", ()))}
    return {region: tuple(arns) for region, arns in sorted(actions.items())}


def _delivery_problems(document: dict[str, Any]) -> list[str]:
    """What the schema cannot say about topic_encryption and delivery: regions, key kinds, the alarm loop."""
    problems: list[str] = []
    regions = document.get("regions") if isinstance(document.get("regions"), list) else []
    name = document.get("name", AlertsConfig.name)

    def not_configured(where: str, region: object) -> str:
        return f"{where}: region {_show(region)} is not in regions; allowed: one of {', '.join(map(str, regions))}"

    encryption = document.get("topic_encryption")
    keys = encryption.get("existing_kms_key_arns") if isinstance(encryption, dict) else None
    if isinstance(keys, dict):
        if keys and encryption.get("enabled") is False:
            problems.append(
                "topic_encryption.existing_kms_key_arns: keys are given but topic_encryption.enabled is false; "
                "allowed: no keys, or enabled: true"
            )
        for region, arn in keys.items():
            where = f"topic_encryption.existing_kms_key_arns.{region}"
            if region not in regions:
                problems.append(not_configured(where, region))
            elif isinstance(arn, str):
                problem = kms_key_arn_problem(arn, region=region)
                if problem:
                    problems.append(f"{where}: {problem}")
    delivery = document.get("delivery")
    actions = delivery.get("alarm_actions") if isinstance(delivery, dict) else None
    if isinstance(actions, dict):
        for region, arns in actions.items():
            where = f"delivery.alarm_actions.{region}"
            if region not in regions:
                problems.append(not_configured(where, region))
            elif isinstance(arns, list):
                for index, arn in enumerate(arns):
                    problem = alarm_action_problem(arn, region=region, topic_name=str(name))
                    if isinstance(arn, str) and problem:
                        problems.append(f"{where}[{index}]: {problem}")
    return problems


def _key_path(parts: Any) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


# Checks of a value that only say more when its type is right.
_SAME_VALUE_CHECKS = frozenset({"enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum"})
# A value longer than this is shown shortened: a message names the value, it need not repeat a whole list.
_SHOWN_VALUE_CHARS = 120


def _show(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")  # as YAML writes them
    try:
        shown = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        shown = repr(value)
    return shown if len(shown) <= _SHOWN_VALUE_CHARS else shown[: _SHOWN_VALUE_CHARS - 1] + "…"


def _unknown_key(key: object, schema: dict[str, Any]) -> str:
    """The hint for an unknown key: a key of this mapping, else a key of one of its mappings, that is close."""
    properties = schema.get("properties", {})
    hint = did_you_mean(key, properties)
    if hint or not isinstance(key, str):
        return hint
    nested = {
        f"{name}.{inner}": inner
        for name, sub in properties.items()
        if isinstance(sub, dict)
        for inner in sub.get("properties", {})
    }
    near = closest(key, set(nested.values()))
    exact = [path for path, inner in nested.items() if inner == key]
    paths = exact or [path for path, inner in sorted(nested.items()) if inner in near]
    if not paths:
        return ""
    return f" (did you mean {' or '.join(paths[:3])}?)"


def _type_hint(value: object) -> str:
    """Why YAML read a value as a number or a boolean where text was meant, and how to write it."""
    if isinstance(value, bool):
        return " (an unquoted yes, no, on, off, true or false is a boolean in YAML; write it in quotes)"
    if isinstance(value, WrittenInt):  # read from the file: the text it was written as is known
        if value.written == str(int(value)):
            return f' (YAML reads it unquoted as a number; write it in quotes: "{value.written}")'
        octal = value.written.lstrip("+-").startswith("0") and value.written.strip("+-0_").isdigit()
        kind = "the octal number" if octal else "the number"
        return f' (YAML reads {value.written} unquoted as {kind} {int(value)}; write it in quotes: "{value.written}")'
    return ""


def _schema_problems(error: jsonschema.ValidationError) -> list[str]:
    where = _key_path(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        unknown = sorted(
            (key for key in set(error.instance) - set(known) if not any(re.search(p, str(key)) for p in patterns)),
            key=str,
        )
        prefix = f"{where}." if error.absolute_path else ""
        allowed = ", ".join(known) if known else "none"
        if "^x-" in patterns:
            allowed += ", and any key starting with x- (ignored: a place for anchors)"
        return [
            f"{prefix}{key}: unknown key{_unknown_key(key, error.schema)}; allowed keys: {allowed}" for key in unknown
        ]
    if error.validator == "required":
        missing = error.message.split("'")[1]
        prefix = f"{where}." if error.absolute_path else ""
        allowed = error.schema["properties"][missing].get("x-allowed", "a value")
        return [f"{prefix}{missing}: missing; required: {allowed}"]
    if "propertyNames" in error.relative_schema_path:
        allowed = "1 to 128 characters, not starting with 'aws:'"
        return [f"{where}: key {_show(error.instance)} is not allowed; allowed: {allowed}"]
    allowed = error.schema.get("x-allowed", error.message)
    value = error.instance
    if error.validator == "pattern" and isinstance(value, str) and not value.isprintable():
        # A line break kept by a YAML block scalar is invisible in most editors: say what it is.
        return [f"{where}: {text_problem(value)}; allowed: {allowed}"]
    if error.validator == "minItems" and value == []:
        return [f"{where}: the list is empty; allowed: {allowed}"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{where}: {_show(value)} is not a finite number; allowed: {allowed}"]
    if error.validator == "enum" and isinstance(value, str):
        choices = [str(choice) for choice in error.schema.get("enum", ())]
        what = "an AWS region" if choices == list(EVERY_REGION) else "allowed"
        return [f"{where}: {_show(value)} is not {what}{did_you_mean(value, choices)}; allowed: {allowed}"]
    if error.validator == "type" and "string" in _types(error.validator_value):
        return [f"{where}: {_show(value)} is not text{_type_hint(value)}; allowed: {allowed}"]
    return [f"{where}: {_show(value)} is not allowed; allowed: {allowed}"]


def _types(declared: object) -> list[str]:
    return [declared] if isinstance(declared, str) else list(declared) if isinstance(declared, list) else []


def _semantic_problems(document: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    regions = document.get("regions")
    if isinstance(regions, list):
        problems += _duplicates("regions", regions, "each region once")
    recipients = document.get("recipients")
    if isinstance(recipients, list):
        problems += _duplicates("recipients", recipients, "each address once (case does not matter)", fold=True)
    problems += existing_detector_problems(document.get("detector"), regions, prefix="", regions_are="in regions")
    types = document.get("finding_types")
    if isinstance(types, dict):
        if types.get("include") and types.get("exclude"):
            problems.append(
                "finding_types: both include and exclude are set; allowed: one of them (an EventBridge pattern "
                "cannot require and refuse values of one field at once; list the wanted types under include)"
            )
        for key in ("include", "exclude"):
            if isinstance(types.get(key), list):
                problems += _duplicates(f"finding_types.{key}", types[key], "each type once")
    rules = document.get("suppression_rules")
    if isinstance(rules, list):
        problems += suppression_problems(rules)
    return problems


def _duplicates(key: str, values: list[Any], allowed: str, *, fold: bool = False) -> list[str]:
    problems = []
    first: dict[Any, int] = {}
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        norm = value.lower() if fold else value
        if norm in first:
            problems.append(f"{key}[{index}]: {_show(value)} repeats {key}[{first[norm]}]; allowed: {allowed}")
        else:
            first[norm] = index
    return problems

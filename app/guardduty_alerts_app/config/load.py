"""The YAML configuration file: loading and validation, turned into frozen settings (settings.py).

Validation happens in two passes, both complete before anything is reported: a JSON Schema (structure,
types, closed sets, formats), then the rules a schema cannot state (duplicates, cross references). Every
problem names its key path, the value found and what is allowed; all of them are raised at once as one
ConfigError.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml
from guardduty_alerts.delivery_settings import (
    DEFAULT_DEAD_LETTER_RETENTION_SECONDS,
    DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    alarm_action_problem,
    kms_key_arn_problem,
)
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.notifications import mail_rules, pattern_size_problem
from guardduty_alerts.regions import ALL_REGIONS
from guardduty_alerts.severity import parse_threshold

from .channels import channels_problems, parse_channels, user_notifications_home_region
from .estate import (
    estate_problems,
    existing_detector_problems,
    expand_all_regions,
    parse_accounts,
    parse_organization,
    parse_state,
)
from .protection import protection_plans_from_config
from .schema import SCHEMA
from .settings import AlertsConfig
from .suppression import parse_suppression_rules, suppression_problems

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_PATH",
    "SCHEMA",
    "AlertsConfig",
    "config_path",
    "load_config",
    "parse_config",
]

CONFIG_ENV_VAR = "GUARDDUTY_ALERTS_CONFIG"
DEFAULT_CONFIG_PATH = Path("config/guardduty-alerts.yaml")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping instead of keeping the last silently."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice in one mapping", mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The file to read: an explicit path, else $GUARDDUTY_ALERTS_CONFIG, else the default path."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(CONFIG_ENV_VAR)
    return Path(from_env) if from_env else DEFAULT_CONFIG_PATH


def load_config(path: str | os.PathLike[str]) -> AlertsConfig:
    """Read, parse and validate a configuration file; ConfigError lists every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"file not found; set {CONFIG_ENV_VAR} or pass --config to name the configuration file"],
            source=str(path),
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"cannot read the file: {error}"], source=str(path)) from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as error:
        raise ConfigError([_yaml_problem(error)], source=str(path)) from None
    return parse_config(document, source=str(path))


def parse_config(document: object, *, source: str | None = None) -> AlertsConfig:
    """Validate an already parsed document (a dict as YAML gives it)."""
    if document is None:
        raise ConfigError(
            ["the file is empty; allowed: a mapping with at least regions and recipients (or channels)"], source=source
        )
    document = expand_all_regions(document)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    problems = [_schema_problem(error) for error in validator.iter_errors(document)]
    if isinstance(document, dict):
        problems += _semantic_problems(document)
        problems += estate_problems(document)
        problems += _delivery_problems(document)
        # With $defs: a channel's own finding_types refer to the shared type_list definition.
        problems += channels_problems(document, {**SCHEMA["properties"]["channels"], "$defs": SCHEMA["$defs"]})
        if "recipients" not in document and "channels" not in document:
            problems.append(
                "recipients: missing; required: a non-empty list of email addresses, or channels (see the README's "
                "channels table)"
            )
    if problems:
        # Sorted by key path, so that the same file always gives the same message.
        raise ConfigError(sorted(set(problems)), source=source)
    assert isinstance(document, dict)
    detector = document.get("detector", {})
    config = AlertsConfig(
        regions=tuple(document["regions"]),
        recipients=tuple(document.get("recipients", ())),
        channels=parse_channels(document),
        user_notifications_home_region=user_notifications_home_region(document),
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
        suppression_rules=parse_suppression_rules(document.get("suppression_rules", [])),
        subject_formatter=document.get("subject_formatter", AlertsConfig.subject_formatter),
        event_pattern_size_limit=document.get("event_pattern_size_limit", AlertsConfig.event_pattern_size_limit),
        protection_plans=protection_plans_from_config(document.get("protection_plans")),
        central_inbox_home_region=document.get("central_inbox", {}).get("home_region"),
        accounts=parse_accounts(document, lambda merged: parse_config(merged, source=source)),
        organization=parse_organization(document),
        state=parse_state(document),
        **_delivery_fields(document),
    )
    # Known only once the settings are typed: how long the rules' event patterns get with these filters.
    rules = mail_rules(parse_threshold(config.severity_threshold), config.filters, formatter=config.subject_formatter)
    too_long = pattern_size_problem(rules, config.event_pattern_size_limit)
    if too_long:
        raise ConfigError([f"finding_types: {too_long}"], source=source)
    return config


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


def _show(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _schema_problem(error: jsonschema.ValidationError) -> str:
    where = _key_path(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known), key=str)
        prefix = f"{where}." if error.absolute_path else ""
        allowed = ", ".join(known) if known else "none"
        return "; ".join(f"{prefix}{key}: unknown key; allowed keys: {allowed}" for key in unknown)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        prefix = f"{where}." if error.absolute_path else ""
        allowed = error.schema["properties"][missing].get("x-allowed", "a value")
        return f"{prefix}{missing}: missing; required: {allowed}"
    if "propertyNames" in error.relative_schema_path:
        allowed = "1 to 128 characters, not starting with 'aws:'"
        return f"{where}: key {_show(error.instance)} is not allowed; allowed: {allowed}"
    allowed = error.schema.get("x-allowed", error.message)
    value = error.instance
    if error.validator == "minItems" and value == []:
        return f"{where}: the list is empty; allowed: {allowed}"
    if error.validator == "enum" and isinstance(value, str) and error.schema.get("enum") == list(ALL_REGIONS):
        close = difflib.get_close_matches(value, ALL_REGIONS, n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"{where}: {_show(value)} is not an AWS region{hint}; allowed: {allowed}"
    return f"{where}: {_show(value)} is not allowed; allowed: {allowed}"


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


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return f"{where}not valid YAML: {detail}"

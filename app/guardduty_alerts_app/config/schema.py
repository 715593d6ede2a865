"""The JSON Schema of the configuration file (draft 2020-12). Each node carries `x-allowed`, the words an
error message uses for what is allowed there."""

from __future__ import annotations

from typing import Any

from guardduty_alerts.delivery_settings import DEAD_LETTER_RETENTION, MAXIMUM_EVENT_AGE, MAXIMUM_RETRY_ATTEMPTS, Bounds
from guardduty_alerts.patterns import DEFAULT_EVENT_PATTERN_SIZE_LIMIT, MAX_EVENT_PATTERN_SIZE_LIMIT, SampleHandling
from guardduty_alerts.regions import EVERY_REGION
from guardduty_alerts.severity import Severity
from guardduty_alerts.validation import DETECTOR_ID_PATTERN, EMAIL_PATTERN, NAME_PATTERN, PublishingFrequency

from .channels import channels_schema
from .estate import PARTITION_SCHEMA, estate_schema_properties
from .routing import account_list_schema, unrouted_schema
from .suppression import SUPPRESSION_SCHEMA

__all__ = ["SCHEMA"]

_SEVERITY_ALLOWED = "one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"


def _bounded(bounds: Bounds) -> dict[str, Any]:
    return {"type": "integer", "minimum": bounds.minimum, "maximum": bounds.maximum, "x-allowed": bounds.allowed}


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "type_list": {
            "type": "array",
            "minItems": 1,
            "x-allowed": "a non-empty list of finding types; an entry ending in ':', '/' or '*' is a prefix",
            "items": {
                "type": "string",
                # GuardDuty's types: ThreatPurpose:ResourceType/ThreatFamily.Mechanism!Artifact, with & and ! in
                # some (Backdoor:EC2/C&CActivity.B!DNS).
                "pattern": r"^[A-Za-z][A-Za-z0-9:/._&!\-]*\*?$",
                "maxLength": 128,
                "x-allowed": (
                    "a finding type such as Recon:EC2/Portscan, "
                    "or a prefix such as Recon: or UnauthorizedAccess:IAMUser/"
                ),
            },
        },
    },
    "type": "object",
    "x-allowed": "a mapping of settings",
    "additionalProperties": False,
    # Keys starting with x- are ignored: a place for the anchors YAML merge keys copy (`x-mail: &mail {...}`,
    # then `<<: *mail`), as Compose files do.
    "patternProperties": {"^x-": {}},
    # recipients or channels: checked by the semantic pass, which can say "one of them".
    "required": ["regions"],
    "properties": {
        "name": {
            "type": "string",
            "pattern": NAME_PATTERN,
            "x-allowed": (
                "2 to 40 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen"
            ),
        },
        "partition": PARTITION_SCHEMA,
        "regions": {
            "type": "array",
            "minItems": 1,
            "x-allowed": 'a non-empty list of AWS region names, or "all" for the regions enabled by default',
            "items": {"type": "string", "enum": list(EVERY_REGION), "x-allowed": "an AWS region name"},
        },
        "severity_threshold": {
            "oneOf": [
                {"type": "string", "enum": list(Severity.__members__)},
                {"type": "number", "minimum": 1.0, "maximum": 10.0},
            ],
            "x-allowed": _SEVERITY_ALLOWED,
        },
        "recipients": {
            "type": "array",
            "minItems": 1,
            "x-allowed": "a non-empty list of email addresses",
            "items": {"type": "string", "pattern": EMAIL_PATTERN, "maxLength": 254, "x-allowed": "one email address"},
        },
        "detector": {
            "type": "object",
            "additionalProperties": False,
            "x-allowed": "a mapping",
            "properties": {
                "finding_publishing_frequency": {
                    "type": "string",
                    "enum": list(PublishingFrequency.__members__),
                    "x-allowed": "one of " + ", ".join(PublishingFrequency.__members__),
                },
                "existing_detector_ids": {
                    "type": "object",
                    "x-allowed": "a mapping of region name to the id of the detector already enabled there",
                    "additionalProperties": {
                        "type": "string",
                        "pattern": DETECTOR_ID_PATTERN,
                        "x-allowed": "a 32-character detector id, as `aws guardduty list-detectors` prints it",
                    },
                },
            },
        },
        "tags": {
            "type": "object",
            "x-allowed": "a mapping of tag keys to string values",
            "propertyNames": {"minLength": 1, "maxLength": 128, "not": {"pattern": "^[Aa][Ww][Ss]:"}},
            "additionalProperties": {
                "type": "string",
                "maxLength": 256,
                "x-allowed": "a string of at most 256 characters",
            },
        },
        "topic_encryption": {
            "type": "object",
            "additionalProperties": False,
            "x-allowed": "a mapping",
            "properties": {
                "enabled": {"type": "boolean", "x-allowed": "true or false"},
                "existing_kms_key_arns": {
                    "type": "object",
                    "x-allowed": "a mapping of region name to the ARN of a customer-managed KMS key in that region",
                    # Checked in full by the semantic pass, which can say why an AWS-managed key is refused.
                    "additionalProperties": {"type": "string", "x-allowed": "a KMS key ARN"},
                },
            },
        },
        "delivery": {
            "type": "object",
            "additionalProperties": False,
            "x-allowed": "a mapping",
            "properties": {
                "maximum_event_age_seconds": _bounded(MAXIMUM_EVENT_AGE),
                "maximum_retry_attempts": _bounded(MAXIMUM_RETRY_ATTEMPTS),
                "dead_letter_retention_seconds": _bounded(DEAD_LETTER_RETENTION),
                # Left out: each region's alarms notify its alert topic. [] turns notification off everywhere,
                # a region's [] there only.
                "alarm_actions": {
                    "type": ["object", "array"],
                    "maxItems": 0,
                    "x-allowed": "a mapping of region name to a list of alarm action ARNs in that region (an empty "
                    "list: no one is notified there), or [] to notify no one in any region",
                    "additionalProperties": {
                        "type": "array",
                        "x-allowed": "a list of ARNs",
                        "items": {"type": "string", "x-allowed": "an ARN"},
                    },
                },
            },
        },
        "finding_types": {
            "type": "object",
            "additionalProperties": False,
            "x-allowed": "a mapping with include or exclude",
            "properties": {
                "include": {"$ref": "#/$defs/type_list"},
                "exclude": {"$ref": "#/$defs/type_list"},
            },
        },
        "sample_findings": {
            "type": "string",
            "enum": [item.value for item in SampleHandling],
            "x-allowed": "deliver (mailed, marked as samples) or drop",
        },
        "new_findings_only": {
            "type": "boolean",
            "x-allowed": "true (mail a finding once, when first seen) or false (every occurrence)",
        },
        "suppression_rules": SUPPRESSION_SCHEMA,
        "event_pattern_size_limit": {
            "type": "integer",
            "minimum": DEFAULT_EVENT_PATTERN_SIZE_LIMIT,
            "maximum": MAX_EVENT_PATTERN_SIZE_LIMIT,
            "x-allowed": (
                f"an integer from {DEFAULT_EVENT_PATTERN_SIZE_LIMIT} (EventBridge's default quota) to "
                f"{MAX_EVENT_PATTERN_SIZE_LIMIT}: the account's 'Event pattern size' quota, once raised"
            ),
        },
        "subject_formatter": {
            "type": "boolean",
            "x-allowed": "true (a Lambda function publishes with a readable subject) or false",
        },
        "provider": {
            "type": "object",
            "additionalProperties": False,
            "x-allowed": "a mapping",
            "properties": {
                "endpoint_url": {
                    "type": "string",
                    "pattern": r"^https?://[A-Za-z0-9.\-\[\]:]+(/\S*)?$",
                    "x-allowed": "an http(s) URL such as http://127.0.0.1:5000, used for every AWS service",
                },
            },
        },
    },
}

# Destinations beyond the top-level recipients (see channels.py).
SCHEMA["properties"]["channels"] = channels_schema(SCHEMA["properties"])

# Routing by account (see routing.py): `accounts` lists the estate here, so the top-level pair has other names.
SCHEMA["properties"]["finding_accounts"] = account_list_schema(
    "recipients, and the channels that set no accounts, get only their findings"
)
SCHEMA["properties"]["finding_accounts_except"] = account_list_schema(
    "recipients, and the channels that set no accounts, get the findings of every other account"
)
SCHEMA["properties"]["unrouted"] = unrouted_schema(SCHEMA["properties"]["channels"]["items"])

# Accounts, organization, central inbox, protection plans and remote state (see estate.py).
SCHEMA["properties"].update(estate_schema_properties(SCHEMA["properties"]))

"""Suppression rules: GuardDuty filters with action ARCHIVE.

GuardDuty archives a finding that matches a suppression rule as soon as it is generated and does not send it
to EventBridge, so known-benign findings never reach the mail at all (they stay visible, archived, in the
console). Criteria use GuardDuty's finding attribute names (`type`, `severity`, `accountId`,
`resource.instanceDetails.instanceId`, `service.action.networkConnectionAction.remoteIpDetails.ipAddressV4`,
...) and the operators of `aws_guardduty_filter`.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .severity import Severity

__all__ = [
    "FILTER_FIELDS",
    "FILTER_NAME_PATTERN",
    "LIST_OPERATORS",
    "NUMBER_OPERATORS",
    "OPERATORS",
    "SuppressionRule",
    "criteria_problems",
    "suppression_rule_problems",
]

# GuardDuty filter names: 3 to 64 letters, digits, '-', '_' and '.'.
FILTER_NAME_PATTERN = r"^[A-Za-z0-9_.\-]{3,64}$"
LIST_OPERATORS = ("equals", "not_equals")
NUMBER_OPERATORS = ("greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal")
OPERATORS = LIST_OPERATORS + NUMBER_OPERATORS

# The finding attributes GuardDuty filters on, as the GuardDuty User Guide lists them ("Filtering findings in
# GuardDuty", table "Filter criteria"/"Filter attributes": console name -> JSON field name). A field outside
# this list is accepted by CreateFilter and matches nothing, so a typo silently suppresses nothing.
_TEXT = "text"
_NUMBER = "number"
_TIME = "time"
_PORT = "port"
_BOOLEAN = "boolean"
FILTER_FIELDS: Mapping[str, str] = {
    "accountId": _TEXT,
    "confidence": _NUMBER,
    "id": _TEXT,
    "region": _TEXT,
    "resource.accessKeyDetails.accessKeyId": _TEXT,
    "resource.accessKeyDetails.principalId": _TEXT,
    "resource.accessKeyDetails.userName": _TEXT,
    "resource.accessKeyDetails.userType": _TEXT,
    "resource.instanceDetails.iamInstanceProfile.id": _TEXT,
    "resource.instanceDetails.imageId": _TEXT,
    "resource.instanceDetails.instanceId": _TEXT,
    "resource.instanceDetails.instanceType": _TEXT,
    "resource.instanceDetails.launchTime": _TIME,
    "resource.instanceDetails.networkInterfaces.ipv6Addresses": _TEXT,
    "resource.instanceDetails.networkInterfaces.privateIpAddresses.privateIpAddress": _TEXT,
    "resource.instanceDetails.networkInterfaces.publicDnsName": _TEXT,
    "resource.instanceDetails.networkInterfaces.publicIp": _TEXT,
    "resource.instanceDetails.networkInterfaces.securityGroups.groupId": _TEXT,
    "resource.instanceDetails.networkInterfaces.securityGroups.groupName": _TEXT,
    "resource.instanceDetails.networkInterfaces.subnetId": _TEXT,
    "resource.instanceDetails.networkInterfaces.vpcId": _TEXT,
    "resource.instanceDetails.outpostARN": _TEXT,
    "resource.instanceDetails.outpostArn": _TEXT,  # so spelled in AWS::GuardDuty::Filter FindingCriteria
    "resource.instanceDetails.tags.key": _TEXT,
    "resource.instanceDetails.tags.value": _TEXT,
    "resource.resourceType": _TEXT,
    "resource.s3BucketDetails.publicAccess.effectivePermissions": _TEXT,
    "resource.s3BucketDetails.name": _TEXT,
    "resource.s3BucketDetails.tags.key": _TEXT,
    "resource.s3BucketDetails.tags.value": _TEXT,
    "resource.s3BucketDetails.type": _TEXT,
    "service.action.actionType": _TEXT,
    "service.action.awsApiCallAction.api": _TEXT,
    "service.action.awsApiCallAction.callerType": _TEXT,
    "service.action.awsApiCallAction.errorCode": _TEXT,
    "service.action.awsApiCallAction.remoteIpDetails.city.cityName": _TEXT,
    "service.action.awsApiCallAction.remoteIpDetails.country.countryName": _TEXT,
    "service.action.awsApiCallAction.remoteIpDetails.ipAddressV4": _TEXT,
    "service.action.awsApiCallAction.remoteIpDetails.organization.asn": _TEXT,
    "service.action.awsApiCallAction.remoteIpDetails.organization.asnOrg": _TEXT,
    "service.action.awsApiCallAction.serviceName": _TEXT,
    "service.action.dnsRequestAction.domain": _TEXT,
    "service.action.networkConnectionAction.blocked": _BOOLEAN,
    "service.action.networkConnectionAction.connectionDirection": _TEXT,
    "service.action.networkConnectionAction.localIpDetails.ipAddressV4": _TEXT,
    "service.action.networkConnectionAction.localPortDetails.port": _PORT,
    "service.action.networkConnectionAction.protocol": _TEXT,
    "service.action.networkConnectionAction.remoteIpDetails.city.cityName": _TEXT,
    "service.action.networkConnectionAction.remoteIpDetails.country.countryName": _TEXT,
    "service.action.networkConnectionAction.remoteIpDetails.ipAddressV4": _TEXT,
    "service.action.networkConnectionAction.remoteIpDetails.organization.asn": _TEXT,
    "service.action.networkConnectionAction.remoteIpDetails.organization.asnOrg": _TEXT,
    "service.action.networkConnectionAction.remotePortDetails.port": _PORT,
    "service.additionalInfo.threatListName": _TEXT,
    "service.archived": _BOOLEAN,
    "service.localIpDetails.ipAddressV4": _TEXT,
    "service.resourceRole": _TEXT,
    "severity": _NUMBER,
    "type": _TEXT,
    "updatedAt": _TIME,
}
# The table above is the user guide's (plus the CloudFormation reference's "available criterion" list,
# AWS::GuardDuty::Filter FindingCriteria). Newer protection plans filter on fields of their own resource
# objects (GuardDuty API reference, "Resource": eksClusterDetails, kubernetesDetails, ...), which no stored
# table lists field by field: under these objects any path is accepted, so only the object name is checked.
# "Fields under service.additionalInfo are specified using their full JSON path" (user guide): likewise.
_OPEN_PREFIXES = (
    "resource.containerDetails.",
    "resource.ebsVolumeDetails.",
    "resource.ecsClusterDetails.",
    "resource.eksClusterDetails.",
    "resource.kubernetesDetails.",
    "resource.lambdaDetails.",
    "resource.rdsDbInstanceDetails.",
    "resource.rdsDbUserDetails.",
    "service.additionalInfo.",
    "service.ebsVolumeScanDetails.",
    "service.runtimeDetails.",
)
# GuardDuty severities run from 1.0 to 10.0 (findings of 9.0 and above are CRITICAL); confidence 0 to 10.
_NUMBER_BOUNDS: Mapping[str, tuple[float, float]] = {"severity": (1.0, 10.0), "confidence": (0.0, 10.0)}
_FIELD_ALLOWED = {
    _NUMBER: "a number from {low:g} to {high:g}",
    _PORT: "a port number from 0 to 65535",
    _TIME: "a timestamp such as 2026-01-01T00:00:00Z, or milliseconds since 1970 (a whole number)",
    _BOOLEAN: "true or false",
    _TEXT: "text",
}
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z")


@dataclass(frozen=True)
class SuppressionRule:
    """One GuardDuty filter that archives matching findings."""

    name: str
    criteria: Mapping[str, Mapping[str, Any]]
    description: str = ""

    def criterion_list(self) -> list[dict[str, Any]]:
        """Criteria as `aws_guardduty_filter` takes them: one block per field, values as strings."""
        blocks = []
        for field, conditions in sorted(self.criteria.items()):
            block: dict[str, Any] = {"field": field}
            for op, value in sorted(conditions.items()):
                block[op] = [_text(item) for item in value] if op in LIST_OPERATORS else _text(value)
            blocks.append(block)
        return blocks


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _field_kind(field: str) -> str | None:
    if field in FILTER_FIELDS:
        return FILTER_FIELDS[field]
    prefix = next((prefix for prefix in _OPEN_PREFIXES if field.startswith(prefix)), None)
    return _TEXT if prefix and re.fullmatch(r"[A-Za-z0-9]+(\.[A-Za-z0-9]+)*", field[len(prefix) :]) else None


def _value_problem(field: str, kind: str, value: object) -> str | None:
    """Why `value` is not a value of `field` (of `kind`), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not a finite number"
    if kind in (_NUMBER, _PORT):
        if isinstance(value, str) and value.upper() in Severity.__members__ and field == "severity":
            floor = Severity[value.upper()].floor
            return f"{value!r} is a severity word, not a number (did you mean {floor:g}, where {value.upper()} starts?)"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{value!r} is not a number"
        low, high = _NUMBER_BOUNDS.get(field, (0, 65535))
        if not low <= value <= high or (kind == _PORT and not float(value).is_integer()):
            return f"{value!r} is out of range"
        return None
    if kind == _TIME:
        if isinstance(value, datetime.datetime):
            return None if value.tzinfo is not None else f"{value!r} has no time zone"
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return None
        if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
            try:
                datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return f"{value!r} is not a date and time"
            return None
        return f"{value!r} is not a timestamp"
    if kind == _BOOLEAN:
        return None if value in (True, False, "true", "false") else f"{value!r} is not true or false"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return f"{value!r} is not text or a number"
    if isinstance(value, str) and (not value or len(value) > 512 or any(ord(char) < 32 for char in value)):
        return f"{value!r} is not usable text (1 to 512 characters, no line breaks or control characters)"
    return None


def criteria_problems(criteria: object, *, where: str) -> list[str]:
    """Every problem of one rule's criteria, each naming `<where>.<field>[.<operator>]`: fields GuardDuty
    filters on (with the closest one suggested), operators, and values as what each field holds."""
    if not isinstance(criteria, Mapping) or not criteria:
        return [
            f"{where}: {criteria!r} is not allowed; allowed: a mapping of GuardDuty finding attributes to conditions"
        ]
    problems: list[str] = []
    for field, conditions in criteria.items():
        at = f"{where}.{field}"
        kind = _field_kind(field) if isinstance(field, str) else None
        if kind is None:
            # Candidates: the listed fields, and the field's last part under each open object.
            leaf = str(field).rsplit(".", 1)[-1]
            candidates = [*FILTER_FIELDS, *(prefix + leaf for prefix in _OPEN_PREFIXES)]
            close = difflib.get_close_matches(str(field), candidates, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(
                f"{at}: {str(field)!r} is not a finding attribute GuardDuty filters on{hint}; a filter on it would "
                "match nothing; allowed: an attribute of the GuardDuty User Guide's filter criteria (type, "
                "severity, accountId, resource.instanceDetails.instanceId, ...) or a path under "
                "service.additionalInfo or a newer protection plan's resource object (resource.eksClusterDetails, "
                "resource.lambdaDetails, ...)"
            )
            continue
        if not isinstance(conditions, Mapping) or not conditions:
            problems.append(f"{at}: {conditions!r} is not allowed; allowed: a mapping of operators to values")
            continue
        for operator, value in conditions.items():
            path = f"{at}.{operator}"
            if operator in NUMBER_OPERATORS:
                if kind not in (_NUMBER, _PORT, _TIME):
                    problems.append(
                        f"{path}: {field} holds {_FIELD_ALLOWED[kind]}, which GuardDuty cannot compare; allowed: "
                        "equals or not_equals"
                    )
                    continue
                values: Sequence[object] = [value]
            elif operator in LIST_OPERATORS:
                if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
                    problems.append(f"{path}: {value!r} is not allowed; allowed: a non-empty list of values")
                    continue
                values = value
            else:
                problems.append(f"{path}: {operator!r} is not an operator; allowed: one of {', '.join(OPERATORS)}")
                continue
            for item in values:
                problem = _value_problem(field, kind, item)
                if problem:
                    low, high = _NUMBER_BOUNDS.get(field, (0, 0))
                    allowed = _FIELD_ALLOWED[kind].format(low=low, high=high)
                    problems.append(f"{path}: {problem}; allowed: {allowed}")
    return problems


def suppression_rule_problems(rules: Sequence[object], *, where: str = "suppression_rules") -> list[str]:
    """Every problem of a list of suppression rules, each naming `<where>[i].<setting>`."""
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Sequence):
        return [f"{where}: {rules!r} is not a list; allowed: a list of SuppressionRule"]
    problems: list[str] = []
    first: dict[str, int] = {}
    for index, rule in enumerate(rules):
        at = f"{where}[{index}]"
        if not isinstance(rule, SuppressionRule):
            problems.append(f"{at}: {rule!r} is not a SuppressionRule")
            continue
        if not isinstance(rule.name, str) or not re.fullmatch(FILTER_NAME_PATTERN, rule.name):
            problems.append(
                f"{at}.name: {rule.name!r} is not allowed; allowed: 3 to 64 letters, digits, '-', '_' or '.'"
            )
        elif rule.name in first:
            problems.append(
                f"{at}.name: {rule.name!r} repeats {where}[{first[rule.name]}]; allowed: each name once "
                "(it names the GuardDuty filter)"
            )
        else:
            first[rule.name] = index
        problems += criteria_problems(rule.criteria, where=f"{at}.criteria")
    return problems

"""The `partition` setting: every region, ARN and protection plan of a configuration in its one partition
(`aws`, `aws-us-gov`, `aws-cn`). What differs between partitions is guardduty_alerts.regions.PARTITIONS."""

from __future__ import annotations

import json
from typing import Any

from guardduty_alerts.regions import (
    DEFAULT_PARTITION,
    EVERY_REGION,
    PARTITIONS,
    partition_of,
    protection_plan_problem,
)
from guardduty_alerts.validation import parse_arn, partition_of_region

__all__ = ["partition_problems"]


def _show(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# Keys whose values are region names, and mappings keyed by region name (in any section, account or channel).
_REGION_KEYS = ("regions", "region", "home_region")
_REGION_KEYED = ("existing_detector_ids", "existing_kms_key_arns", "alarm_actions")


def partition_problems(document: dict[str, Any]) -> list[str]:
    """Every region and every ARN of the document in the configured `partition` (one configuration deploys
    to one partition: its accounts, credentials and state backend exist in that partition only)."""
    name = document.get("partition", DEFAULT_PARTITION)
    if name not in PARTITIONS:
        return []  # the schema has said so
    partition = PARTITIONS[name]
    setting = f"partition is {name}" + ("" if "partition" in document else " (the default: partition is not set)")
    problems: list[str] = []

    def region_problem(where: str, region: object) -> None:
        if isinstance(region, str) and region in EVERY_REGION and region not in partition.regions:
            other = partition_of(region)
            problems.append(
                f"{where}: {_show(region)} is a region of partition {other.name} ({other.title}), and {setting}; "
                f"allowed: a region of {name} ({', '.join(partition.regions)}), or partition: {other.name} "
                "for a configuration that deploys there only"
            )

    def walk(where: str, value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if str(key).startswith("x-"):
                    continue  # anchors: reported where they are used
                path = f"{where}.{key}" if where else str(key)
                if key in _REGION_KEYS:
                    for position, region in enumerate(item if isinstance(item, list) else [item]):
                        region_problem(f"{path}[{position}]" if isinstance(item, list) else path, region)
                elif key in _REGION_KEYED and isinstance(item, dict):
                    for region in item:
                        region_problem(f"{path}.{region}", region)
                walk(path, item)
        elif isinstance(value, list):
            for position, item in enumerate(value):
                walk(f"{where}[{position}]", item)
        elif isinstance(value, str) and value.startswith("arn:"):
            arn = parse_arn(value)
            # An ARN whose partition is not its own region's is refused where it is read (validation.arn_problem).
            consistent = arn is not None and (not arn.region or partition_of_region(arn.region) == arn.partition)
            if arn is not None and consistent and arn.partition != name:
                problems.append(
                    f"{where}: {_show(value)} is an ARN of partition {arn.partition}, and {setting}; "
                    f"allowed: an ARN starting with {partition.arn_prefix} (a resource of another partition "
                    "cannot be used from this one)"
                )

    walk("", {key: value for key, value in document.items() if key != "partition"})
    return problems + _plan_partition_problems(document, name)


def _plan_partition_problems(document: dict[str, Any], partition: str) -> list[str]:
    """Each protection plan of the document (top level and per account) that the partition does not offer."""
    sections: list[tuple[str, object]] = [("protection_plans", document.get("protection_plans"))]
    accounts = document.get("accounts")
    if isinstance(accounts, list):
        sections += [
            (f"accounts[{index}].protection_plans", entry.get("protection_plans"))
            for index, entry in enumerate(accounts)
            if isinstance(entry, dict)
        ]
    problems = []
    for where, section in sections:
        for key in section if isinstance(section, dict) else ():
            problem = protection_plan_problem(str(key), partition)
            if problem:
                problems.append(f"{where}.{key}: {problem}")
    return problems

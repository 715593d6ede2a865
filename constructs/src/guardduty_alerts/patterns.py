"""The EventBridge event pattern that selects GuardDuty findings worth a mail."""

from __future__ import annotations

from typing import Any

__all__ = ["FINDING_DETAIL_TYPE", "GUARDDUTY_SOURCE", "finding_event_pattern"]

GUARDDUTY_SOURCE = "aws.guardduty"
# GuardDuty also emits other detail types under its source (CloudTrail records of its API calls, runtime
# agent health, malware scan results); only this one is a finding.
FINDING_DETAIL_TYPE = "GuardDuty Finding"


def _json_number(value: float) -> int | float:
    # 4 rather than 4.0: the pattern reads like the one the console writes; EventBridge compares numerically.
    return int(value) if float(value).is_integer() else value


def finding_event_pattern(threshold: float) -> dict[str, Any]:
    """Pattern matching GuardDuty findings whose severity is at least `threshold`."""
    return {
        "source": [GUARDDUTY_SOURCE],
        "detail-type": [FINDING_DETAIL_TYPE],
        "detail": {"severity": [{"numeric": [">=", _json_number(threshold)]}]},
    }

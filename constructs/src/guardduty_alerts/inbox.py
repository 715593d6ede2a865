"""Central inbox: the pattern of the rules that forward findings to the home region's bus (their IAM policies are in
policies.py).

Pure data, serialised once by the construct with `json.dumps(..., sort_keys=True)`.
"""

from __future__ import annotations

from typing import Any

from .patterns import FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE
from .validation import partition_of_region

__all__ = ["default_bus_arn", "forwarding_event_pattern"]


def forwarding_event_pattern() -> dict[str, Any]:
    """Every finding, whatever its severity: the home region's one rule decides what is mailed."""
    return {"source": [GUARDDUTY_SOURCE], "detail-type": [FINDING_DETAIL_TYPE]}


def default_bus_arn(region: str, account_id: str) -> str:
    return f"arn:{partition_of_region(region)}:events:{region}:{account_id}:event-bus/default"

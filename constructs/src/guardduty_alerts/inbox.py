"""Central inbox: the pattern and IAM policies of the rules that forward findings to the home region's bus.

Pure data, serialised once by the construct with `json.dumps(..., sort_keys=True)`.
"""

from __future__ import annotations

from typing import Any

from .patterns import FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE
from .policies import EVENTS_PRINCIPAL

__all__ = ["default_bus_arn", "forwarding_event_pattern", "forwarding_role_policy", "forwarding_trust_policy"]


def forwarding_event_pattern() -> dict[str, Any]:
    """Every finding, whatever its severity: the home region's one rule decides what is mailed."""
    return {"source": [GUARDDUTY_SOURCE], "detail-type": [FINDING_DETAIL_TYPE]}


def default_bus_arn(region: str, account_id: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:event-bus/default"


def forwarding_trust_policy(*, rule_arn: str, account_id: str) -> dict[str, Any]:
    """EventBridge may assume the role only on behalf of our forwarding rule in our account (confused deputy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ForwardingRuleAssumesRole",
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnEquals": {"aws:SourceArn": rule_arn},
                },
            }
        ],
    }


def forwarding_role_policy(*, bus_arn: str) -> dict[str, Any]:
    """Put events on the home region's default bus, and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PutEventsOnHomeBus", "Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn}
        ],
    }

"""Resource impacts of the plan summary, one resource type at a time (plan documents shaped like
`terraform show -json`): the table of handlers in plan_summary/resource_impacts.py."""

from __future__ import annotations

from typing import Any

import pytest
from guardduty_alerts_review.plan_summary import StackChanges, summarize
from guardduty_alerts_review.plan_summary.resource_impacts import HANDLERS

KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _change(
    address: str, actions: list[str], before: dict | None, after: dict | None, unknown: dict | None = None
) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": address.split(".")[0],
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": unknown or {}},
    }


def _impacts(*changes: dict[str, Any]) -> list[str]:
    plan = {"format_version": "1.2", "planned_values": {}, "resource_changes": list(changes)}
    return [impact.markdown() for impact in summarize(StackChanges(name="s", plan=plan, source="s.json")).impacts]


ADDED = (
    "- 📝 **Encryption added**: SNS topic `t` is encrypted with a customer-managed KMS key: "
    "EventBridge must be allowed kms:GenerateDataKey* and kms:Decrypt on it, or no mail arrives."
)
CREATED = (
    "- 📝 **Encrypted topic created**: SNS topic `t` is created encrypted with a customer-managed "
    "KMS key: EventBridge must be allowed kms:GenerateDataKey* and kms:Decrypt on it, or no mail arrives."
)


def test_a_created_encrypted_topic_is_not_said_to_have_encryption_added() -> None:
    # The key is usually created in the same plan: its ARN is known only after apply.
    assert _impacts(_change("aws_sns_topic.topic", ["create"], None, {"name": "t"}, {"kms_master_key_id": True})) == [
        CREATED
    ]
    assert _impacts(_change("aws_sns_topic.topic", ["create"], None, {"name": "t", "kms_master_key_id": KEY})) == [
        CREATED
    ]


def test_a_created_unencrypted_topic_says_nothing_of_encryption() -> None:
    assert _impacts(_change("aws_sns_topic.topic", ["create"], None, {"name": "t", "kms_master_key_id": None})) == []


def test_an_existing_topic_that_gets_a_key_has_encryption_added() -> None:
    assert _impacts(
        _change("aws_sns_topic.topic", ["update"], {"name": "t"}, {"name": "t", "kms_master_key_id": KEY})
    ) == [ADDED]


def test_an_existing_topic_that_moves_to_another_key_says_so() -> None:
    assert _impacts(
        _change(
            "aws_sns_topic.topic",
            ["update"],
            {"name": "t", "kms_master_key_id": "alias/a"},
            {"name": "t", "kms_master_key_id": KEY},
        )
    ) == [
        "- 📝 **Encryption key changed**: SNS topic `t` moves to another KMS key: EventBridge must "
        "be allowed to use the new key, or no mail arrives."
    ]


@pytest.mark.parametrize(
    ("actions", "before", "after", "line"),
    [
        (["delete"], {"enable": True}, None, "⚠️ **GuardDuty disabled**: the detector is deleted"),
        (["update"], {"enable": True}, {"enable": False}, "⚠️ **GuardDuty disabled**: the detector is suspended"),
        (["update"], {"enable": False}, {"enable": True}, "🔔 **GuardDuty enabled**: the suspended detector"),
        (["delete", "create"], {"enable": True}, {"enable": True}, "⚠️ **Detector replaced**:"),
    ],
)
def test_detector_changes_are_said_in_words(actions: list[str], before: dict, after: dict | None, line: str) -> None:
    (impact,) = _impacts(_change("aws_guardduty_detector.detector", actions, before, after))
    assert impact.startswith(f"- {line}"), impact


def test_the_handlers_cover_the_types_in_the_order_a_reviewer_reads_them() -> None:
    assert list(HANDLERS) == [
        "aws_guardduty_detector",
        "aws_guardduty_detector_feature",
        "aws_guardduty_filter",
        "aws_sns_topic",
        "aws_cloudwatch_event_rule",
        "aws_cloudwatch_event_target",
        "aws_sns_topic_policy",
        "aws_kms_key",
        "aws_kms_key_policy",
    ]

"""The one policy reader the review tools share (plan summary and `verify`): whether a topic or key policy lets
a service principal take an action, as a pure function over (policy, principal, action) cases, and what the
plan summary says with it where its former reader (action prefixes, Deny ignored) was wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest
from guardduty_alerts_review.plan_summary import StackChanges, summarize
from guardduty_alerts_review.policy_reader import KEY_USE_ACTIONS, allows, allows_text, granting

EVENTS = "events.amazonaws.com"
TOPIC = "arn:aws:sns:us-east-1:111111111111:guardduty-alerts"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: object, principal: object = None, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal or {"Service": EVENTS},
        "Action": action,
        "Resource": TOPIC,
        **extra,
    }


def _deny(action: object, principal: object = None, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Deny",
        "Principal": principal or {"Service": EVENTS},
        "Action": action,
        "Resource": TOPIC,
        **extra,
    }


SOURCE = {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:111111111111:rule/guardduty-alerts-high"}}


# Action matching: "The prefix and the action name are case insensitive" and `*` / `?` are wildcards (IAM User
# Guide, "IAM JSON policy elements: Action",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
# Deny: "An explicit deny overrides any allows" (SNS Developer Guide, "Evaluation logic",
# https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-evaluation-logic.html; IAM User Guide,
# "The difference between explicit and implicit denies").
@pytest.mark.parametrize(
    ("policy", "action", "allowed"),
    [
        (_policy(_allow("sns:Publish")), "sns:Publish", True),
        (_policy(_allow("SNS:publish")), "sns:Publish", True),  # case-insensitive
        (_policy(_allow(["sns:Subscribe", "sns:Publish"])), "sns:Publish", True),
        (_policy(_allow("sns:*")), "sns:Publish", True),
        (_policy(_allow("*")), "sns:Publish", True),
        (_policy(_allow("sns:Pub?ish")), "sns:Publish", True),
        (_policy(_allow("sns:Publish*")), "sns:Publish", True),
        (_policy(_allow("kms:GenerateDataKey*")), "kms:GenerateDataKey", True),
        (_policy(_allow("sns:Subscribe")), "sns:Publish", False),
        (_policy(_allow("sns:PublishBatch")), "sns:Publish", False),  # not a prefix match
        (_policy(_allow("kms:Describe*")), "kms:Decrypt", False),
        (_policy(_allow("sns:[P]ublish")), "sns:Publish", False),  # a bracket is no wildcard in IAM
        (_policy(_allow("sns:Publish", {"Service": "lambda.amazonaws.com"})), "sns:Publish", False),
        (_policy(_allow("sns:Publish", {"Service": ["lambda.amazonaws.com", EVENTS]})), "sns:Publish", True),
        (_policy(_allow("sns:Publish", "*")), "sns:Publish", True),
        (_policy(_allow("sns:Publish", {"AWS": "*"})), "sns:Publish", True),
        (_policy(_allow("sns:Publish", {"AWS": "arn:aws:iam::111111111111:root"})), "sns:Publish", False),
        (_policy(_allow("sns:Publish"), _deny("sns:Publish")), "sns:Publish", False),
        (_policy(_allow("sns:Publish"), _deny("sns:*")), "sns:Publish", False),
        (_policy(_allow("sns:Publish"), _deny("*", "*")), "sns:Publish", False),
        (_policy(_allow("sns:Publish"), _deny("sns:Subscribe")), "sns:Publish", True),
        (
            _policy(_allow("sns:Publish"), _deny("sns:Publish", {"Service": "lambda.amazonaws.com"})),
            "sns:Publish",
            True,
        ),
        # Conditions need the request to evaluate: a conditional Deny may not apply, so the Allow stands.
        (_policy(_allow("sns:Publish"), _deny("sns:Publish", Condition=SOURCE)), "sns:Publish", True),
        (_policy(_allow("sns:Publish", Condition=SOURCE)), "sns:Publish", True),
        (_policy(_deny("sns:Publish")), "sns:Publish", False),
        ({"Statement": _allow("sns:Publish")}, "sns:Publish", True),  # one statement, not in a list
        (_policy(), "sns:Publish", False),
        ({}, "sns:Publish", False),
        ([], "sns:Publish", False),
    ],
)
def test_a_policy_lets_a_service_take_an_action(policy: object, action: str, allowed: bool) -> None:
    assert allows(policy, EVENTS, (action,)) is allowed


def test_granting_returns_the_allow_statements_with_their_conditions() -> None:
    conditional = _allow("sns:Publish", Condition=SOURCE)
    policy = _policy(_allow("sns:Subscribe"), conditional, _deny("sns:Publish", Condition=SOURCE))
    assert granting(policy, EVENTS, "sns:Publish") == [conditional]


def test_key_use_needs_every_action_eventbridge_calls() -> None:
    assert KEY_USE_ACTIONS == ("kms:GenerateDataKey", "kms:Decrypt")
    assert allows(_policy(_allow(["kms:GenerateDataKey*", "kms:Decrypt"])), EVENTS, KEY_USE_ACTIONS)
    assert not allows(_policy(_allow("kms:GenerateDataKey*")), EVENTS, KEY_USE_ACTIONS)
    assert not allows(_policy(_allow("kms:*"), _deny("kms:Decrypt")), EVENTS, KEY_USE_ACTIONS)


@pytest.mark.parametrize(("text", "answer"), [(None, None), ("not json", None), ("[1]", None), ("{}", False)])
def test_a_policy_text_that_is_unknown_or_not_a_document_has_no_answer(text: object, answer: bool | None) -> None:
    assert allows_text(text, EVENTS, ("sns:Publish",)) is answer


# --- the plan summary with this reader ---------------------------------------------------------------------


def _update(address: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": address.split(".")[0],
        "change": {
            "actions": ["update"],
            "before": {"policy": json.dumps(before)},
            "after": {"policy": json.dumps(after)},
            "after_unknown": {},
        },
    }


def _impacts(change: dict[str, Any]) -> list[str]:
    plan = {"format_version": "1.2", "planned_values": {}, "resource_changes": [change]}
    return [impact.markdown() for impact in summarize(StackChanges(name="s", plan=plan, source="s.json")).impacts]


TOPIC_LINE = (
    "- ⚠️ **Topic policy no longer lets EventBridge publish**: deliveries to the topic fail and no mail arrives."
)
KEY_LINE = (
    "- ⚠️ **Key policy no longer lets EventBridge use the key**: KMS key `aws_kms_key.key`: deliveries to the "
    "encrypted topic fail and no mail arrives."
)


def test_a_topic_policy_that_stops_allowing_publish_is_a_loss_as_before() -> None:
    assert _impacts(
        _update("aws_sns_topic_policy.policy", _policy(_allow("sns:Publish")), _policy(_allow("sns:Subscribe")))
    ) == [TOPIC_LINE]


# Where the former reader (prefix match on "sns:Publish", Deny ignored, only Service principals) was wrong.
def test_a_deny_added_to_the_topic_policy_is_a_loss_the_former_reader_missed() -> None:
    assert _impacts(
        _update(
            "aws_sns_topic_policy.policy",
            _policy(_allow("sns:Publish")),
            _policy(_allow("sns:Publish"), _deny("sns:Publish")),
        )
    ) == [TOPIC_LINE]


def test_a_topic_policy_that_allowed_publish_through_sns_star_counts_as_allowing() -> None:
    # "sns:*" does not start with "sns:Publish": the former reader saw no grant before, hence no loss.
    assert _impacts(
        _update("aws_sns_topic_policy.policy", _policy(_allow("sns:*")), _policy(_allow("sns:Subscribe")))
    ) == [TOPIC_LINE]


def test_a_topic_policy_moving_from_a_star_principal_to_the_service_is_no_loss() -> None:
    assert (
        _impacts(
            _update("aws_sns_topic_policy.policy", _policy(_allow("sns:Publish", "*")), _policy(_allow("sns:Publish")))
        )
        == []
    )


def test_a_key_policy_that_keeps_only_describe_is_a_loss_the_former_reader_missed() -> None:
    # Any "kms:" action counted as use before; EventBridge needs kms:GenerateDataKey and kms:Decrypt.
    assert _impacts(
        _update(
            "aws_kms_key.key",
            _policy(_allow(["kms:GenerateDataKey*", "kms:Decrypt"])),
            _policy(_allow("kms:DescribeKey")),
        )
    ) == [KEY_LINE]


def test_a_key_policy_that_still_allows_use_is_no_loss() -> None:
    assert (
        _impacts(
            _update(
                "aws_kms_key.key", _policy(_allow(["kms:GenerateDataKey*", "kms:Decrypt"])), _policy(_allow("kms:*"))
            )
        )
        == []
    )

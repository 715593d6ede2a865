"""The topic policy, as data."""

from __future__ import annotations

from guardduty_alerts.policies import topic_policy

TOPIC = "arn:aws:sns:us-east-1:123456789012:guardduty-alerts"
RULE = "arn:aws:events:us-east-1:123456789012:rule/guardduty-alerts-findings"


def statements() -> dict[str, dict]:
    policy = topic_policy(topic_arn=TOPIC, rule_arns=[RULE], owner_account="123456789012")
    assert policy["Version"] == "2012-10-17"
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def test_eventbridge_may_publish_only_for_our_rule() -> None:
    publish = statements()["AllowGuardDutyFindingRulesToPublish"]
    assert publish == {
        "Sid": "AllowGuardDutyFindingRulesToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": TOPIC,
        "Condition": {"ArnEquals": {"aws:SourceArn": [RULE]}},
    }


def test_no_statement_lets_anyone_else_publish() -> None:
    for sid, statement in statements().items():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if sid != "AllowGuardDutyFindingRulesToPublish" and statement["Effect"] == "Allow":
            assert not any(action.lower() == "sns:publish" for action in actions), sid


def test_owning_account_keeps_administration() -> None:
    admin = statements()["OwningAccountAdministersTopic"]
    assert admin["Condition"] == {"StringEquals": {"AWS:SourceOwner": "123456789012"}}
    assert "SNS:Subscribe" in admin["Action"]
    assert admin["Resource"] == TOPIC


def test_regional_role_names_keep_the_region_whole_within_iams_64_characters() -> None:
    from guardduty_alerts.naming import regional_role_name

    assert regional_role_name("guardduty-alerts-formatter", "eu-west-1") == "guardduty-alerts-formatter-eu-west-1"
    longest = regional_role_name("a" * 40 + "-formatter", "ap-southeast-5")
    assert len(longest) == 64 and longest.endswith("-ap-southeast-5")
    assert regional_role_name("guardduty-alerts-chat", None) == "guardduty-alerts-chat"

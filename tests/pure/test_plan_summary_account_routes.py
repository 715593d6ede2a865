"""plan-summary on routing by account (issue 22): a change of a destination's accounts is one or two sentences
in words, a move from one destination to another one sentence; hand-made plans shaped like `terraform show
-json` (the rules' patterns as the construct writes them: a list of ids, or one anything-but of ids)."""

from __future__ import annotations

import json

from guardduty_alerts_review.plan_summary import StackChanges, summarize

ACCOUNT = "123456789012"
TEAM_X, TEAM_Y = "https://x.example.com/hook", "https://y.example.com/hook"
A, B, C = "111111111111", "222222222222", "333333333333"


def _rule(name: str, accounts: object) -> dict:
    detail = {"severity": [{"numeric": [">=", 4]}], "accountId": accounts}
    pattern = {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": detail}
    return {"name": name, "event_pattern": json.dumps(pattern), "state": "ENABLED"}


def _arn(name: str) -> str:
    return f"arn:aws:sns:us-east-1:{ACCOUNT}:{name}"


def _change(address: str, actions: list[str], before: dict | None, after: dict | None) -> dict:
    return {
        "address": address,
        "mode": "managed",
        "type": address.split(".")[0],
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}},
    }


def _destination(key: str, endpoint: str, before: object, after: object) -> list[dict]:
    """A rule feeding a topic with one HTTPS subscription; the rule's accounts change from `before` to `after`."""
    topic = {"name": f"gd-{key}", "arn": _arn(f"gd-{key}")}
    subscription = {"protocol": "https", "endpoint": endpoint, "topic_arn": _arn(f"gd-{key}")}
    target = {"rule": f"gd-{key}", "arn": _arn(f"gd-{key}")}
    rule_before, rule_after = _rule(f"gd-{key}", before), _rule(f"gd-{key}", after)
    return [
        _change(f"aws_sns_topic.{key}", ["no-op"], topic, topic),
        _change(f"aws_sns_topic_subscription.{key}", ["no-op"], subscription, subscription),
        _change(f"aws_cloudwatch_event_target.{key}", ["no-op"], target, target),
        _change(
            f"aws_cloudwatch_event_rule.{key}", ["no-op"] if before == after else ["update"], rule_before, rule_after
        ),
    ]


def _impacts(*changes: dict) -> list[str]:
    plan = {"format_version": "1.2", "planned_values": {}, "resource_changes": list(changes)}
    return [impact.markdown() for impact in summarize(StackChanges(name="s", plan=plan, source="s.json")).impacts]


def account_lines(*changes: dict) -> list[str]:
    return [line for line in _impacts(*changes) if "findings of account" in line or "no route lists" in line]


def test_an_account_moved_from_one_team_to_another_is_one_sentence() -> None:
    assert account_lines(*_destination("x", TEAM_X, [A, B], [A]), *_destination("y", TEAM_Y, [C], [B, C])) == [
        "- 📝 **Account moved**: findings of account 222222222222 move from HTTPS webhook at x.example.com to "
        "HTTPS webhook at y.example.com."
    ]


def test_an_account_added_to_a_channel_is_said_in_words() -> None:
    assert account_lines(*_destination("x", TEAM_X, [A], [A, B])) == [
        "- 🔔 **Account routed**: findings of account 222222222222 will now go to HTTPS webhook at x.example.com."
    ]


def test_an_account_taken_off_a_channel_is_a_loss() -> None:
    assert account_lines(*_destination("x", TEAM_X, [A, B], [A])) == [
        "- ⚠️ **Account no longer routed**: findings of account 222222222222 will no longer go to HTTPS webhook at "
        "x.example.com."
    ]


def test_an_unrouted_destination_losing_an_account_to_a_team_is_a_move() -> None:
    changes = [
        *_destination("team", TEAM_X, [A], [A, B]),
        *_destination("rest", TEAM_Y, [{"anything-but": [A]}], [{"anything-but": [A, B]}]),
    ]
    assert account_lines(*changes) == [
        "- 📝 **Account moved**: findings of account 222222222222 move from HTTPS webhook at y.example.com to "
        "HTTPS webhook at x.example.com."
    ]


def test_nothing_is_said_when_no_account_list_changes() -> None:
    assert account_lines(*_destination("x", TEAM_X, [A], [A])) == []


def test_a_channel_added_for_one_account_says_whose_findings_it_gets() -> None:
    created = [
        _change(address, ["create"], None, change["change"]["after"])
        for change in _destination("x", TEAM_X, [A], [A])
        for address in [change["address"]]
    ]
    added = [line for line in _impacts(*created) if "Channel added" in line]
    assert added == [
        "- 🔔 **Channel added**: HTTPS webhook at x.example.com is added: it gets MEDIUM, HIGH and CRITICAL findings "
        "(severity 4.0 to 10.0), sample findings too, of account 111111111111 only; nothing arrives until its owner "
        "confirms the subscription (SNS posts a SubscribeURL to it)."
    ]

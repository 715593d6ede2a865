"""plan-summary on channels: each destination besides mail (chat, webhooks, queues, User Notifications) and
the severities it gets before and after, in words; hand-made plans shaped like `terraform show -json`, with
ARNs known before the change and linked by the configuration's references after it."""

from __future__ import annotations

import json

from guardduty_alerts_review.plan_summary import StackChanges, render_markdown, summarize

ACCOUNT = "123456789012"
NOT_SAMPLE = {"additionalInfo": {"sample": [False, {"exists": False}]}}


def _pattern(numeric: list, *, sample: bool | None = None) -> str:
    detail: dict = {"severity": [{"numeric": numeric}]}
    if sample is not None:
        detail["service"] = {"additionalInfo": {"sample": [True]}} if sample else NOT_SAMPLE
    return json.dumps({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": detail})


def _rule(name: str, numeric: list, *, sample: bool | None = None) -> dict:
    return {"name": name, "event_pattern": _pattern(numeric, sample=sample), "state": "ENABLED"}


def _topic_arn(name: str) -> str:
    return f"arn:aws:sns:us-east-1:{ACCOUNT}:{name}"


def _change(
    address: str, actions: list[str], before: dict | None, after: dict | None, unknown: dict | None = None
) -> dict:
    return {
        "address": address,
        "mode": "managed",
        "type": address.split(".")[0],
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": unknown or {}},
    }


def _same(address: str, values: dict) -> dict:
    return _change(address, ["no-op"], values, values)


def _mail(threshold: list) -> list[dict]:
    """The stack's own mail: one rule, its target on the mail topic, one address (unchanged)."""
    return [
        _same("aws_sns_topic.mail", {"name": "gd", "arn": _topic_arn("gd")}),
        _same("aws_cloudwatch_event_rule.mail", _rule("gd-findings", threshold)),
        _same("aws_cloudwatch_event_target.mail", {"rule": "gd-findings", "arn": _topic_arn("gd")}),
        _same(
            "aws_sns_topic_subscription.soc",
            {"protocol": "email", "endpoint": "soc@example.com", "topic_arn": _topic_arn("gd")},
        ),
    ]


def _plan(*changes: dict, references: dict[str, dict[str, list[str]]] | None = None) -> dict:
    resources = [
        {"address": address, "expressions": {key: {"references": refs} for key, refs in attributes.items()}}
        for address, attributes in (references or {}).items()
    ]
    return {
        "format_version": "1.2",
        "planned_values": {},
        "resource_changes": list(changes),
        "configuration": {"root_module": {"resources": resources}},
    }


def _impacts(plan: dict) -> list[str]:
    return [impact.markdown() for impact in summarize(StackChanges(name="s", plan=plan, source="s.json")).impacts]


SLACK = {
    "slack_channel_id": "C0123ABCDE",
    "slack_team_id": "T0123ABCDE",
    "sns_topic_arns": [_topic_arn("gd-raw-medium")],
}


def test_a_slack_channel_whose_threshold_rises_will_no_longer_get_medium_findings() -> None:
    plan = _plan(
        *_mail([">=", 4]),
        _same("aws_sns_topic.raw", {"name": "gd-raw-medium", "arn": _topic_arn("gd-raw-medium")}),
        _change("aws_cloudwatch_event_rule.raw", ["update"], _rule("gd-raw", [">=", 4]), _rule("gd-raw", [">=", 7])),
        _same("aws_cloudwatch_event_target.raw", {"rule": "gd-raw", "arn": _topic_arn("gd-raw-medium")}),
        _same("aws_chatbot_slack_channel_configuration.slack", SLACK),
    )
    # The stack's mail is untouched: only the Slack channel's line, no "threshold raised".
    assert _impacts(plan) == [
        "- ⚠️ **Channel gets fewer findings**: Slack channel C0123ABCDE (workspace T0123ABCDE) will no longer get "
        "MEDIUM findings (severity 4.0 to below 7.0); it still gets HIGH and CRITICAL findings (severity 7.0 to "
        "10.0)."
    ]
    summary = summarize(StackChanges(name="s", plan=plan, source="s.json"))
    assert summary.after_state == (
        "mails MEDIUM, HIGH and CRITICAL findings (severity 4.0 to 10.0) to soc@example.com; Slack channel "
        "C0123ABCDE (workspace T0123ABCDE) gets HIGH and CRITICAL findings (severity 7.0 to 10.0), sample findings "
        "too"
    )


def test_an_https_webhook_added_with_arns_known_only_after_apply_is_linked_by_references() -> None:
    unknown = {"arn": True}
    plan = _plan(
        *_mail([">=", 4]),
        _change("aws_sns_topic.raw", ["create"], None, {"name": "gd-raw-high"}, unknown),
        _change("aws_cloudwatch_event_rule.raw", ["create"], None, _rule("gd-raw-high", [">=", 7]), unknown),
        _change("aws_cloudwatch_event_target.raw", ["create"], None, {"rule": "gd-raw-high"}, unknown),
        _change(
            "aws_sns_topic_subscription.pagerduty",
            ["create"],
            None,
            {"protocol": "https", "endpoint": "https://events.pagerduty.com/integration/SECRETKEY/enqueue"},
            {"arn": True, "topic_arn": True},
        ),
        references={
            "aws_cloudwatch_event_target.raw": {"arn": ["aws_sns_topic.raw.arn", "aws_sns_topic.raw"]},
            "aws_sns_topic_subscription.pagerduty": {"topic_arn": ["aws_sns_topic.raw.arn", "aws_sns_topic.raw"]},
        },
    )
    impacts = _impacts(plan)
    assert impacts == [
        "- 🔔 **Channel added**: HTTPS webhook at events.pagerduty.com is added: it gets HIGH and CRITICAL findings "
        "(severity 7.0 to 10.0), sample findings too; nothing arrives until its owner confirms the subscription (SNS "
        "posts a SubscribeURL to it)."
    ]
    markdown = render_markdown([StackChanges(name="s", plan=plan, source="s.json")])
    assert "SECRETKEY" not in markdown  # the path of a webhook URL may hold its integration key


def test_removing_a_queue_and_its_topic_says_the_queue_stops_getting_findings_not_that_alerts_stop() -> None:
    raw = {"name": "gd-raw-medium", "arn": _topic_arn("gd-raw-medium")}
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:siem-intake"
    plan = _plan(
        *_mail([">=", 4]),
        _change("aws_sns_topic.raw", ["delete"], raw, None),
        _change("aws_cloudwatch_event_rule.raw", ["delete"], _rule("gd-raw", [">=", 4]), None),
        _change("aws_cloudwatch_event_target.raw", ["delete"], {"rule": "gd-raw", "arn": raw["arn"]}, None),
        _change(
            "aws_sns_topic_subscription.sqs",
            ["delete"],
            {"protocol": "sqs", "endpoint": queue, "topic_arn": raw["arn"]},
            None,
        ),
    )
    assert _impacts(plan) == [
        "- ⚠️ **Channel removed**: SQS queue siem-intake (account 123456789012) will no longer get findings; until "
        "now it got MEDIUM, HIGH and CRITICAL findings (severity 4.0 to 10.0), sample findings too."
    ]
    # With the config's names (plan-summary --config) the queue's account is named in words.
    (summary,) = [summarize(StackChanges(name="s", plan=plan, source="s.json"), {ACCOUNT: "siem"})]
    assert [impact.markdown() for impact in summary.impacts] == [
        "- ⚠️ **Channel removed**: SQS queue siem-intake of account siem (123456789012) will no longer get findings; "
        "until now it got MEDIUM, HIGH and CRITICAL findings (severity 4.0 to 10.0), sample findings too."
    ]


def test_a_chat_webhook_on_the_band_rules_is_named_from_its_api_destination_and_never_by_its_url() -> None:
    destination = "aws_cloudwatch_event_api_destination.slack"
    bands = {"medium": [">=", 4, "<", 7], "high": [">=", 7, "<", 9], "critical": [">=", 9]}
    changes = [
        _same("aws_sns_topic.mail", {"name": "gd", "arn": _topic_arn("gd")}),
        _same(
            "aws_sns_topic_subscription.soc",
            {"protocol": "email", "endpoint": "soc@example.com", "topic_arn": _topic_arn("gd")},
        ),
        _change(
            destination,
            ["create"],
            None,
            {
                "name": "gd-slack-webhook",
                "description": "GuardDuty findings as chat messages (Slack incoming webhook (URL in SSM parameter "
                "/security/slack-webhook))",
                "invocation_endpoint": "https://hooks.slack.com/services/T0/B0/SECRET",
            },
            {"arn": True},
        ),
    ]
    references = {}
    for band, numeric in bands.items():
        changes.append(_same(f"aws_cloudwatch_event_rule.{band}", _rule(f"gd-{band}", numeric, sample=False)))
        changes.append(_same(f"aws_cloudwatch_event_target.{band}", {"rule": f"gd-{band}", "arn": _topic_arn("gd")}))
        if band != "medium":
            address = f"aws_cloudwatch_event_target.{band}-slack"
            changes.append(_change(address, ["create"], None, {"rule": f"gd-{band}"}, {"arn": True}))
            references[address] = {"arn": [f"{destination}.arn", destination]}
    plan = _plan(*changes, references=references)
    assert _impacts(plan) == [
        "- 🔔 **Channel added**: Slack incoming webhook (URL in SSM parameter /security/slack-webhook) is added: it "
        "gets HIGH and CRITICAL findings (severity 7.0 to 10.0)."
    ]
    assert "SECRET" not in render_markdown([StackChanges(name="s", plan=plan, source="s.json")])


def test_user_notifications_contacts_get_the_severities_of_their_event_rule() -> None:
    configuration = "aws_notifications_notification_configuration.un"
    contact = "aws_notificationscontacts_email_contact.lead"
    association = "aws_notifications_channel_association.lead"
    rule = "aws_notifications_event_rule.un"
    pattern = json.dumps({"detail": {"severity": [{"numeric": [">=", 7]}]}})
    plan = _plan(
        *_mail([">=", 4]),
        _change(configuration, ["create"], None, {"name": "gd", "aggregation_duration": "SHORT"}, {"arn": True}),
        _change(
            rule,
            ["create"],
            None,
            {"source": "aws.guardduty", "event_type": "GuardDuty Finding", "event_pattern": pattern},
            {"arn": True, "notification_configuration_arn": True},
        ),
        _change(contact, ["create"], None, {"email_address": "lead@example.com", "name": "lead"}, {"arn": True}),
        _change(association, ["create"], None, {}, {"arn": True, "notification_configuration_arn": True}),
        references={
            rule: {"notification_configuration_arn": [f"{configuration}.arn", configuration]},
            association: {"arn": [f"{contact}.arn", contact], "notification_configuration_arn": [configuration]},
        },
    )
    assert _impacts(plan) == [
        "- 🔔 **Channel added**: AWS User Notifications mail to lead@example.com is added: it gets HIGH and CRITICAL "
        "findings (severity 7.0 to 10.0), sample findings too; nothing arrives until they accept the activation mail "
        "AWS sends them."
    ]


def test_an_address_with_its_own_threshold_is_told_what_it_gets() -> None:
    critical_up = {"name": "gd-critical-up", "arn": _topic_arn("gd-critical-up")}
    plan = _plan(
        *_mail([">=", 4]),
        _same("aws_sns_topic.critical", critical_up),
        _change(
            "aws_cloudwatch_event_rule.critical",
            ["update"],
            _rule("gd-critical-up", [">=", 9]),
            _rule("gd-critical-up", [">=", 7]),
        ),
        _same("aws_cloudwatch_event_target.critical", {"rule": "gd-critical-up", "arn": critical_up["arn"]}),
        _same(
            "aws_sns_topic_subscription.ciso",
            {"protocol": "email", "endpoint": "ciso@example.com", "topic_arn": critical_up["arn"]},
        ),
    )
    assert _impacts(plan) == [
        "- 🔔 **Recipient gets more findings**: ciso@example.com will now be mailed HIGH findings (severity 7.0 to "
        "below 9.0) too."
    ]


def test_a_plan_without_channels_has_no_channel_lines() -> None:
    plan = _plan(
        _same("aws_sns_topic.mail", {"name": "gd", "arn": _topic_arn("gd")}),
        _change("aws_cloudwatch_event_rule.mail", ["update"], _rule("gd", [">=", 4]), _rule("gd", [">=", 7])),
        _same("aws_cloudwatch_event_target.mail", {"rule": "gd", "arn": _topic_arn("gd")}),
        _same(
            "aws_sns_topic_subscription.soc",
            {"protocol": "email", "endpoint": "soc@example.com", "topic_arn": _topic_arn("gd")},
        ),
    )
    assert _impacts(plan) == [
        "- ⚠️ **Threshold raised from MEDIUM (4.0) to HIGH (7.0)**: MEDIUM findings (severity 4.0 to below 7.0) will "
        "no longer be mailed to anyone; HIGH and CRITICAL findings (severity 7.0 to 10.0) are still mailed."
    ]


def test_the_raw_plan_in_the_comment_hides_the_path_of_an_https_webhook() -> None:
    endpoint = "https://events.pagerduty.com/integration/SECRETKEY/enqueue"
    plan = _plan(
        _change(
            "aws_sns_topic_subscription.pagerduty",
            ["create"],
            None,
            {"protocol": "https", "endpoint": endpoint},
            {"arn": True, "topic_arn": True},
        )
    )
    text = f'+ resource "aws_sns_topic_subscription" "pagerduty" {{\n    + endpoint = "{endpoint}"\n  }}\n'
    markdown = render_markdown([StackChanges(name="s", plan=plan, source="s.json", text=text)])
    assert "SECRETKEY" not in markdown
    assert '+ endpoint = "https://events.pagerduty.com/(path hidden)"' in markdown

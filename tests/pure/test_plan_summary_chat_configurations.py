"""plan-summary when chat configurations become one per account: upgrading a deployed channels example from
one configuration per regional stack (today's output) to one in the account's chat home stack, moving the home
stack, renaming, and re-creating; hand-made plans shaped like `terraform show -json`.

AWS allows one configuration per Slack channel per account (cloudcomponents/cdk-constructs#92,
aws-cloudformation/cloudformation-coverage-roadmap#1155); the chat update APIs take no configuration name
(botocore's chatbot model: UpdateSlackChannelConfiguration has no ConfigurationName member) and provider 5.100
does not mark configuration_name as forcing replacement (internal/service/chatbot/*_channel_configuration.go).
"""

from __future__ import annotations

import json

from guardduty_alerts_review.plan_summary import StackChanges, summarize

ACCOUNT = "123456789012"
MAIL = f"arn:aws:sns:us-east-1:{ACCOUNT}:gd"
US, EU = (f"arn:aws:sns:{region}:{ACCOUNT}:gd-raw-high" for region in ("us-east-1", "eu-west-1"))
SLACK = {
    "configuration_name": "gd-us-east-1-slack-c0123abcde",
    "slack_channel_id": "C0123ABCDE",
    "slack_team_id": "T0123ABCDE",
}


def _rule(name: str, numeric: list) -> dict:
    pattern = {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": numeric}]},
    }
    return {"name": name, "event_pattern": json.dumps(pattern), "state": "ENABLED"}


def _change(
    address: str, actions: list[str], before: dict | None, after: dict | None, unknown: dict | None = None
) -> dict:
    change = {"actions": actions, "before": before, "after": after, "after_unknown": unknown or {}}
    return {"address": address, "mode": "managed", "type": address.split(".")[0], "change": change}


def _same(address: str, values: dict) -> dict:
    return _change(address, ["no-op"], values, values)


def _mail(numeric: list) -> list[dict]:
    """The stack's own mail, unchanged: its topic, one rule and target, one address."""
    return [
        _same("aws_sns_topic.mail", {"name": "gd", "arn": MAIL}),
        _same("aws_cloudwatch_event_rule.mail", _rule("gd-findings", numeric)),
        _same("aws_cloudwatch_event_target.mail", {"rule": "gd-findings", "arn": MAIL}),
        _same(
            "aws_sns_topic_subscription.soc", {"protocol": "email", "endpoint": "soc@example.com", "topic_arn": MAIL}
        ),
    ]


def _plan(*changes: dict) -> dict:
    """A plan shaped like `terraform show -json` (ARNs known, so no configuration references are needed)."""
    return {
        "format_version": "1.2",
        "planned_values": {},
        "resource_changes": list(changes),
        "configuration": {"root_module": {"resources": []}},
    }


def _impacts(plan: dict) -> list[str]:
    return [impact.markdown() for impact in summarize(StackChanges(name="s", plan=plan, source="s.json")).impacts]


def _raw(arn: str) -> list[dict]:
    """A raw group that stays: its topic, rule and target."""
    return [
        _same("aws_sns_topic.raw", {"name": "gd-raw-high", "arn": arn}),
        _same("aws_cloudwatch_event_rule.raw", _rule("gd-raw-high", [">=", 7])),
        _same("aws_cloudwatch_event_target.raw", {"rule": "gd-raw-high", "arn": arn}),
    ]


def test_upgrade_the_other_regions_configuration_moves_to_the_home_stack_in_words() -> None:
    # eu-west-1 as deployed today: its own configuration of the Slack channel, on its own topic. After the
    # upgrade the stack keeps the topic and rule, and the configuration, role and guardrail go.
    eu_slack = {**SLACK, "configuration_name": "gd-eu-west-1-slack-c0123abcde", "sns_topic_arns": [EU]}
    plan = _plan(
        *_mail([">=", 4]),
        *_raw(EU),
        _change("aws_chatbot_slack_channel_configuration.slack", ["delete"], eu_slack, None),
        _change("aws_iam_role.chat", ["delete"], {"name": "gd-chat-eu-west-1"}, None),
        _change("aws_iam_policy.guardrail", ["delete"], {"name": "gd-chat-guardrail-eu-west-1"}, None),
    )
    # Not "Channel removed": the channel keeps getting this region's findings through the home stack.
    assert _impacts(plan) == [
        "- 📝 **Chat configuration moves to one per account**: the Slack configuration for C0123ABCDE (workspace "
        "T0123ABCDE) is deleted from this stack: AWS allows one configuration per channel in an account, so the "
        "account's chat home stack holds it and subscribes to this stack's topic gd-raw-high in eu-west-1 by ARN. "
        "This region's findings reach the channel again once that stack is applied: apply this stack first, then "
        "the home stack (`python main.py stacks` lists the order); nothing else to do."
    ]


def test_upgrade_the_home_stacks_configuration_subscribes_to_the_other_regions_in_place() -> None:
    before = {**SLACK, "sns_topic_arns": [US]}
    after = {**SLACK, "sns_topic_arns": [EU, US]}
    plan = _plan(
        *_mail([">=", 4]),
        *_raw(US),
        _change("aws_chatbot_slack_channel_configuration.slack", ["update"], before, after),
    )
    # Updated in place (same name: nothing is destroyed), and the reviewer reads which region it now covers.
    assert _impacts(plan) == [
        "- 🔔 **Chat configuration subscribes to more regions**: the Slack configuration for C0123ABCDE "
        "(workspace T0123ABCDE) now also gets the findings of gd-raw-high in eu-west-1: one configuration per "
        "channel per account, held by this stack. Apply the stacks of those regions first (`python main.py "
        "stacks` lists the order); if one of them still holds its own configuration of this channel, the channel "
        "gets those findings twice until that stack is applied."
    ]


def test_moving_the_home_stack_says_the_new_home_must_wait_for_the_old_one() -> None:
    # us-east-1 added to a config of eu-west-1 and us-west-2: the home moves from eu-west-1 to us-east-1.
    us_west = f"arn:aws:sns:us-west-2:{ACCOUNT}:gd-raw-high"
    created = {**SLACK, "sns_topic_arns": [EU, US, us_west]}
    plan = _plan(
        *_mail([">=", 4]),
        *_raw(US),
        _change("aws_chatbot_slack_channel_configuration.slack", ["create"], None, created, {"arn": True}),
    )
    impacts = _impacts(plan)
    assert (
        "- 📝 **Chat configuration for the whole account**: the Slack configuration for C0123ABCDE (workspace "
        "T0123ABCDE) is created in this stack for the account and subscribes to gd-raw-high in eu-west-1 and "
        "gd-raw-high in us-west-2 too. If another stack of the account still holds a configuration of this "
        "channel, apply that stack first (it deletes it), or AWS refuses this one as already configured "
        "(`python main.py stacks` lists the order)."
    ) in impacts
    assert impacts[0].startswith("- 🔔 **Channel added**: Slack channel C0123ABCDE (workspace T0123ABCDE) is added")


def test_a_configuration_removed_with_its_topic_still_says_the_channel_stops() -> None:
    gone = {"name": "gd-raw-high", "arn": EU}
    plan = _plan(
        *_mail([">=", 4]),
        _change("aws_sns_topic.raw", ["delete"], gone, None),
        _change("aws_cloudwatch_event_rule.raw", ["delete"], _rule("gd-raw-high", [">=", 7]), None),
        _change("aws_cloudwatch_event_target.raw", ["delete"], {"rule": "gd-raw-high", "arn": EU}, None),
        _change("aws_chatbot_slack_channel_configuration.slack", ["delete"], {**SLACK, "sns_topic_arns": [EU]}, None),
    )
    impacts = _impacts(plan)
    assert any(line.startswith("- ⚠️ **Channel removed**: Slack channel C0123ABCDE") for line in impacts)
    assert not any("moves to one per account" in line for line in impacts)


def test_a_rename_is_said_to_never_take_and_how_to_do_it() -> None:
    before = {**SLACK, "configuration_name": "gd-old", "sns_topic_arns": [US]}
    after = {**SLACK, "configuration_name": "gd-new", "sns_topic_arns": [US]}
    plan = _plan(*_mail([">=", 4]), *_raw(US), _change(SLACK_ADDRESS, ["update"], before, after))
    assert _impacts(plan) == [
        "- 📝 **Chat configuration cannot be renamed in place**: the Slack configuration for C0123ABCDE (workspace "
        "T0123ABCDE) changes its name from gd-old to gd-new, which AWS's update API cannot do: this plan will show "
        "the change again after every apply. To rename it, re-create it (`terraform apply "
        f"-replace={SLACK_ADDRESS}`); the channel gets nothing in between."
    ]


def test_a_re_created_teams_configuration_is_a_loss_in_words() -> None:
    teams = {
        "configuration_name": "gd-us-east-1-teams-abc",
        "channel_id": "19:abc@thread.tacv2",
        "team_id": "00000000-0000-0000-0000-000000000001",
        "sns_topic_arns": [US],
    }
    plan = _plan(
        *_mail([">=", 4]),
        *_raw(US),
        _change("aws_chatbot_teams_channel_configuration.teams", ["delete", "create"], teams, teams),
    )
    assert (
        "- ⚠️ **Chat configuration re-created**: the Teams configuration for 19:abc@thread.tacv2 (team "
        "00000000-0000-0000-0000-000000000001) is deleted and created again: the channel gets nothing in between, "
        "and the new one must be created after the old one is gone (AWS refuses a second configuration of the "
        "channel)."
    ) in _impacts(plan)


SLACK_ADDRESS = "aws_chatbot_slack_channel_configuration.slack"

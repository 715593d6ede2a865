"""Chat configurations per account (construct level): the `chat_topic_regions` prop, which puts an account's
Slack and Teams configurations in one of its regional stacks, subscribed to the raw topic of every region that
feeds them; the default (one stack, its own topics, as before); and the rejections with their exact messages.

AWS allows one configuration per Slack channel in an account ("Slack channel ... has already been configured
for AWS account": cloudcomponents/cdk-constructs#92, hashicorp/terraform-provider-awscc#1011,
aws-cloudformation/cloudformation-coverage-roadmap#1155), and provider 5.100 one Teams configuration per team
(internal/service/chatbot/teams_channel_configuration.go looks one up by team_id and asserts a single result;
hashicorp/terraform-provider-aws#38943, #45081).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # aliased: pytest would try to collect a class named Test*
from cdktf_cdktf_provider_aws.provider import AwsProvider
from guardduty_alerts import GuardDutyAlerts, InvalidPropsError, SlackChannel, TeamsChannel, TeamsWebhookChannel
from helpers import RECIPIENTS

SLACK = SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE", severity_threshold="HIGH")
TEAMS = TeamsChannel(
    tenant_id="00000000-0000-0000-0000-000000000000",
    team_id="00000000-0000-0000-0000-000000000001",
    channel_id="19:abc@thread.tacv2",
)
CHAT_KINDS = ("aws_chatbot_slack_channel_configuration", "aws_chatbot_teams_channel_configuration")


def synth(
    channels: Sequence[object], *, region: str = "us-east-1", chat: bool = True, **props: Any
) -> tuple[str, dict, GuardDutyAlerts]:
    """A stack with the AWS provider in `region` (and a chat provider, alias chat, in us-east-2) and
    GuardDutyAlerts with the recipients, `channels` and `props`."""
    stack = TerraformStack(CdktfTesting.app(), "test")
    AwsProvider(stack, "aws", region=region)
    if chat:
        props["chat_provider"] = AwsProvider(stack, "chat", region="us-east-2", alias="chat")
    alerts = GuardDutyAlerts(stack, "alerts", recipients=RECIPIENTS, channels=list(channels), **props)
    text = CdktfTesting.synth(stack)
    return text, json.loads(text), alerts


def _logical_id(key: str) -> str:
    # Logical IDs are <construct path>_<hash>: alerts_chat-slack-c0123abcde_39E53B66.
    return key.removeprefix("alerts_").rsplit("_", 1)[0]


def by_id(document: dict, kind: str) -> dict[str, dict]:
    """Resources of `kind` keyed by their construct ID inside the construct ("chat-slack-c0123abcde")."""
    return {_logical_id(key): value for key, value in document["resource"].get(kind, {}).items()}


def ref(document: dict, kind: str, construct_id: str, attribute: str) -> str:
    """The interpolation Terraform receives for `attribute` of the resource with that construct ID."""
    (key,) = [k for k in document["resource"][kind] if _logical_id(k) == construct_id]
    return "${" + f"{kind}.{key}.{attribute}" + "}"


def test_default_subscribes_each_configuration_to_this_stacks_topic_only() -> None:
    text, doc, alerts = synth([SLACK, TEAMS])
    slack = by_id(doc, CHAT_KINDS[0])["chat-slack-c0123abcde"]
    assert slack["sns_topic_arns"] == [ref(doc, "aws_sns_topic", "topic-raw-high", "arn")]
    assert slack["configuration_name"] == "guardduty-alerts-us-east-1-slack-c0123abcde"
    assert alerts.chat_topic_regions is None
    # The stack's own region alone is the same as the default: byte-identical JSON.
    again, _, _ = synth([SLACK, TEAMS], chat_topic_regions=["us-east-1"])
    assert again == text


def test_home_stack_subscribes_each_configuration_to_every_listed_regions_topic() -> None:
    _, doc, alerts = synth([SLACK, TEAMS], chat_topic_regions=["us-west-2", "us-east-1", "eu-west-1"])
    owner = ref(doc, "aws_sns_topic", "topic-raw-high", "owner")
    slack = by_id(doc, CHAT_KINDS[0])["chat-slack-c0123abcde"]
    # Sorted by region; this stack's topic by reference (created first), the others by their ARN in this
    # stack's account (the topic's owner), with the same name: no other stack's state is read.
    assert slack["sns_topic_arns"] == [
        f"arn:aws:sns:eu-west-1:{owner}:guardduty-alerts-raw-high",
        ref(doc, "aws_sns_topic", "topic-raw-high", "arn"),
        f"arn:aws:sns:us-west-2:{owner}:guardduty-alerts-raw-high",
    ]
    teams = by_id(doc, CHAT_KINDS[1])["chat-teams-abc"]
    medium_owner = ref(doc, "aws_sns_topic", "topic-raw-medium", "owner")
    assert teams["sns_topic_arns"] == [
        f"arn:aws:sns:eu-west-1:{medium_owner}:guardduty-alerts-raw-medium",
        ref(doc, "aws_sns_topic", "topic-raw-medium", "arn"),
        f"arn:aws:sns:us-west-2:{medium_owner}:guardduty-alerts-raw-medium",
    ]
    # The name stays the one it had (the update APIs cannot rename a configuration; see the README).
    assert slack["configuration_name"] == "guardduty-alerts-us-east-1-slack-c0123abcde"
    assert alerts.chat_topic_regions == ("eu-west-1", "us-east-1", "us-west-2")


def test_other_stacks_keep_rule_and_topic_and_build_no_configuration_role_or_guardrail() -> None:
    # No chat_provider either: without configurations the stack needs no chat API region.
    _, doc, alerts = synth([SLACK, TEAMS], region="eu-central-1", chat=False, chat_topic_regions=[])
    for kind in CHAT_KINDS:
        assert kind not in doc["resource"]
    assert not [name for name in by_id(doc, "aws_iam_role") if name.startswith("chat")]
    assert "aws_iam_policy" not in doc["resource"]
    assert set(alerts.raw_groups) == {"raw-high", "raw-medium"}
    assert all(not group.chat_configurations for group in alerts.raw_groups.values())
    topics = {t["name"] for t in doc["resource"]["aws_sns_topic"].values()}
    assert topics >= {"guardduty-alerts-raw-high", "guardduty-alerts-raw-medium"}
    assert {"rule-raw-high", "rule-raw-medium"} <= set(by_id(doc, "aws_cloudwatch_event_rule"))


@pytest.mark.parametrize(
    ("props", "problems"),
    [
        pytest.param(
            {"chat_topic_regions": "us-east-1"},
            ["chat_topic_regions: 'us-east-1' is not a list; allowed: a list of AWS region names, or None"],
            id="not-a-list",
        ),
        pytest.param(
            {"chat_topic_regions": ["us-east-1", "moon-1", "us-east-1"]},
            [
                "chat_topic_regions[1]: 'moon-1' is not an AWS commercial region; allowed: a region name such as "
                "eu-west-1",
                "chat_topic_regions[2]: 'us-east-1' is listed twice; allowed: each region once",
            ],
            id="unknown-and-twice",
        ),
        pytest.param(
            {"chat_topic_regions": ["eu-west-1", "us-west-2"]},
            [
                "chat_topic_regions: ['eu-west-1', 'us-west-2'] leaves out this stack's region us-east-1; allowed: "
                "the account's regions whose topics the chat configurations subscribe to, this stack's among them, "
                "or an empty list when another stack of the account holds the configurations"
            ],
            id="own-region-left-out",
        ),
        pytest.param(
            {
                "channels": [
                    TEAMS,
                    TeamsChannel(
                        tenant_id=TEAMS.tenant_id,
                        team_id=TEAMS.team_id.upper(),
                        channel_id="19:other@thread.tacv2",
                        severity_threshold="CRITICAL",
                    ),
                ]
            },
            [
                "channels[1].team_id: team 00000000-0000-0000-0000-000000000001 already has a Teams channel in "
                "channels[0]; allowed: one Teams channel per team in an account, because the AWS provider (5.100) "
                "finds a Teams configuration by its team_id and expects exactly one "
                "(hashicorp/terraform-provider-aws#38943): a second one times out on create and drops out of the "
                "state (use a channel in another team, or a teams_webhook channel)"
            ],
            id="two-teams-channels-in-one-team",
        ),
        pytest.param(
            {"channels": [SLACK, SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE", name="again")]},
            [
                "channels[1]: Slack channel C0123ABCDE (workspace T0123ABCDE) is the same destination as "
                "channels[0]; allowed: each destination once (give one channel the addresses or the threshold it "
                "needs)"
            ],
            id="one-slack-channel-under-two-names",
        ),
        pytest.param(
            {"channels": [TEAMS, dataclasses.replace(TEAMS, name="again", severity_threshold="HIGH")]},
            [
                "channels[1]: Teams channel 19:abc@thread.tacv2 (team 00000000-0000-0000-0000-000000000001) is the "
                "same destination as channels[0]; allowed: each destination once (give one channel the addresses "
                "or the threshold it needs)"
            ],
            id="one-teams-channel-under-two-names",
        ),
    ],
)
def test_rejects_chat_settings_aws_or_the_provider_would_refuse(props: dict, problems: list[str]) -> None:
    channels = props.pop("channels", [SLACK, TEAMS])
    with pytest.raises(InvalidPropsError) as caught:
        synth(channels, **props)
    assert caught.value.problems == tuple(problems)


def test_a_teams_webhook_in_the_same_team_is_not_a_teams_configuration() -> None:
    # The way out the message offers: webhooks are API destinations, not chat configurations.
    _, doc, _ = synth([TEAMS, TeamsWebhookChannel(url_ssm_parameter="/security/teams-webhook")])
    assert len(doc["resource"][CHAT_KINDS[1]]) == 1

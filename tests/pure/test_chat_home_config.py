"""Which stack of an account holds its chat configurations (the chat home), the regions it subscribes to, the
deployment order that lets the first apply work from empty, and the app-level rejection of two Teams channels
in one team (provider 5.100: hashicorp/terraform-provider-aws#38943)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from guardduty_alerts.errors import ConfigError
from guardduty_alerts_app.cli import main
from guardduty_alerts_app.config import load_config, parse_config
from guardduty_alerts_app.planning import deployment_order
from helpers import FIXTURES

SLACK = {"kind": "slack", "workspace_id": "T0123ABCDE", "channel_id": "C0123ABCDE"}
TEAMS = {
    "kind": "teams",
    "tenant_id": "00000000-0000-0000-0000-000000000000",
    "team_id": "00000000-0000-0000-0000-000000000001",
    "channel_id": "19:abc@thread.tacv2",
}


@pytest.mark.parametrize(
    ("extra", "home", "topic_regions"),
    [
        # As user_notifications' home: us-east-1 when configured ...
        ({"regions": ["eu-west-1", "us-east-1", "ap-south-1"]}, "us-east-1", ("ap-south-1", "eu-west-1", "us-east-1")),
        # ... else the first configured region alphabetically ...
        ({"regions": ["us-west-2", "eu-west-1"]}, "eu-west-1", ("eu-west-1", "us-west-2")),
        # ... and with a central inbox its home region, the only one that feeds it.
        (
            {"regions": ["us-east-1", "eu-west-1"], "central_inbox": {"home_region": "eu-west-1"}},
            "eu-west-1",
            ("eu-west-1",),
        ),
    ],
)
def test_chat_home_is_chosen_like_user_notifications_home(extra: dict, home: str, topic_regions: tuple) -> None:
    config = parse_config({"recipients": ["sec@example.com"], "channels": [SLACK], **extra})
    assert config.chat_home_region == home
    assert config.chat_topic_regions(home) == topic_regions
    for region in config.regions:
        if region != home:
            assert config.chat_topic_regions(region) == ()


def test_without_slack_or_teams_there_is_no_chat_home() -> None:
    config = parse_config(
        {"regions": ["us-east-1", "eu-west-1"], "channels": [{"kind": "email", "addresses": ["a@example.com"]}]}
    )
    assert config.chat_home_region is None
    assert config.chat_topic_regions("eu-west-1") is None


def test_stacks_command_puts_the_chat_home_a_step_after_the_accounts_other_regions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The home stack's configurations subscribe to the other regions' topics by ARN: those stacks first.
    assert main(["stacks", "--config", str(FIXTURES / "configs" / "chat-three-regions.yaml")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1  chat-three-regions-eu-west-1  (credentials' account)  eu-west-1  alerts",
        "1  chat-three-regions-us-west-2  (credentials' account)  us-west-2  alerts",
        "2  chat-three-regions-ap-southeast-2  (credentials' account)  ap-southeast-2  alerts; holds the account's "
        "chat configurations, subscribed to the topics of eu-west-1, us-west-2 too (apply those first)",
    ]


def test_with_a_central_inbox_the_chat_home_needs_no_later_step() -> None:
    rows = deployment_order(load_config(FIXTURES / "configs" / "chat-central-inbox.yaml"))
    homes = [(step, plan.name) for step, plan, what in rows if "chat configurations" in what]
    assert homes == [(1, "chat-inbox-sandbox-us-west-2"), (1, "chat-inbox-workloads-eu-west-1")]
    assert {step for step, _, _ in rows} == {1}


def test_rejects_two_teams_channels_in_one_team_in_the_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {
        "regions": ["us-east-1", "eu-west-1"],
        "channels": [TEAMS, {**TEAMS, "channel_id": "19:other@thread.tacv2", "severity_threshold": "HIGH"}],
    }
    message = (
        "channels[1].team_id: team 00000000-0000-0000-0000-000000000001 already has a Teams channel in "
        "channels[0]; allowed: one Teams channel per team in an account, because the AWS provider (5.100) finds a "
        "Teams configuration by its team_id and expects exactly one (hashicorp/terraform-provider-aws#38943): a "
        "second one times out on create and drops out of the state (use a channel in another team, or a "
        "teams_webhook channel)"
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    assert list(caught.value.problems) == [message]
    path = tmp_path / "teams.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["stacks", "--config", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_each_account_may_use_the_same_slack_channel() -> None:
    # One configuration per Slack channel per account: two accounts may each have one.
    config = load_config(FIXTURES / "configs" / "chat-central-inbox.yaml")
    assert [(a.name, a.config.chat_home_region) for a in config.accounts] == [
        ("sandbox", "us-west-2"),
        ("workloads", "eu-west-1"),
    ]

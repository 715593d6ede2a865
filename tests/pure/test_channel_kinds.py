"""Each channel kind carries its behaviour (issue 20): the hooks its flags promise are there, the routes are
the ones the construct has always built, and the registry maps the config file's kinds to their classes."""

from __future__ import annotations

import pytest
from guardduty_alerts.channel_base import ChannelBase, ChannelKind, Placement, Route
from guardduty_alerts.channel_kinds import CHANNEL_KINDS, is_channel, kind_class
from guardduty_alerts.channels import (
    EmailChannel,
    SlackChannel,
    SlackWebhookChannel,
    SqsChannel,
    TeamsChannel,
    TeamsWebhookChannel,
    UserNotificationsChannel,
    WebhookChannel,
)

TEAM = "00000000-0000-0000-0000-000000000001"
EXAMPLES: dict[ChannelKind, ChannelBase] = {
    ChannelKind.EMAIL: EmailChannel(addresses=("sec@example.com",)),
    ChannelKind.SLACK: SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE"),
    ChannelKind.TEAMS: TeamsChannel(tenant_id=TEAM, team_id=TEAM, channel_id="19:abc@thread.tacv2"),
    ChannelKind.SLACK_WEBHOOK: SlackWebhookChannel(url_ssm_parameter="/security/slack-webhook"),
    ChannelKind.TEAMS_WEBHOOK: TeamsWebhookChannel(url_env_var="TF_VAR_teams_url"),
    ChannelKind.WEBHOOK: WebhookChannel(url="https://events.pagerduty.com/integration/abc/enqueue"),
    ChannelKind.SQS: SqsChannel(queue_arn="arn:aws:sqs:eu-west-1:111111111111:findings"),
    ChannelKind.USER_NOTIFICATIONS: UserNotificationsChannel(addresses=("sec@example.com",)),
}


def test_every_registered_kind_has_an_example_here() -> None:
    assert {kind.kind for kind in CHANNEL_KINDS} == set(EXAMPLES)
    assert all(type(EXAMPLES[cls.kind]) is cls for cls in CHANNEL_KINDS)


def test_each_kind_is_routed_as_the_construct_has_always_built_it() -> None:
    assert {kind: channel.route for kind, channel in EXAMPLES.items()} == {
        ChannelKind.EMAIL: Route.MAIL,
        ChannelKind.SLACK: Route.RAW,
        ChannelKind.TEAMS: Route.RAW,
        ChannelKind.SLACK_WEBHOOK: Route.CHAT_WEBHOOK,
        ChannelKind.TEAMS_WEBHOOK: Route.CHAT_WEBHOOK,
        ChannelKind.WEBHOOK: Route.RAW,
        ChannelKind.SQS: Route.RAW,
        ChannelKind.USER_NOTIFICATIONS: Route.USER_NOTIFICATIONS,
    }
    # A raw-group kind is delivered from the topic in exactly one way: SNS subscribes it, or the chat
    # integration holds a configuration for it.
    for channel in EXAMPLES.values():
        raw = channel.route is Route.RAW
        assert raw == (channel.topic_subscription or channel.chat_configuration), channel.kind
        assert not (channel.topic_subscription and channel.chat_configuration), channel.kind


@pytest.mark.parametrize("kind", list(ChannelKind), ids=lambda kind: kind.value)
def test_each_kind_says_what_someone_must_do_once_and_describes_itself(kind: ChannelKind) -> None:
    channel = EXAMPLES[kind]
    once = channel.once(region="eu-west-1", raw_topic_arn=lambda: "arn:aws:sns:eu-west-1:111111111111:gd-raw-medium")
    assert isinstance(once, str) and once
    assert channel.describe() and channel.samples_words


@pytest.mark.parametrize("kind", list(ChannelKind), ids=lambda kind: kind.value)
def test_each_kind_answers_the_hooks_its_delivery_promises_and_refuses_the_others(kind: ChannelKind) -> None:
    channel = EXAMPLES[kind]
    if channel.topic_subscription:
        protocol, endpoint = channel.sns_subscription()
        assert protocol in ("https", "sqs") and endpoint
        assert channel.subscription_label(lambda url: "<hidden>") and channel.confirm_advice("apply it")
    else:
        with pytest.raises(NotImplementedError, match=f"a {kind.value} channel has no topic subscription"):
            channel.sns_subscription()
    if channel.chat_configuration:
        method, key, _ = channel.chat_listing()
        assert method.endswith("_configurations") and key.endswith("Configurations")
    else:
        with pytest.raises(NotImplementedError, match=f"a {kind.value} channel has no chat configuration"):
            channel.chat_listing()


def test_a_chat_configuration_is_recognised_by_its_own_ids_only() -> None:
    slack, teams = EXAMPLES[ChannelKind.SLACK], EXAMPLES[ChannelKind.TEAMS]
    assert slack.is_configuration_of({"SlackTeamId": "T0123ABCDE", "SlackChannelId": "C0123ABCDE"})
    assert not slack.is_configuration_of({"SlackTeamId": "T0123ABCDE", "SlackChannelId": "C9999ABCDE"})
    assert teams.is_configuration_of({"ChannelId": "19:abc@thread.tacv2", "TenantId": TEAM})
    assert not teams.is_configuration_of({"ChannelId": "19:abc@thread.tacv2", "TenantId": "other"})
    # Teams configurations are listed per team, Slack's for the whole account.
    assert teams.chat_listing()[2] == {"TeamId": TEAM} and slack.chat_listing()[2] == {}


def test_only_the_queue_and_user_notifications_are_placed_in_one_region() -> None:
    placed = {
        kind: channel.placement for kind, channel in EXAMPLES.items() if channel.placement is not Placement.EVERY_REGION
    }
    assert placed == {ChannelKind.SQS: Placement.OWN_REGION, ChannelKind.USER_NOTIFICATIONS: Placement.HOME_REGION}
    queue, notifications = EXAMPLES[ChannelKind.SQS], EXAMPLES[ChannelKind.USER_NOTIFICATIONS]
    assert queue.delivers_in("eu-west-1", home_region=None) and not queue.delivers_in("us-east-1", home_region=None)
    assert notifications.delivers_in("us-east-1", home_region="us-east-1")
    assert not notifications.delivers_in("eu-west-1", home_region="us-east-1")
    assert EXAMPLES[ChannelKind.EMAIL].delivers_in("ap-south-1", home_region="us-east-1")


def test_the_registry_maps_the_config_files_kinds_to_their_classes() -> None:
    assert kind_class("sqs") is SqsChannel and kind_class(ChannelKind.TEAMS_WEBHOOK) is TeamsWebhookChannel
    assert is_channel(EXAMPLES[ChannelKind.WEBHOOK]) and not is_channel({"kind": "webhook"})


def test_rejects_a_kind_the_registry_does_not_know() -> None:
    with pytest.raises(ValueError) as raised:
        kind_class("pager")
    assert str(raised.value) == (
        "'pager' is not a channel kind; allowed: one of email, slack, teams, slack_webhook, teams_webhook, webhook, "
        "sqs, user_notifications"
    )

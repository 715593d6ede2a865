"""The `channels` section of the configuration: what it becomes, where each channel applies, and one message
per problem naming the key path, the value and what is allowed."""

from __future__ import annotations

import pytest
from guardduty_alerts.channels import (
    Aggregation,
    EmailChannel,
    SlackChannel,
    SqsChannel,
    UserNotificationsChannel,
    WebhookChannel,
)
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.patterns import FindingFilters, SampleHandling
from guardduty_alerts_app.config import load_config, parse_config
from helpers import REPO

REGIONS = ["us-east-1", "eu-west-1"]
SLACK = {"kind": "slack", "workspace_id": "T0123ABCDE", "channel_id": "C0123ABCDE"}
WEBHOOK = {"kind": "webhook", "url": "https://events.pagerduty.com/integration/abc/enqueue"}
QUEUE = "arn:aws:sqs:eu-west-1:123456789012:siem-intake"


def config_with(*channels: dict, **top: object):
    return parse_config({"regions": REGIONS, **top, "channels": list(channels)})


def problems_of(*channels: dict, **top: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_with(*channels, **top)
    return list(caught.value.problems)


def test_recipients_are_optional_when_channels_are_given() -> None:
    config = config_with(SLACK)
    assert config.recipients == ()
    assert config.channels == (SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE"),)


def test_the_issues_example_becomes_one_channel_object_per_entry() -> None:
    config = load_config(REPO / "config" / "channels.example.yaml")
    kinds = [type(channel).__name__ for channel in config.channels]
    assert kinds == [
        "EmailChannel",
        "SlackChannel",
        "TeamsChannel",
        "SlackWebhookChannel",
        "WebhookChannel",
        "SqsChannel",
        "UserNotificationsChannel",
    ]
    webhook = config.channels[4]
    assert isinstance(webhook, WebhookChannel)
    assert webhook.auto_confirms is True
    assert webhook.raw_delivery is False
    notifications = config.channels[6]
    assert isinstance(notifications, UserNotificationsChannel)
    assert notifications.aggregation == Aggregation.SHORT.value
    assert notifications.regions == ("eu-west-1", "us-east-1")


def test_a_channel_inherits_the_top_level_filters_it_does_not_set() -> None:
    config = config_with(
        {**SLACK, "new_findings_only": True},
        WEBHOOK,
        finding_types={"exclude": ["Recon:"]},
        sample_findings="drop",
    )
    slack, webhook = config.channels
    assert slack.filters == FindingFilters(exclude_types=("Recon:",), samples=SampleHandling.DROP, new_only=True)
    # No filter key of its own: the construct's filters apply (None means "the construct's").
    assert webhook.filters is None


def test_sqs_applies_only_in_its_queues_region_and_user_notifications_only_in_its_home() -> None:
    config = config_with(
        {"kind": "sqs", "queue_arn": QUEUE},
        {"kind": "user_notifications", "addresses": ["lead@example.com"]},
        WEBHOOK,
    )
    assert config.user_notifications_home_region == "us-east-1"
    assert [type(c) for c in config.channels_for("us-east-1")] == [UserNotificationsChannel, WebhookChannel]
    assert [type(c) for c in config.channels_for("eu-west-1")] == [SqsChannel, WebhookChannel]


def test_user_notifications_home_is_the_given_region_else_us_east_1_else_the_first_alphabetically() -> None:
    lead = {"kind": "user_notifications", "addresses": ["lead@example.com"]}
    assert config_with({**lead, "home_region": "eu-west-1"}, WEBHOOK).user_notifications_home_region == "eu-west-1"
    assert config_with(lead, WEBHOOK).user_notifications_home_region == "us-east-1"
    config = parse_config({"regions": ["eu-west-1", "ap-south-1"], "channels": [lead, WEBHOOK]})
    assert config.user_notifications_home_region == "ap-south-1"


def test_email_channel_keeps_its_addresses_and_threshold() -> None:
    config = config_with(
        {"kind": "email", "addresses": ["ciso@example.com"], "severity_threshold": "CRITICAL"},
        recipients=["soc@example.com"],
    )
    assert config.channels == (EmailChannel(addresses=("ciso@example.com",), severity_threshold="CRITICAL"),)


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        (
            [{"kind": "webhook", "url": "http://example.com/hook"}],
            [
                "channels[0].url: 'http://example.com/hook' is refused: plain http sends findings unencrypted; allowed: an https:// URL"
            ],
        ),
        (
            [{"kind": "slack", "workspace_id": "t01", "channel_id": "C0123ABCDE"}],
            [
                "channels[0].workspace_id: 't01' is not a Slack workspace id; allowed: T followed by upper-case letters and digits, as the chat integration's console shows it (T0123ABCDE)"
            ],
        ),
        (
            [{"kind": "slack", "workspace_id": "T0123ABCDE", "channel_id": "general"}],
            [
                "channels[0].channel_id: 'general' is not a Slack channel id; allowed: C, G or D followed by upper-case letters and digits, the end of the channel's link (C0123ABCDE)"
            ],
        ),
        (
            [
                {
                    "kind": "teams",
                    "tenant_id": "x",
                    "team_id": "00000000-0000-0000-0000-000000000000",
                    "channel_id": "19:abc@thread.tacv2",
                }
            ],
            [
                "channels[0].tenant_id: 'x' is not a Microsoft tenant id; allowed: a GUID such as 00000000-0000-0000-0000-000000000000"
            ],
        ),
        (
            [
                {
                    "kind": "teams",
                    "tenant_id": "00000000-0000-0000-0000-000000000000",
                    "team_id": "00000000-0000-0000-0000-000000000000",
                    "channel_id": "abc",
                }
            ],
            [
                "channels[0].channel_id: 'abc' is not a Teams channel id; allowed: 19:<id>@thread.tacv2, from the channel's link (URL-decoded)"
            ],
        ),
        (
            [{"kind": "sqs", "queue_arn": "arn:aws:sqs:ap-south-1:123456789012:q"}],
            [
                "channels[0].queue_arn: the queue is in ap-south-1, which is not one of regions (us-east-1, eu-west-1); allowed: a queue in a configured region (SNS subscribes queues of its own region, so the stack of that region delivers to it)"
            ],
        ),
        (
            [{"kind": "sqs", "queue_arn": "my-queue"}],
            [
                "channels[0].queue_arn: 'my-queue' is not an SQS queue ARN; allowed: arn:aws:sqs:<region>:<account>:<queue name>"
            ],
        ),
        (
            [{"kind": "email", "addresses": []}],
            [
                "channels[0].addresses: the list is empty, so this channel delivers nothing; allowed: at least one email address"
            ],
        ),
        (
            [{"kind": "user_notifications", "addresses": []}],
            [
                "channels[0].addresses: the list is empty, so this channel delivers nothing; allowed: at least one email address"
            ],
        ),
        (
            [WEBHOOK, {**WEBHOOK, "severity_threshold": "HIGH"}],
            [
                "channels[1]: HTTPS webhook at events.pagerduty.com is the same destination as channels[0]; allowed: each destination once (give one channel the addresses or the threshold it needs)"
            ],
        ),
        (
            [SLACK, {**SLACK, "severity_threshold": "HIGH"}],
            [
                "channels[1]: Slack channel C0123ABCDE (workspace T0123ABCDE) is the same destination as channels[0]; allowed: each destination once (give one channel the addresses or the threshold it needs)"
            ],
        ),
        (
            [WEBHOOK, {"kind": "webhook", "url": "https://events.pagerduty.com/integration/other/enqueue"}],
            [
                "channels[1].name: 'webhook-events-pagerduty-com' is also the name of channels[0]; allowed: a distinct name for each channel (set name on one of them)"
            ],
        ),
        (
            [{"kind": "pager", "url": "x"}],
            [
                'channels[0].kind: "pager" is not allowed; allowed: one of email, slack, teams, slack_webhook, teams_webhook, webhook, sqs, user_notifications'
            ],
        ),
        (
            [{**SLACK, "colour": "red"}],
            [
                "channels[0].colour: unknown key; allowed keys: accounts, accounts_except, channel_id, finding_types, kind, name, new_findings_only, sample_findings, severity_threshold, workspace_id"
            ],
        ),
        (
            [{"kind": "slack_webhook", "url_env_var": "SLACK_URL"}],
            [
                "channels[0].url_env_var: 'SLACK_URL' is not allowed; allowed: TF_VAR_<name> (letters, digits, underscores): Terraform reads the URL from it at plan time, so the secret never enters the synthesized JSON"
            ],
        ),
        (
            [
                {"kind": "slack_webhook", "url_env_var": "TF_VAR_hook"},
                {"kind": "teams_webhook", "url_env_var": "TF_VAR_hook"},
            ],
            [
                "channels[1].url_env_var: 'TF_VAR_hook' is also the URL of channels[0]; allowed: one variable per webhook (two channels posting to one URL are one destination)"
            ],
        ),
        (
            [{"kind": "teams_webhook"}],
            [
                "channels[0].url_ssm_parameter: give exactly one of url_ssm_parameter or url_env_var; allowed: the name of an SSM SecureString parameter holding the webhook URL (/security/slack-webhook), or TF_VAR_<name>, an environment variable Terraform reads at plan time"
            ],
        ),
        (
            [{"kind": "user_notifications", "addresses": ["a@example.com"], "home_region": "ap-south-1"}],
            ["channels[0].home_region: 'ap-south-1' is not one of regions; allowed: one of us-east-1, eu-west-1"],
        ),
        (
            [{"kind": "user_notifications", "addresses": ["a@example.com"], "aggregation": "DAILY"}],
            [
                'channels[0].aggregation: "DAILY" is not allowed; allowed: NONE (a mail per finding), SHORT (5-minute digests) or LONG (12-hour digests)'
            ],
        ),
        (
            [{**SLACK, "severity_threshold": "SEVERE"}],
            [
                'channels[0].severity_threshold: "SEVERE" is not allowed; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0'
            ],
        ),
        (
            [{**SLACK, "name": "Team Slack"}],
            [
                "channels[0].name: 'Team Slack' is not allowed; allowed: 2 to 32 lowercase letters, digits and hyphens, starting with a letter"
            ],
        ),
    ],
)
def test_rejects_bad_channel_with_its_key_path(channels: list[dict], expected: list[str]) -> None:
    assert problems_of(*channels) == expected


def test_rejects_an_address_in_two_email_channels() -> None:
    problems = problems_of(
        {"kind": "email", "addresses": ["CISO@example.com"], "severity_threshold": "CRITICAL"},
        recipients=["ciso@example.com"],
    )
    assert problems == [
        "channels[0].addresses[0]: 'CISO@example.com' is also in recipients, so it would get the findings both "
        "deliver twice; allowed: each address in one email channel (the one with the lowest threshold it needs)"
    ]


def test_rejects_a_file_that_delivers_nowhere() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"regions": REGIONS})
    assert list(caught.value.problems) == [
        "recipients: missing; required: a non-empty list of email addresses, or channels "
        "(see the channels table in docs/channels.md)"
    ]
    assert problems_of() == [
        "channels: the list is empty; allowed: a non-empty list of channels, each a mapping with kind (email, "
        "slack, teams, slack_webhook, teams_webhook, webhook, sqs, user_notifications) and its settings"
    ]


def test_with_a_central_inbox_channels_live_in_its_home_region() -> None:
    inbox = {"central_inbox": {"home_region": "eu-west-1"}}
    lead = {"kind": "user_notifications", "addresses": ["lead@example.com"]}
    config = config_with(lead, recipients=["soc@example.com"], **inbox)
    assert config.user_notifications_home_region == "eu-west-1"
    # Every finding arrives in the inbox's region: observing us-east-1 too would notify its findings twice.
    assert config.channels[0].regions == ("eu-west-1",)
    assert problems_of(
        {"kind": "sqs", "queue_arn": "arn:aws:sqs:us-east-1:123456789012:siem"},
        {**lead, "home_region": "us-east-1"},
        **inbox,
    ) == [
        "channels[0].queue_arn: the queue is in us-east-1, whose findings go to the central inbox in eu-west-1; "
        "allowed: a queue in eu-west-1, where every finding is delivered",
        "channels[1].home_region: 'us-east-1' forwards its findings to the central inbox in eu-west-1 and holds no "
        "alerting resources; allowed: eu-west-1, or leave home_region out",
    ]


def test_an_account_may_give_channels_of_its_own() -> None:
    config = parse_config(
        {
            "regions": ["us-east-1"],
            "recipients": ["soc@example.com"],
            "channels": [WEBHOOK],
            "accounts": [
                {"id": "111111111111", "name": "prod", "channels": [SLACK]},
                {"id": "222222222222", "name": "dev"},
            ],
        }
    )
    accounts = {account.name: account for account in config.accounts}
    assert [type(c) for c in accounts["prod"].config.channels] == [SlackChannel]
    assert [type(c) for c in accounts["dev"].config.channels] == [WebhookChannel]


UN = {"kind": "user_notifications", "addresses": ["soc-lead@example.com"]}
WILDCARD_PROBLEM = (
    '["Recon:", "UnauthorizedAccess:EC2/TorClient"] excludes more than one prefix, or prefixes with exact types, '
    "which EventBridge can express only with a wildcard pattern, and AWS User Notifications does not support "
    "wildcards in event patterns; allowed for a user_notifications channel: exact finding types, or a single "
    "prefix (ending in ':', '/' or '*')"
)
MIXED = {"exclude": ["Recon:", "UnauthorizedAccess:EC2/TorClient"]}


# AWS User Notifications user guide, "Filtering event rules using customized JSON event patterns in AWS User
# Notifications": "Wildcards aren't currently supported." A mixed exclusion is EventBridge's
# anything-but/wildcard (patterns.py).
def test_rejects_a_mixed_exclusion_of_the_user_notifications_channel_itself() -> None:
    assert problems_of({**UN, "finding_types": MIXED}, recipients=["security@example.com"]) == [
        f"channels[0].finding_types.exclude: {WILDCARD_PROBLEM}"
    ]


def test_rejects_a_top_level_mixed_exclusion_that_the_user_notifications_channel_inherits() -> None:
    assert problems_of(UN, finding_types=MIXED) == [
        f"finding_types.exclude (used by channels[0], a user_notifications channel): {WILDCARD_PROBLEM}"
    ]


def test_a_mixed_exclusion_is_fine_for_other_channels_and_one_prefix_for_user_notifications() -> None:
    config = config_with({**UN, "finding_types": {"exclude": ["Recon:"]}}, SLACK, finding_types=MIXED)
    assert len(config.channels) == 2
    # Exact types only: anything-but with a list, no wildcard. (Recipients: a region without a deliverable
    # channel of its own is refused.)
    exact = {**UN, "finding_types": {"exclude": ["Recon:EC2/Portscan", "Trojan:EC2/DropPoint"]}}
    assert len(config_with(exact, recipients=["soc@example.com"]).channels) == 1


def test_rejects_an_address_in_recipients_and_in_the_user_notifications_channel() -> None:
    assert problems_of({**UN, "addresses": ["SOC-lead@example.com"]}, recipients=["soc-lead@example.com"]) == [
        "channels[0].addresses[0]: 'SOC-lead@example.com' is also in recipients, so that mailbox would get every "
        "finding twice, once from SNS and once from AWS User Notifications; allowed: each address either in "
        "recipients and email channels or in the user_notifications channel"
    ]


def test_rejects_an_address_in_an_email_channel_after_the_user_notifications_channel() -> None:
    assert problems_of(UN, {"kind": "email", "addresses": ["soc-lead@example.com"]}) == [
        "channels[1].addresses[0]: 'soc-lead@example.com' is also in channels[0].addresses, so that mailbox would "
        "get every finding twice, once from SNS and once from AWS User Notifications; allowed: each address either "
        "in recipients and email channels or in the user_notifications channel"
    ]


def test_create_hub_is_read_and_refused_when_not_a_boolean() -> None:
    (channel,) = config_with({**UN, "create_hub": True}, recipients=["soc@example.com"]).channels
    assert isinstance(channel, UserNotificationsChannel) and channel.create_hub is True
    assert problems_of({**UN, "create_hub": "yes"}) == [
        'channels[0].create_hub: "yes" is not allowed; allowed: true or false'
    ]

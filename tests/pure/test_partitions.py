"""Partitions (issue 22): GovCloud (aws-us-gov) and China (aws-cn) beside commercial AWS (aws).

What differs is one table, `guardduty_alerts.regions.PARTITIONS`, each fact with its source in a comment there:
- regions: AWS GovCloud (US) User Guide, "Amazon GuardDuty in AWS GovCloud (US)" (us-gov-west-1, us-gov-east-1);
  Getting Started with Amazon Web Services in China, "Amazon GuardDuty" (Beijing cn-north-1, Ningxia
  cn-northwest-1);
- channel kinds: Amazon Q Developer in chat applications API Reference, "Welcome" (commercial regions only);
  AWS GovCloud (US) User Guide, "Amazon EventBridge in AWS GovCloud (US)" ("API destinations are not
  supported"); EventBridge User Guide, "feature availability by Amazon Region" (API destinations in China
  (Beijing) and China (Ningxia)); AWS User Notifications (commercial regions only);
- ARNs: AWS General Reference, "Amazon Resource Names (ARNs)": partition aws, aws-cn, aws-us-gov;
- service principals: the same `<service>.amazonaws.com` for every service we grant (provider source,
  internal/service/meta/service_principal_data_source.go: only codedeploy, elasticmapreduce and logs differ in
  aws-cn), so nothing here varies them.
"""

from __future__ import annotations

import pytest
from guardduty_alerts.channels import (
    ChannelKind,
    EmailChannel,
    SlackChannel,
    SlackWebhookChannel,
    SqsChannel,
    TeamsWebhookChannel,
    UserNotificationsChannel,
    channel_problems,
)
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.inbox import default_bus_arn
from guardduty_alerts.notifications import mail_rules
from guardduty_alerts.protection import ProtectionPlan
from guardduty_alerts.regions import CHANNEL_KINDS, EVERY_REGION, PARTITIONS, console_link, partition_of
from guardduty_alerts.severity import Severity
from guardduty_alerts.templates import mail_templates
from guardduty_alerts.validation import partition_of_region
from guardduty_alerts_app.config import parse_config

GOV = {"partition": "aws-us-gov", "regions": ["us-gov-west-1"], "recipients": ["sec@example.com"]}
CN = {"partition": "aws-cn", "regions": ["cn-north-1"], "recipients": ["sec@example.com"]}


def problems_of(document: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return list(caught.value.problems)


def test_the_table_knows_every_channel_kind() -> None:
    assert CHANNEL_KINDS == tuple(kind.value for kind in ChannelKind)
    for partition in PARTITIONS.values():
        assert set(partition.missing_kinds) <= set(CHANNEL_KINDS)


def test_every_region_belongs_to_one_partition_the_one_its_name_says() -> None:
    # The ARN checks (validation.partition_of_region) read the partition from the region's name.
    assert len(EVERY_REGION) == len(set(EVERY_REGION))
    assert {region: partition_of(region).name for region in EVERY_REGION} == {
        region: partition_of_region(region) for region in EVERY_REGION
    }
    assert PARTITIONS["aws-us-gov"].regions == ("us-gov-east-1", "us-gov-west-1")
    assert PARTITIONS["aws-cn"].regions == ("cn-north-1", "cn-northwest-1")


@pytest.mark.parametrize(
    ("partition", "link"),
    [
        ("aws", "https://<region>.console.aws.amazon.com/guardduty/home?region=<region>"),
        ("aws-us-gov", "https://console.amazonaws-us-gov.com/guardduty/home?region=<region>"),
        ("aws-cn", "https://console.amazonaws.cn/guardduty/home?region=<region>"),
    ],
)
def test_mails_link_to_the_partition_s_console(partition: str, link: str) -> None:
    assert console_link(partition) == link + "#/findings?macros=current&fId=<findingId>"
    (high,) = [rule for rule in mail_rules(Severity.HIGH.floor, partition=partition) if rule.key == "high"]
    assert f'"Console: {link}#/findings?macros=current&fId=<findingId>"' in high.input_template
    # The subject formatter's mails: the same lines, staged beside its handler.
    assert mail_templates(partition)["lines"]["HIGH"][-1] == f"Console: {link}#/findings?macros=current&fId=<findingId>"


def test_the_central_inbox_bus_arn_is_in_the_region_s_partition() -> None:
    assert default_bus_arn("us-gov-west-1", "111122223333") == (
        "arn:aws-us-gov:events:us-gov-west-1:111122223333:event-bus/default"
    )
    assert (
        default_bus_arn("cn-north-1", "111122223333") == "arn:aws-cn:events:cn-north-1:111122223333:event-bus/default"
    )
    assert default_bus_arn("eu-west-1", "111122223333") == "arn:aws:events:eu-west-1:111122223333:event-bus/default"


@pytest.mark.parametrize(
    ("document", "regions"),
    [
        ({**GOV, "regions": "all"}, ("us-gov-east-1", "us-gov-west-1")),
        ({**CN, "regions": "all"}, ("cn-north-1", "cn-northwest-1")),
    ],
)
def test_regions_all_means_the_partition_s_regions(document: dict, regions: tuple[str, ...]) -> None:
    assert parse_config(document).regions == regions


def test_govcloud_and_china_configurations_load() -> None:
    assert parse_config(GOV).regions == ("us-gov-west-1",)
    assert parse_config(CN).regions == ("cn-north-1",)


def test_rejects_an_unknown_partition() -> None:
    assert problems_of({**GOV, "partition": "aws-gov"}) == [
        'partition: "aws-gov" is not allowed; allowed: one of aws, aws-us-gov, aws-cn (default aws: the commercial '
        "regions)"
    ]


def test_rejects_a_govcloud_region_without_the_partition() -> None:
    assert problems_of({"regions": ["us-gov-west-1"], "recipients": ["sec@example.com"]}) == [
        'regions[0]: "us-gov-west-1" is a region of partition aws-us-gov (AWS GovCloud (US)), and partition is aws '
        "(the default: partition is not set); allowed: a region of aws ("
        + ", ".join(PARTITIONS["aws"].regions)
        + "), or partition: aws-us-gov for a configuration that deploys there only"
    ]


def test_rejects_a_mix_of_partitions() -> None:
    assert problems_of(
        {**CN, "regions": ["cn-north-1", "eu-west-1"], "central_inbox": {"home_region": "cn-north-1"}}
    ) == [
        'regions[1]: "eu-west-1" is a region of partition aws (commercial AWS), and partition is aws-cn; allowed: a '
        "region of aws-cn (cn-north-1, cn-northwest-1), or partition: aws for a configuration that deploys there only"
    ]


def test_rejects_an_arn_of_another_partition() -> None:
    document = {
        **GOV,
        "accounts": [{"id": "111122223333", "name": "payments", "role_arn": "arn:aws:iam::111122223333:role/Deploy"}],
    }
    assert problems_of(document) == [
        'accounts[0].role_arn: "arn:aws:iam::111122223333:role/Deploy" is an ARN of partition aws, and partition is '
        "aws-us-gov; allowed: an ARN starting with arn:aws-us-gov: (a resource of another partition cannot be used "
        "from this one)"
    ]


def test_a_role_arn_of_the_partition_is_accepted() -> None:
    document = {
        **CN,
        "accounts": [
            {"id": "111122223333", "name": "payments", "role_arn": "arn:aws-cn:iam::111122223333:role/Deploy"}
        ],
    }
    (account,) = parse_config(document).accounts
    assert account.role_arn == "arn:aws-cn:iam::111122223333:role/Deploy"


_SLACK = {"kind": "slack", "workspace_id": "T0123ABCDE", "channel_id": "C0123ABCDE"}
_SLACK_WEBHOOK = {"kind": "slack_webhook", "url_ssm_parameter": "/security/slack"}
_NOTIFY = {"kind": "user_notifications", "addresses": ["lead@example.com"]}
_CHAT = "Amazon Q Developer in chat applications (formerly AWS Chatbot), which serves commercial AWS regions only"
_API = "EventBridge API destinations, which exist in commercial AWS regions and in China, not in GovCloud"
_NOTIFICATIONS = "AWS User Notifications, which serves commercial AWS regions only"
_GOV_ALLOWED = "allowed in aws-us-gov: email, webhook, sqs"
_CN_ALLOWED = "allowed in aws-cn: email, slack_webhook, teams_webhook, webhook, sqs"


@pytest.mark.parametrize(
    ("document", "channel", "expected"),
    [
        (
            GOV,
            _SLACK,
            f"kind slack is not available in partition aws-us-gov (AWS GovCloud (US)): it needs {_CHAT}; {_GOV_ALLOWED}",
        ),
        (
            GOV,
            _SLACK_WEBHOOK,
            f"kind slack_webhook is not available in partition aws-us-gov (AWS GovCloud (US)): it needs {_API}; {_GOV_ALLOWED}",
        ),
        (
            GOV,
            _NOTIFY,
            f"kind user_notifications is not available in partition aws-us-gov (AWS GovCloud (US)): it needs {_NOTIFICATIONS}; {_GOV_ALLOWED}",
        ),
        (CN, _SLACK, f"kind slack is not available in partition aws-cn (AWS China): it needs {_CHAT}; {_CN_ALLOWED}"),
        (
            CN,
            _NOTIFY,
            f"kind user_notifications is not available in partition aws-cn (AWS China): it needs {_NOTIFICATIONS}; {_CN_ALLOWED}",
        ),
    ],
)
def test_rejects_a_channel_kind_the_partition_lacks(document: dict, channel: dict, expected: str) -> None:
    problems = problems_of({**document, "channels": [channel]})
    assert problems[0] == f"channels[0].kind: {expected}"
    # A user_notifications channel's regions are refused too, by the check that predates partitions.
    region = document["regions"][0]
    assert problems[1:] == (
        [
            f"channels[0].regions[0]: {region!r} is not served by AWS User Notifications; allowed: a commercial AWS "
            "region (not GovCloud or China)"
        ]
        if channel is _NOTIFY
        else []
    )


def test_china_has_the_chat_webhooks() -> None:
    config = parse_config({**CN, "channels": [_SLACK_WEBHOOK]})
    assert [channel.kind for channel in config.channels] == [ChannelKind.SLACK_WEBHOOK]


@pytest.mark.parametrize(
    ("region", "channel", "expected"),
    [
        (
            "us-gov-east-1",
            TeamsWebhookChannel(url_ssm_parameter="/t"),
            f"kind teams_webhook is not available in partition aws-us-gov (AWS GovCloud (US)): it needs {_API}; {_GOV_ALLOWED}",
        ),
        (
            "cn-northwest-1",
            SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE"),
            f"kind slack is not available in partition aws-cn (AWS China): it needs {_CHAT}; {_CN_ALLOWED}",
        ),
        (
            "cn-north-1",
            UserNotificationsChannel(addresses=("lead@example.com",)),
            f"kind user_notifications is not available in partition aws-cn (AWS China): it needs {_NOTIFICATIONS}; {_CN_ALLOWED}",
        ),
    ],
)
def test_rejects_a_channel_kind_the_stack_s_partition_lacks_as_a_prop(
    region: str, channel: object, expected: str
) -> None:
    assert channel_problems([channel], region=region) == [f"channels[0].kind: {expected}"]


def test_channels_of_the_partition_pass_as_props() -> None:
    channels = [
        EmailChannel(addresses=("sec@example.com",)),
        SlackWebhookChannel(url_ssm_parameter="/s"),
        SqsChannel(queue_arn="arn:aws-cn:sqs:cn-north-1:111122223333:findings"),
    ]
    assert channel_problems(channels, region="cn-north-1") == []


def test_rejects_a_queue_of_another_partition_as_a_prop() -> None:
    channel = SqsChannel(queue_arn="arn:aws:sqs:us-gov-west-1:111122223333:findings")
    assert channel_problems([channel], region="us-gov-west-1") == [
        "channels[0].queue_arn: 'arn:aws:sqs:us-gov-west-1:111122223333:findings' is in partition aws, but region "
        "us-gov-west-1 is in partition aws-us-gov (a resource of another partition cannot be used from this stack); "
        "allowed: arn:aws:sqs:<region>:<account>:<queue name>"
    ]


def test_rejects_regions_of_another_partition_wherever_the_file_names_one() -> None:
    document = {
        **GOV,
        "detector": {"existing_detector_ids": {"us-east-1": "0" * 32}},
        "state": {"s3": {"bucket": "tf-state-bucket", "region": "us-east-1"}},
    }
    tail = (
        "is a region of partition aws (commercial AWS), and partition is aws-us-gov; allowed: a region of aws-us-gov "
        "(us-gov-east-1, us-gov-west-1), or partition: aws for a configuration that deploys there only"
    )
    assert [problem for problem in problems_of(document) if "partition aws " in problem] == [
        f'detector.existing_detector_ids.us-east-1: "us-east-1" {tail}',
        f'state.s3.region: "us-east-1" {tail}',
    ]


# --- Protection plans a partition does not offer (regions.PARTITIONS[...].missing_plans) ---------------------
# Getting Started with Amazon Web Services in China, "Amazon GuardDuty": Runtime Monitoring (EKS Runtime
# Monitoring included) is not supported in the China Regions. AWS GovCloud (US) User Guide, "Amazon GuardDuty in
# AWS GovCloud (US)": Runtime Monitoring is offered there (through a FIPS endpoint), no plan is listed as missing.

CN_RUNTIME = (
    "runtime_monitoring is not available in partition aws-cn (AWS China): it is GuardDuty Runtime Monitoring "
    "(EKS, ECS Fargate and EC2), which AWS does not offer in the China regions; allowed: leave runtime_monitoring "
    "out in aws-cn"
)


def test_missing_plans_name_protection_plans() -> None:
    keys = {plan.key for plan in ProtectionPlan}
    for partition in PARTITIONS.values():
        assert set(partition.missing_plans) <= keys, partition.name
    assert set(PARTITIONS["aws-cn"].missing_plans) == {"runtime_monitoring"}
    assert not PARTITIONS["aws"].missing_plans and not PARTITIONS["aws-us-gov"].missing_plans


@pytest.mark.parametrize("enabled", [True, False])
def test_china_refuses_runtime_monitoring_at_the_top_level_and_per_account(enabled: bool) -> None:
    # Turning it off is refused too: there is no such feature to turn off, and leaving it out manages nothing.
    runtime = {"enabled": enabled}
    document = {
        **CN,
        "protection_plans": {"s3_data_events": True, "runtime_monitoring": runtime},
        "accounts": [
            {"id": "111122223333", "name": "payments"},
            {"id": "444455556666", "name": "shop", "protection_plans": {"runtime_monitoring": runtime}},
        ],
    }
    assert problems_of(document) == [
        f"accounts[1].protection_plans.runtime_monitoring: {CN_RUNTIME}",
        f"protection_plans.runtime_monitoring: {CN_RUNTIME}",
    ]


def test_china_takes_the_other_plans_and_govcloud_takes_runtime_monitoring() -> None:
    others = {plan.key: True for plan in ProtectionPlan if plan is not ProtectionPlan.RUNTIME_MONITORING}
    assert set(parse_config({**CN, "protection_plans": others}).protection_plans.plans) == {
        plan for plan in ProtectionPlan if plan is not ProtectionPlan.RUNTIME_MONITORING
    }
    runtime = {"runtime_monitoring": {"enabled": True, "eks_addon_management": True}}
    assert parse_config({**GOV, "protection_plans": runtime}).protection_plans.plans == {
        ProtectionPlan.RUNTIME_MONITORING: True
    }

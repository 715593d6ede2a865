"""Values validated as what they are (issue 19): URLs and ARNs parsed, suppression criteria checked per GuardDuty
filter field, numbers finite, no line break kept by a YAML block scalar. The same checks hold for the
configuration file (key paths) and for the construct used without YAML (prop paths).

AWS's rules behind them:
- ARN fields and partitions: AWS General Reference, "Amazon Resource Names (ARNs)" (partition aws, aws-cn,
  aws-us-gov; a resource of one partition cannot be used from another).
- SQS queue names: "1 to 80 characters, alphanumeric characters, hyphens and underscores; a FIFO queue's name
  ends in .fifo" (CreateQueue API reference, QueueName).
- GuardDuty filter fields: GuardDuty User Guide, "Filtering findings", table of filter criteria
  (awsdocs/amazon-guardduty-user-guide, doc_source/guardduty_filter-findings.md).
- CloudWatch alarm actions: PutMetricAlarm API reference, AlarmActions (SNS, Auto Scaling, EC2 actions,
  Systems Manager, Lambda).
- SNS HTTPS endpoints are called from AWS's public network; credentials in the URL are SNS's basic
  authentication (Amazon SNS Developer Guide, "HTTP/S endpoints"), written in clear into the plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.provider import AwsProvider
from guardduty_alerts import GuardDutyAlerts, InvalidPropsError
from guardduty_alerts.channels import SqsChannel, WebhookChannel, channel_problems
from guardduty_alerts.errors import ConfigError
from guardduty_alerts.suppression import SuppressionRule, suppression_rule_problems
from guardduty_alerts_app.config import load_config

BASE = "name: ga\nregions: [us-east-1]\nrecipients: [a@example.com]\n"
LINE_BREAK = "ends with a line break (YAML's `|` and `>` blocks keep the final one; write the value on one line, or use `|-` or `>-`)"
URL_ALLOWED = "an https:// URL with a public host name, such as https://events.pagerduty.com/integration/<key>/enqueue"
SQS_ALLOWED = "arn:aws:sqs:<region>:<account>:<queue name>"
KEY_ALLOWED = "the ARN of a customer-managed KMS key (or of its alias) in the stack's region"
ACTION_ALLOWED = "the ARN of an SNS topic or other CloudWatch alarm action in the stack's region, not the alerts topic"
OTHER_PARTITION = "(a resource of another partition cannot be used from this stack)"
KEY = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-0123-0123-0123-0123456789ab"
OPEN_PATHS = (
    "a path under service.additionalInfo or a newer protection plan's resource object (resource.eksClusterDetails, "
    "resource.lambdaDetails, ...)"
)
SEVERITY_ALLOWED = "one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0"


def webhook(url: str) -> str:
    return f"channels:\n  - kind: webhook\n    url: {url}\n"


def queue(arn: str) -> str:
    return f"channels:\n  - kind: sqs\n    queue_arn: {arn}\n"


def criterion(field: str, operator: str, value: str) -> str:
    return f"suppression_rules:\n  - name: scanner\n    criteria:\n      {field}:\n        {operator}: {value}\n"


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return list(caught.value.problems)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # --- URLs ---
        (
            "channels:\n  - kind: webhook\n    url: >\n      https://hooks.example.com/x\n",
            f"channels[0].url: 'https://hooks.example.com/x\\n' {LINE_BREAK}; allowed: {URL_ALLOWED}",
        ),
        (
            webhook("https://hooks.example.com/a b"),
            "channels[0].url: 'https://hooks.example.com/a b' contains whitespace or a control character "
            f"(' ' at position 27); allowed: {URL_ALLOWED}",
        ),
        (
            webhook('"https://hooks.example.com/\\tx"'),
            "channels[0].url: 'https://hooks.example.com/\\tx' contains whitespace or a control character "
            f"('\\t' at position 26); allowed: {URL_ALLOWED}",
        ),
        (
            webhook("https://hooks.example.com:70000/x"),
            "channels[0].url: 'https://hooks.example.com:70000/x' is not a usable URL (Port out of range "
            f"0-65535); allowed: {URL_ALLOWED}",
        ),
        (
            webhook("https://hooks.example.com:0/x"),
            "channels[0].url: 'https://hooks.example.com:0/x' has port 0; allowed: a port from 1 to 65535, or none (443)",
        ),
        (
            webhook("https://user:secret@hooks.example.com/x"),
            "channels[0].url: the URL holds credentials (user:password@), which would be written in clear into the "
            "synthesized JSON, the plan and the Terraform state; allowed: an https:// URL without user:password@; "
            "have the receiver check SNS's message signature (SNS signs every message) or a key in the path, as "
            "PagerDuty's and Opsgenie's integration URLs do; for Slack or Teams use kind slack_webhook or "
            "teams_webhook, whose URL is read from url_ssm_parameter",
        ),
        (
            webhook("https://169.254.169.254/latest"),
            "channels[0].url: 'https://169.254.169.254/latest' points at 169.254.169.254, an address that is not "
            f"public; allowed: {URL_ALLOWED}",
        ),
        (
            # A unique local IPv6 address: as private as 10.0.0.0/8.
            webhook("https://[fd00::7]/hook"),
            f"channels[0].url: 'https://[fd00::7]/hook' points at fd00::7, an address that is not public; allowed: {URL_ALLOWED}",
        ),
        (
            webhook("https://localhost:8443/x"),
            "channels[0].url: 'https://localhost:8443/x' points at localhost, which is not a public host name; "
            f"allowed: {URL_ALLOWED}",
        ),
        (webhook("https:///x"), f"channels[0].url: 'https:///x' has no host; allowed: {URL_ALLOWED}"),
        # --- ARNs ---
        (
            queue("arn:aws-cn:sqs:us-east-1:123456789012:intake"),
            "channels[0].queue_arn: 'arn:aws-cn:sqs:us-east-1:123456789012:intake' is in partition aws-cn, but "
            f"region us-east-1 is in partition aws {OTHER_PARTITION}; allowed: {SQS_ALLOWED}",
        ),
        (
            "channels:\n  - kind: sqs\n    queue_arn: >\n      arn:aws:sqs:us-east-1:123456789012:intake\n",
            f"channels[0].queue_arn: 'arn:aws:sqs:us-east-1:123456789012:intake\\n' {LINE_BREAK}; allowed: {SQS_ALLOWED}",
        ),
        (
            queue("arn:aws:sns:us-east-1:123456789012:intake"),
            "channels[0].queue_arn: 'arn:aws:sns:us-east-1:123456789012:intake' is an ARN of service sns, not sqs; "
            f"allowed: {SQS_ALLOWED}",
        ),
        (
            queue("arn:aws:sqs:us-east-1:12345:intake"),
            "channels[0].queue_arn: 'arn:aws:sqs:us-east-1:12345:intake' has account '12345', not a 12-digit "
            f"account id; allowed: {SQS_ALLOWED}",
        ),
        (
            queue("arn:aws:sqs:us-east-1:123456789012:in.take"),
            "channels[0].queue_arn: 'arn:aws:sqs:us-east-1:123456789012:in.take' names queue 'in.take'; allowed: a "
            "queue name of 1 to 80 letters, digits, hyphens and underscores (a FIFO queue's ending in .fifo)",
        ),
        (
            queue("arn:aws:sqs:us-east-1:123456789012:" + "q" * 81),
            f"channels[0].queue_arn: 'arn:aws:sqs:us-east-1:123456789012:{'q' * 81}' names queue '{'q' * 81}'; "
            "allowed: a queue name of 1 to 80 letters, digits, hyphens and underscores (a FIFO queue's ending in .fifo)",
        ),
        (
            f"topic_encryption:\n  existing_kms_key_arns:\n    us-east-1: {KEY.replace(':aws:', ':aws-cn:')}\n",
            f"topic_encryption.existing_kms_key_arns.us-east-1: '{KEY.replace(':aws:', ':aws-cn:')}' is in partition "
            f"aws-cn, but region us-east-1 is in partition aws {OTHER_PARTITION}; allowed: {KEY_ALLOWED}",
        ),
        (
            f"topic_encryption:\n  existing_kms_key_arns:\n    us-east-1: |\n      {KEY}\n",
            f"topic_encryption.existing_kms_key_arns.us-east-1: '{KEY}\\n' {LINE_BREAK}; allowed: {KEY_ALLOWED}",
        ),
        (
            "delivery:\n  alarm_actions:\n    us-east-1: [arn:aws-us-gov:sns:us-east-1:123456789012:oncall]\n",
            "delivery.alarm_actions.us-east-1[0]: 'arn:aws-us-gov:sns:us-east-1:123456789012:oncall' is in partition "
            f"aws-us-gov, but region us-east-1 is in partition aws {OTHER_PARTITION}; allowed: {ACTION_ALLOWED}",
        ),
        (
            "delivery:\n  alarm_actions:\n    us-east-1: [arn:aws:sqs:us-east-1:123456789012:oncall]\n",
            "delivery.alarm_actions.us-east-1[0]: 'arn:aws:sqs:us-east-1:123456789012:oncall' is an ARN of service "
            f"sqs, which CloudWatch cannot notify; allowed: {ACTION_ALLOWED} (services: autoscaling, lambda, sns, "
            "ssm, ssm-incidents)",
        ),
        # --- Suppression criteria ---
        (
            criterion("typ", "equals", "[Recon:EC2/PortProbeUnprotectedPort]"),
            "suppression_rules[0].criteria.typ: 'typ' is not a finding attribute GuardDuty filters on (did you mean "
            "type?); a filter on it would match nothing; allowed: an attribute of the GuardDuty User Guide's filter "
            "criteria (type, severity, accountId, resource.instanceDetails.instanceId, ...) or "
            f"{OPEN_PATHS}",
        ),
        (
            criterion("resource.eksClusterDetail.name", "equals", "[prod]"),
            "suppression_rules[0].criteria.resource.eksClusterDetail.name: 'resource.eksClusterDetail.name' is not a "
            "finding attribute GuardDuty filters on (did you mean resource.eksClusterDetails.name?); a filter on it "
            "would match nothing; allowed: an attribute of the GuardDuty User Guide's filter criteria (type, "
            f"severity, accountId, resource.instanceDetails.instanceId, ...) or {OPEN_PATHS}",
        ),
        (
            criterion("zzzz", "equals", "[x]"),
            "suppression_rules[0].criteria.zzzz: 'zzzz' is not a finding attribute GuardDuty filters on; a filter "
            "on it would match nothing; allowed: an attribute of the GuardDuty User Guide's filter criteria (type, "
            "severity, accountId, resource.instanceDetails.instanceId, ...) or "
            f"{OPEN_PATHS}",
        ),
        (
            criterion("severity", "less_than", "HIGH"),
            "suppression_rules[0].criteria.severity.less_than: 'HIGH' is a severity word, not a number (did you "
            "mean 7, where HIGH starts?); allowed: a number from 1 to 10",
        ),
        (
            criterion("severity", "less_than", "11"),
            "suppression_rules[0].criteria.severity.less_than: 11 is out of range; allowed: a number from 1 to 10",
        ),
        (
            criterion("severity", "less_than", ".inf"),
            "suppression_rules[0].criteria.severity.less_than: .inf is not a finite number; allowed: a number "
            "(severity, count) or a timestamp such as 2026-01-01T00:00:00Z",
        ),
        (
            criterion("type", "greater_than", "3"),
            "suppression_rules[0].criteria.type.greater_than: type holds text, which GuardDuty cannot compare; "
            "allowed: equals or not_equals",
        ),
        (
            criterion("updatedAt", "greater_than", "yesterday"),
            "suppression_rules[0].criteria.updatedAt.greater_than: 'yesterday' is not a timestamp; allowed: a "
            "timestamp such as 2026-01-01T00:00:00Z, or milliseconds since 1970 (a whole number)",
        ),
        (
            criterion("service.action.networkConnectionAction.localPortDetails.port", "equals", "[70000]"),
            "suppression_rules[0].criteria.service.action.networkConnectionAction.localPortDetails.port.equals: "
            "70000 is out of range; allowed: a port number from 0 to 65535",
        ),
        # --- Numbers finite, names without a line break ---
        ("severity_threshold: .nan\n", f"severity_threshold: .nan is not a finite number; allowed: {SEVERITY_ALLOWED}"),
        ("severity_threshold: .inf\n", f"severity_threshold: .inf is not a finite number; allowed: {SEVERITY_ALLOWED}"),
        (
            "delivery:\n  maximum_event_age_seconds: .nan\n",
            "delivery.maximum_event_age_seconds: .nan is not a finite number; allowed: an integer from 60 (1 minute) to "
            "86400 (24 hours), EventBridge's bounds",
        ),
        (
            "channels:\n  - kind: webhook\n    url: https://hooks.example.com/x\n    severity_threshold: -.inf\n",
            f"channels[0].severity_threshold: -.inf is not a finite number; allowed: {SEVERITY_ALLOWED}",
        ),
        (
            "channels:\n  - kind: slack_webhook\n    url_ssm_parameter: /a/b\n    name: |\n      chat\n",
            f"channels[0].name: 'chat\\n' {LINE_BREAK}; allowed: 2 to 32 lowercase letters, digits and hyphens, "
            "starting with a letter",
        ),
    ],
)
def test_rejects_a_value_that_is_not_what_its_setting_holds(tmp_path: Path, extra: str, expected: str) -> None:
    assert problems_of(tmp_path, BASE + extra) == [expected]


def test_rejects_a_name_written_as_a_literal_block(tmp_path: Path) -> None:
    # Before: the schema's `$` matched before the newline, then cdktf refused the stack id with a traceback.
    text = "name: |\n  ga\nregions: [us-east-1]\nrecipients: [a@example.com]\n"
    assert problems_of(tmp_path, text) == [
        f"name: 'ga\\n' {LINE_BREAK}; allowed: 2 to 40 lowercase letters, digits and hyphens, starting with a "
        "letter, not ending with a hyphen"
    ]


@pytest.mark.parametrize(
    "extra",
    [
        webhook("https://hooks.example.com:8443/guardduty?key=abc"),
        webhook("https://8.8.8.8/hook"),
        queue("arn:aws:sqs:us-east-1:123456789012:intake.fifo"),
        criterion("service.additionalInfo.sample", "equals", "['true']"),
        criterion("updatedAt", "greater_than", "'2026-01-01T00:00:00Z'"),
        criterion("severity", "greater_than_or_equal", "7.5"),
        criterion("resource.instanceDetails.outpostARN", "equals", "[x]"),
        criterion("resource.eksClusterDetails.name", "equals", "[prod]"),
        criterion("service.action.awsApiCallAction.errorCode", "equals", "[AccessDenied]"),
    ],
)
def test_accepts_values_that_are_what_their_setting_holds(tmp_path: Path, extra: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(BASE + extra)
    assert load_config(path).name == "ga"


# --- The construct without YAML: the same checks, with prop paths ----------------------------------------------


def test_the_library_checks_channels_without_yaml() -> None:
    channels = [
        WebhookChannel(url="https://hooks.example.com/x\n"),
        SqsChannel(queue_arn="arn:aws-cn:sqs:us-east-1:123456789012:intake"),
    ]
    assert channel_problems(channels, region="us-east-1") == [
        f"channels[0].url: 'https://hooks.example.com/x\\n' {LINE_BREAK}; allowed: {URL_ALLOWED}",
        "channels[1].queue_arn: 'arn:aws-cn:sqs:us-east-1:123456789012:intake' is in partition aws-cn, but region "
        f"us-east-1 is in partition aws {OTHER_PARTITION}; allowed: {SQS_ALLOWED}",
    ]


def test_the_library_checks_suppression_rules_without_yaml() -> None:
    rules = [
        SuppressionRule(name="scanner", criteria={"typ": {"equals": ["x"]}}),
        SuppressionRule(name="scanner", criteria={"severity": {"less_than": float("nan")}}),
    ]
    assert suppression_rule_problems(rules) == [
        "suppression_rules[0].criteria.typ: 'typ' is not a finding attribute GuardDuty filters on (did you mean "
        "type?); a filter on it would match nothing; allowed: an attribute of the GuardDuty User Guide's filter "
        f"criteria (type, severity, accountId, resource.instanceDetails.instanceId, ...) or {OPEN_PATHS}",
        "suppression_rules[1].name: 'scanner' repeats suppression_rules[0]; allowed: each name once (it names the "
        "GuardDuty filter)",
        "suppression_rules[1].criteria.severity.less_than: nan is not a finite number; allowed: a number from 1 to 10",
    ]


def test_rejects_non_finite_numbers_line_breaks_and_foreign_partitions_as_props() -> None:
    app = CdktfTesting.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region="us-east-1")
    with pytest.raises(InvalidPropsError) as caught:
        GuardDutyAlerts(
            stack,
            "alerts",
            recipients=["a@example.com"],
            name="alerts\n",
            severity_threshold=float("nan"),
            maximum_event_age_seconds=float("inf"),  # type: ignore[arg-type]
            existing_kms_key_arn=KEY.replace(":aws:", ":aws-cn:"),
            alarm_actions=["arn:aws:sns:us-east-1:123456789012:oncall\n"],
            suppression_rules=[SuppressionRule(name="sev", criteria={"severity": {"less_than": "HIGH"}})],
        )
    assert caught.value.problems == (
        f"severity_threshold: nan is out of range; allowed: {SEVERITY_ALLOWED}",
        f"name: 'alerts\\n' {LINE_BREAK}; allowed: 2 to 40 lowercase letters, digits and hyphens",
        "suppression_rules[0].criteria.severity.less_than: 'HIGH' is a severity word, not a number (did you mean "
        "7, where HIGH starts?); allowed: a number from 1 to 10",
        f"existing_kms_key_arn: '{KEY.replace(':aws:', ':aws-cn:')}' is in partition aws-cn, but region us-east-1 "
        f"is in partition aws {OTHER_PARTITION}; allowed: {KEY_ALLOWED}",
        "maximum_event_age_seconds: inf is not allowed; allowed: an integer from 60 (1 minute) to 86400 (24 hours), "
        "EventBridge's bounds",
        f"alarm_actions[0]: 'arn:aws:sns:us-east-1:123456789012:oncall\\n' {LINE_BREAK}; allowed: {ACTION_ALLOWED}",
    )


def test_a_loopback_webhook_is_refused_on_aws_and_allowed_when_every_call_goes_to_a_local_emulator() -> None:
    # SNS delivers from AWS's network: 127.0.0.1 is never the receiver there. A local emulator (moto) delivers from
    # this machine, so with the stack's SNS endpoint on a loopback address the receiver is reachable.
    from cdktf_cdktf_provider_aws.provider import AwsProviderEndpoints

    url = "https://127.0.0.1:8443/guardduty"
    expected = f"channels[0].url: '{url}' points at 127.0.0.1, an address that is not public; allowed: {URL_ALLOWED}"
    for endpoint, problems in [
        (None, [expected]),
        ("https://sns.example.com", [expected]),
        ("http://127.0.0.1:5000", []),
        ("http://localhost:5000", []),
    ]:
        stack = TerraformStack(CdktfTesting.app(), "stack")
        endpoints = [AwsProviderEndpoints(sns=endpoint)] if endpoint else None
        AwsProvider(stack, "aws", region="us-east-1", endpoints=endpoints)
        if problems:
            with pytest.raises(InvalidPropsError) as caught:
                GuardDutyAlerts(stack, "alerts", recipients=["a@example.com"], channels=[WebhookChannel(url=url)])
            assert list(caught.value.problems) == problems, endpoint
        else:
            GuardDutyAlerts(stack, "alerts", recipients=["a@example.com"], channels=[WebhookChannel(url=url)])


def test_a_private_webhook_stays_refused_with_a_local_emulator() -> None:
    assert channel_problems([WebhookChannel(url="https://[fd00::7]/x")], region=None, emulated=True) == [
        f"channels[0].url: 'https://[fd00::7]/x' points at fd00::7, an address that is not public; allowed: {URL_ALLOWED}"
    ]


def test_a_config_with_a_local_emulator_endpoint_may_name_a_loopback_webhook(tmp_path: Path) -> None:
    text = BASE + "channels:\n  - kind: webhook\n    url: https://127.0.0.1:8443/guardduty\n"
    assert problems_of(tmp_path, text) == [
        "channels[0].url: 'https://127.0.0.1:8443/guardduty' points at 127.0.0.1, an address that is not public; "
        f"allowed: {URL_ALLOWED}"
    ]
    path = tmp_path / "emulated.yaml"
    path.write_text(text + "provider:\n  endpoint_url: http://127.0.0.1:5000\n")
    (channel,) = load_config(path).channels
    assert channel.url == "https://127.0.0.1:8443/guardduty"

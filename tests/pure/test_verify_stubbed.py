"""verify's checks on answers moto cannot give, STUBBED with botocore's Stubber (no emulator, no network):
real boto3 clients whose responses and errors are set by each test, in the shapes AWS documents.

What is stubbed and why: a subscription pending confirmation (moto confirms every subscription at once),
access denials with each service's own error code (moto answers every denial with a generic XML error),
CloudWatch metrics and alarm states (moto publishes no metrics of AWS/Events, AWS/SNS or AWS/SQS and never
evaluates alarms), CreateSampleFindings (not implemented by moto) and TestEventPattern (a stub in moto).
The emulator tests (tests/terraform/test_verify_terraform.py) cover the rest on a real deployment.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from guardduty_alerts.naming import rule_name
from guardduty_alerts.protection import ProtectionPlan, ProtectionPlans, RuntimeAgent
from guardduty_alerts_review.alerting import StackAlerting
from guardduty_alerts_review.preview import load_events, pattern_matches
from guardduty_alerts_review.preview_aws import compare_with_eventbridge
from guardduty_alerts_review.verify import (
    DeliveryExpectation,
    DetectorExpectation,
    ForwardingExpectation,
    StackExpectation,
    render_json,
    render_text,
    verify,
)
from guardduty_alerts_review.verify.aws import AwsCallFailed, Clients, call
from guardduty_alerts_review.verify.checks import (
    check_detector,
    check_forwarding_rule,
    check_protection_plans,
    check_rules,
    check_subscriptions,
    check_topic,
    check_topic_policy,
)
from guardduty_alerts_review.verify.context import StackContext, run_check
from guardduty_alerts_review.verify.delivery import check_alarms, check_dead_letter_queue, check_failed_invocations
from guardduty_alerts_review.verify.sample import MARKED, send_samples
from helpers import FINDINGS_DIR

ACCOUNT = "123456789012"
REGION = "us-east-1"
IDENTITY = f"arn:aws:sts::{ACCOUNT}:assumed-role/verify/guardduty-alerts-verify"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:guardduty-alerts"
DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"
NOW = datetime.datetime(2025, 5, 1, 12, 0, 30, tzinfo=datetime.UTC)


def alerting_stack(**overrides: Any) -> StackExpectation:
    name = overrides.pop("name", "guardduty-alerts-us-east-1")
    alerting = StackAlerting(
        name=name,
        region=REGION,
        alerts_name="guardduty-alerts",
        severity_threshold=overrides.pop("severity_threshold", "HIGH"),
        recipients=("security-team@example.com", "oncall@example.com"),
    )
    return StackExpectation(
        name=name,
        region=REGION,
        detector=overrides.pop("detector", DetectorExpectation("FIFTEEN_MINUTES")),
        alerting=alerting,
        delivery=DeliveryExpectation(),
        **overrides,
    )


class FakeTime:
    """A clock and a sleep that only move when told to: the sample's polling without waiting."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def now(self) -> datetime.datetime:
        return NOW + datetime.timedelta(seconds=self.elapsed)


class StubbedAws:
    """Real boto3 clients, one per service, each with an active Stubber."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}
        self.time = FakeTime()

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = boto3.client(
                service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
            )
            self.stubbers[service] = Stubber(self.clients[service])
            self.stubbers[service].activate()
        return self.clients[service]

    def __getitem__(self, service: str) -> Stubber:
        self.client(service)
        return self.stubbers[service]

    def context(self, expectation: StackExpectation) -> StackContext:
        return StackContext(
            expectation, Clients(self.client), now=self.time.now, account_id=ACCOUNT, identity=IDENTITY
        )


@pytest.fixture
def aws() -> Iterator[StubbedAws]:
    stubbed = StubbedAws()
    yield stubbed
    for stubber in stubbed.stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def subscription(endpoint: str, arn: str, protocol: str = "email") -> dict[str, str]:
    return {"SubscriptionArn": arn, "Owner": ACCOUNT, "Protocol": protocol, "Endpoint": endpoint, "TopicArn": TOPIC}


# --- subscriptions -----------------------------------------------------------------------------------------------


def test_fails_naming_each_recipient_whose_subscription_is_pending_confirmation(aws: StubbedAws) -> None:
    sns = aws["sns"]
    sns.add_response("get_topic_attributes", {"Attributes": {"TopicArn": TOPIC}}, {"TopicArn": TOPIC})
    siem = f"arn:aws:sqs:{REGION}:{ACCOUNT}:siem"
    sns.add_response(
        "list_subscriptions_by_topic",
        {
            "Subscriptions": [
                # Real AWS lists an unconfirmed subscription with this placeholder instead of an ARN ...
                subscription("oncall@example.com", "PendingConfirmation"),
                # ... and one created with ReturnSubscriptionArn (Terraform) with its ARN, pending all the same.
                subscription("Security-Team@example.com", f"{TOPIC}:1111"),
                subscription(siem, f"{TOPIC}:2222", protocol="sqs"),
            ]
        },
        {"TopicArn": TOPIC},
    )
    sns.add_response(
        "get_subscription_attributes",
        {"Attributes": {"PendingConfirmation": "true"}},
        {"SubscriptionArn": f"{TOPIC}:1111"},
    )
    result = check_subscriptions(aws.context(alerting_stack()))
    assert not result.passed
    assert result.found == (
        "security-team@example.com has not confirmed the subscription: nothing is mailed to it",
        "oncall@example.com has not confirmed the subscription: nothing is mailed to it",
        f"also subscribed, not in the configuration: sqs {siem}",
    )
    apply = "apply stack guardduty-alerts-us-east-1 (terraform -chdir=cdktf.out/stacks/guardduty-alerts-us-east-1 apply)"
    assert result.fix == tuple(
        f"{address}: open the mail 'AWS Notification - Subscription Confirmation' and click 'Confirm subscription' "
        f"(the link expires after 3 days; then {apply} to send a new one)"
        for address in ("security-team@example.com", "oncall@example.com")
    )


def test_passes_when_every_recipient_has_confirmed(aws: StubbedAws) -> None:
    sns = aws["sns"]
    sns.add_response("get_topic_attributes", {"Attributes": {"TopicArn": TOPIC}}, {"TopicArn": TOPIC})
    sns.add_response(
        "list_subscriptions_by_topic",
        {
            "Subscriptions": [
                subscription("security-team@example.com", f"{TOPIC}:1111"),
                subscription("oncall@example.com", f"{TOPIC}:3333"),
            ]
        },
        {"TopicArn": TOPIC},
    )
    for arn in (f"{TOPIC}:1111", f"{TOPIC}:3333"):
        sns.add_response(
            "get_subscription_attributes", {"Attributes": {"PendingConfirmation": "false"}}, {"SubscriptionArn": arn}
        )
    result = check_subscriptions(aws.context(alerting_stack()))
    assert result.passed
    assert result.found == ("confirmed: security-team@example.com, oncall@example.com",)


# --- topic encryption and policy ------------------------------------------------------------------------------


def test_fails_a_topic_encrypted_with_another_key_than_the_configured_one(aws: StubbedAws) -> None:
    other = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
    created = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/66666666-7777-8888-9999-000000000000"
    aws["sns"].add_response(
        "get_topic_attributes", {"Attributes": {"TopicArn": TOPIC, "KmsMasterKeyId": other}}, {"TopicArn": TOPIC}
    )
    for key, arn in ((other, other), ("alias/guardduty-alerts", created)):
        aws["kms"].add_response("describe_key", {"KeyMetadata": {"KeyId": arn[-36:], "Arn": arn}}, {"KeyId": key})
    result = check_topic(aws.context(alerting_stack()))
    assert result.found == (f"topic {TOPIC} is encrypted with {other}; configured: alias/guardduty-alerts ({created})",)


def topic_policy(source_arns: dict[str, list[str]]) -> str:
    return json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": TOPIC,
                    "Condition": source_arns,
                },
                # A conditional deny (the TLS one) does not take EventBridge's permission away.
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "sns:*",
                    "Resource": TOPIC,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ]
        }
    )


def test_fails_naming_each_rule_the_topic_policy_does_not_let_publish(aws: StubbedAws) -> None:
    expectation = alerting_stack()
    names = list(expectation.rule_names.values())
    arns = [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}" for name in names]
    policy = topic_policy({"ArnEquals": {"aws:SourceArn": arns[1:]}})
    aws["sns"].add_response("get_topic_attributes", {"Attributes": {"Policy": policy}}, {"TopicArn": TOPIC})
    result = check_topic_policy(aws.context(expectation))
    assert result.found == (f"events.amazonaws.com may not publish for rule {names[0]} (aws:SourceArn)",)


def test_passes_a_topic_policy_that_lets_every_rule_publish_through_a_wildcard(aws: StubbedAws) -> None:
    expectation = alerting_stack()
    policy = topic_policy({"ArnLike": {"aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/guardduty-alerts-*"}})
    aws["sns"].add_response("get_topic_attributes", {"Attributes": {"Policy": policy}}, {"TopicArn": TOPIC})
    result = check_topic_policy(aws.context(expectation))
    assert result.passed
    assert result.found == (
        f"events.amazonaws.com may publish for each of the {len(expectation.rule_names)} rules (aws:SourceArn)",
    )


def test_with_the_subject_formatter_the_rule_targets_the_function_and_carries_no_template(aws: StubbedAws) -> None:
    alerting = StackAlerting(
        name="s", region=REGION, alerts_name="guardduty-alerts", severity_threshold="HIGH", subject_formatter=True
    )
    expectation = StackExpectation(
        name="s", region=REGION, detector=DetectorExpectation("FIFTEEN_MINUTES"), alerting=alerting,
        delivery=DeliveryExpectation(),
    )
    (rule,) = expectation.mail_rules  # whatever the construct makes of formatter mode, one rule here
    name = expectation.rule_names[rule.key]
    events = aws["events"]
    events.add_response(
        "describe_rule", {"Name": name, "State": "ENABLED", "EventPattern": rule.pattern_json()}, {"Name": name}
    )
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:guardduty-alerts-formatter"
    target = {
        "Id": "subject-formatter",
        "Arn": function,
        "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185},
        "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:guardduty-alerts-dead-letters"},
    }
    events.add_response("list_targets_by_rule", {"Targets": [target]}, {"Rule": name})
    events.add_response("list_rules", {"Rules": [{"Name": name}]}, {"NamePrefix": "guardduty-alerts-"})
    aws["sns"].add_response("get_topic_attributes", {"Attributes": {"Policy": "{}"}}, {"TopicArn": TOPIC})
    context = aws.context(expectation)
    rules = check_rules(context)
    assert rules.passed, rules.found
    assert rules.found == (
        f"rule {name} is ENABLED with the configured pattern, a target on the formatter, the retry policy and the "
        "dead-letter queue",
    )
    policy = check_topic_policy(context)
    assert policy.passed
    assert policy.found == ("the subject formatter publishes to the topic; the permission of its role is not checked here",)


# --- access denied -------------------------------------------------------------------------------------------------

DENIALS = [
    # service, first call of the check, the service's own error code, check, IAM action named
    ("guardduty", "list_detectors", "AccessDeniedException", 403, "detector", check_detector, "guardduty:ListDetectors"),
    ("sns", "get_topic_attributes", "AuthorizationError", 403, "topic", check_topic, "sns:GetTopicAttributes"),
    ("events", "describe_rule", "AccessDeniedException", 400, "rules", check_rules, "events:DescribeRule"),
    ("sqs", "get_queue_url", "AccessDenied", 403, "dead-letter-queue", check_dead_letter_queue, "sqs:GetQueueUrl"),
    ("cloudwatch", "describe_alarms", "AccessDenied", 403, "alarms", check_alarms, "cloudwatch:DescribeAlarms"),
]


@pytest.mark.parametrize(("service", "method", "code", "status", "check", "function", "action"), DENIALS)
def test_fails_naming_the_action_and_the_permission_when_access_is_denied(
    aws: StubbedAws, service: str, method: str, code: str, status: int, check: str, function: Any, action: str
) -> None:
    message = f"User: {IDENTITY} is not authorized to perform: {action}"
    aws[service].add_client_error(method, service_error_code=code, service_message=message, http_status_code=status)
    result = run_check(check, function, aws.context(alerting_stack()))
    assert not result.passed
    assert result.found == (f"could not check: access denied to {action} ({code}: {message})",)
    assert result.fix == (
        f"allow {action} for {IDENTITY} (docs/verify.md, 'The IAM policy for verify', has the whole read-only policy)",
    )


def test_fails_the_stack_with_the_trust_policy_to_fix_when_its_role_cannot_be_assumed(aws: StubbedAws) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/GuardDutyAlertsDeploy"
    message = f"User: arn:aws:iam::999999999999:user/ci is not authorized to perform: sts:AssumeRole on resource: {role}"
    aws["sts"].add_client_error("assume_role", service_error_code="AccessDenied", service_message=message, http_status_code=403)

    def connector(*, region: str, endpoint_url: str | None, role_arn: str | None) -> Clients:
        call(aws.client("sts"), "assume_role", RoleArn=role_arn, RoleSessionName="guardduty-alerts-verify")
        raise AssertionError("unreachable: the role is refused")

    report = verify([alerting_stack(account_id=ACCOUNT, role_arn=role)], connector=connector)
    (stack,) = report.stacks
    assert not report.passed
    assert [check.as_dict() for check in stack.checks] == [
        {
            "check": "access",
            "passed": False,
            "found": [f"could not assume role {role}: access denied to sts:AssumeRole (AccessDenied: {message})"],
            "fix": [
                f"the trust policy of {role} must let the credentials in use assume it, and they need sts:AssumeRole "
                "on it"
            ],
        }
    ]


def test_fails_when_the_credentials_reach_another_account(aws: StubbedAws) -> None:
    aws["sts"].add_response(
        "get_caller_identity",
        {"UserId": "AIDA", "Account": "999999999999", "Arn": "arn:aws:iam::999999999999:user/ci"},
    )
    report = verify([alerting_stack(account_id=ACCOUNT)], connector=lambda **_: Clients(aws.client))
    (stack,) = report.stacks
    (access,) = stack.checks  # nothing else is read in the wrong account
    assert access.found == (
        f"the credentials reach account 999999999999 as arn:aws:iam::999999999999:user/ci, not account {ACCOUNT}",
    )


def test_fails_when_the_credentials_reach_another_account_and_names_both_in_words(aws: StubbedAws) -> None:
    aws["sts"].add_response(
        "get_caller_identity",
        {"UserId": "AIDA", "Account": "999999999999", "Arn": "arn:aws:iam::999999999999:user/ci"},
    )
    names = {ACCOUNT: "payments-prod", "999999999999": "sandbox"}
    report = verify([alerting_stack(account_id=ACCOUNT, account_names=names)], connector=lambda **_: Clients(aws.client))
    (stack,) = report.stacks
    (access,) = stack.checks
    assert access.found == (
        "the credentials reach account sandbox (999999999999) as arn:aws:iam::999999999999:user/ci, not account "
        f"payments-prod ({ACCOUNT})",
    )
    assert access.fix == (f"use credentials (or accounts[].role_arn) for account payments-prod ({ACCOUNT})",)
    assert render_text(report).splitlines()[0] == (
        f"stack guardduty-alerts-us-east-1 (account payments-prod ({ACCOUNT}), region us-east-1)"
    )
    assert f'"account": "{ACCOUNT}"' in render_json(report)  # the JSON keeps the id alone


# --- detector and protection plans ---------------------------------------------------------------------------------


def test_passes_an_adopted_detector_whatever_its_frequency_and_fails_plans_that_differ(aws: StubbedAws) -> None:
    plans = ProtectionPlans(
        plans={ProtectionPlan.S3_DATA_EVENTS: True, ProtectionPlan.RUNTIME_MONITORING: True},
        runtime_agents={RuntimeAgent.EKS_ADDON_MANAGEMENT: True},
    )
    expectation = alerting_stack(detector=DetectorExpectation("FIFTEEN_MINUTES", DETECTOR, plans))
    aws["guardduty"].add_response(
        "get_detector",
        {
            "Status": "ENABLED",
            "ServiceRole": "role",
            "FindingPublishingFrequency": "SIX_HOURS",
            "Features": [
                {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
                {
                    "Name": "RUNTIME_MONITORING",
                    "Status": "ENABLED",
                    "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"}],
                },
            ],
        },
        {"DetectorId": DETECTOR},
    )
    context = aws.context(expectation)
    detector = check_detector(context)
    assert detector.passed
    assert detector.found == (
        f"detector {DETECTOR} is ENABLED; adopted (detector.existing_detector_ids), so its publishing frequency "
        "(SIX_HOURS) is managed elsewhere",
    )
    plans_result = check_protection_plans(context)
    assert not plans_result.passed
    assert plans_result.found == ("runtime_monitoring.eks_addon_management is DISABLED; configured: ENABLED",)


def test_fails_an_adopted_detector_id_that_is_not_in_the_account(aws: StubbedAws) -> None:
    message = "The request is rejected because the input detectorId is not owned by the current account."
    aws["guardduty"].add_client_error(
        "get_detector", service_error_code="BadRequestException", service_message=message, http_status_code=400
    )
    result = check_detector(aws.context(alerting_stack(detector=DetectorExpectation("ONE_HOUR", DETECTOR))))
    assert result.found == (
        f"the adopted detector {DETECTOR} (detector.existing_detector_ids.{REGION}) is not in account {ACCOUNT}, "
        f"region {REGION}: {message}",
    )


# --- forwarding stacks -------------------------------------------------------------------------------------------------


def forwarding_stack() -> StackExpectation:
    return StackExpectation(
        name="guardduty-alerts-us-east-1",
        region=REGION,
        detector=DetectorExpectation("FIFTEEN_MINUTES"),
        forwarding=ForwardingExpectation(alerts_name="guardduty-alerts", home_region="eu-west-1"),
    )


@pytest.mark.parametrize("state", ["ENABLED", "DISABLED"])
def test_checks_that_a_forwarding_rule_sends_every_finding_to_the_home_bus(aws: StubbedAws, state: str) -> None:
    name = "guardduty-alerts-to-eu-west-1"
    pattern = '{"detail-type": ["GuardDuty Finding"], "source": ["aws.guardduty"]}'
    aws["events"].add_response("describe_rule", {"Name": name, "State": state, "EventPattern": pattern}, {"Name": name})
    bus = f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default"
    aws["events"].add_response(
        "list_targets_by_rule",
        {"Targets": [{"Id": "home-region-bus", "Arn": bus, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/fwd"}]},
        {"Rule": name},
    )
    result = check_forwarding_rule(aws.context(forwarding_stack()))
    if state == "ENABLED":
        assert result.passed
        assert result.found == (f"rule {name} is ENABLED and forwards every finding to {bus}",)
    else:
        assert result.found == (f"rule {name} is DISABLED: it sends nothing",)
        assert result.fix == (f"aws events enable-rule --region {REGION} --name {name}",)


# --- CloudWatch: alarms, failed invocations, dead-letter age -----------------------------------------------------


def alarm(name: str, state: str, actions: tuple[str, ...] = (TOPIC,)) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "StateValue": state,
        "StateReason": "Threshold Crossed: 1 datapoint [2.0] > 0.0",
        "AlarmActions": list(actions),
    }


def test_passes_alarms_that_have_not_been_evaluated_yet_and_says_so(aws: StubbedAws) -> None:
    expectation = alerting_stack()
    names = list(expectation.alarm_names)
    aws["cloudwatch"].add_response(
        "describe_alarms",
        {"MetricAlarms": [alarm(names[0], "INSUFFICIENT_DATA")] + [alarm(name, "OK") for name in names[1:]]},
        {"AlarmNames": names},
    )
    result = check_alarms(aws.context(expectation))
    assert result.passed
    assert result.found == (
        f"{len(names) - 1} of {len(names)} alarms OK",
        f"not evaluated yet (INSUFFICIENT_DATA, usual for a few minutes after creation): {names[0]}",
    )


def test_passes_with_a_warning_for_each_alarm_that_notifies_nobody(aws: StubbedAws) -> None:
    expectation = alerting_stack()
    names = list(expectation.alarm_names)
    aws["cloudwatch"].add_response(
        "describe_alarms",
        {"MetricAlarms": [alarm(names[0], "OK", actions=()), *(alarm(name, "OK") for name in names[1:])]},
        {"AlarmNames": names},
    )
    result = check_alarms(aws.context(expectation))
    assert result.passed
    assert result.found == (
        f"{len(names)} of {len(names)} alarms OK",
        f"warning: alarm {names[0]} has no action: nobody is notified when it fires (alarm_actions)",
    )


def test_fails_naming_each_rule_with_failed_invocations_in_the_last_day(aws: StubbedAws) -> None:
    expectation = alerting_stack()
    rules = list(expectation.rule_names.values())
    queries = [
        {
            "Id": f"r{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Events",
                    "MetricName": "FailedInvocations",
                    "Dimensions": [{"Name": "RuleName", "Value": name}],
                },
                "Period": 3600,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for index, name in enumerate(rules)
    ]
    results = [{"Id": f"r{index}", "Values": []} for index in range(len(rules))]
    results[-1]["Values"] = [2.0, 1.0]
    aws["cloudwatch"].add_response(
        "get_metric_data",
        {"MetricDataResults": results},
        {"MetricDataQueries": queries, "StartTime": NOW - datetime.timedelta(hours=24), "EndTime": NOW},
    )
    result = check_failed_invocations(aws.context(expectation))
    assert not result.passed
    assert result.found == (f"rule {rules[-1]} failed to deliver 3 times in the last 24 hours",)


def test_fails_with_the_count_and_the_age_of_the_oldest_dead_letter(aws: StubbedAws) -> None:
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/guardduty-alerts-dead-letters"
    aws["sqs"].add_response("get_queue_url", {"QueueUrl": url}, {"QueueName": "guardduty-alerts-dead-letters"})
    aws["sqs"].add_response(
        "get_queue_attributes",
        {"Attributes": {"ApproximateNumberOfMessages": "2", "ApproximateNumberOfMessagesNotVisible": "1"}},
        {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]},
    )
    age_query = {
        "Id": "age",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [{"Name": "QueueName", "Value": "guardduty-alerts-dead-letters"}],
            },
            "Period": 300,
            "Stat": "Maximum",
        },
        "ReturnData": True,
    }
    aws["cloudwatch"].add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "age", "Values": [7260.0, 7000.0]}]},
        {"MetricDataQueries": [age_query], "StartTime": NOW - datetime.timedelta(hours=1), "EndTime": NOW},
    )
    result = check_dead_letter_queue(aws.context(alerting_stack()))
    assert result.found == ("3 undelivered findings in queue guardduty-alerts-dead-letters; the oldest is 2 h 1 min old",)
    assert result.fix[0].startswith(f"read them: aws sqs receive-message --region {REGION} --queue-url {url} ")

def test_fails_failed_deliveries_of_rules_that_do_not_exist_instead_of_passing_them(aws: StubbedAws) -> None:
    # After a destroy the rules check finds no rule; "no failed invocations of the 3 rules" would read as a pass
    # of rules that are not there (issue 21).
    expectation = alerting_stack()
    rules = list(expectation.rule_names.values())
    context = aws.context(expectation)
    context.missing_rules.update(rules)
    result = check_failed_invocations(context)  # no CloudWatch call is stubbed: none may be made
    assert not result.passed
    assert result.found == (f"not checked: none of the {len(rules)} rules exists (see above)",)
    assert result.fix == (
        "apply stack guardduty-alerts-us-east-1 (terraform -chdir=cdktf.out/stacks/guardduty-alerts-us-east-1 apply)",
    )


def test_fails_failed_deliveries_naming_the_missing_rule_and_checks_the_others(aws: StubbedAws) -> None:
    expectation = alerting_stack()
    rules = list(expectation.rule_names.values())
    assert len(rules) > 2, "the example has a rule per band"
    context = aws.context(expectation)
    context.missing_rules.add(rules[0])
    aws["cloudwatch"].add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": f"r{index}", "Values": []} for index in range(len(rules) - 1)]},
        {"MetricDataQueries": ANY, "StartTime": NOW - datetime.timedelta(hours=24), "EndTime": NOW},
    )
    result = check_failed_invocations(context)
    assert not result.passed
    assert result.found == (
        f"no failed invocations of the {len(rules) - 1} rules in the last 24 hours",
        f"not checked: rule {rules[0]} does not exist (see above)",
    )


# --- --send-sample -----------------------------------------------------------------------------------------------


def metric_results(expectation: StackExpectation, rule: str | None, **sns: int) -> dict[str, Any]:
    """GetMetricData's answer for the sample's queries: 1 match and invocation for `rule`, SNS counts as given."""
    results = []
    for index, name in enumerate(expectation.rule_names.values()):
        for metric in ("matchedevents", "invocations", "failedinvocations"):
            hit = name == rule and metric != "failedinvocations"
            results.append({"Id": f"{metric}{index}", "Values": [1.0] if hit else []})
    for metric in ("numberofmessagespublished", "numberofnotificationsdelivered", "numberofnotificationsfailed"):
        results.append({"Id": metric, "Values": [float(sns[metric])] if sns.get(metric) else []})
    return {"MetricDataResults": results}


# The sample's queries are counted from the minute it was sent (NOW is 12:00:30).
SINCE_SENT = {"MetricDataQueries": ANY, "StartTime": NOW.replace(second=0), "EndTime": ANY}


def enabled_context(aws: StubbedAws, expectation: StackExpectation) -> StackContext:
    context = aws.context(expectation)
    context.detector, context.detector_id = {"Status": "ENABLED"}, DETECTOR
    return context


def test_sample_of_a_type_at_the_threshold_is_followed_until_delivered(aws: StubbedAws) -> None:
    expectation = alerting_stack(severity_threshold="HIGH")
    aws["guardduty"].add_response(
        "create_sample_findings",
        {},
        {"DetectorId": DETECTOR, "FindingTypes": ["UnauthorizedAccess:EC2/TorClient"]},  # severity 8, HIGH
    )
    rule = list(expectation.rule_names.values())[-1]
    aws["cloudwatch"].add_response("get_metric_data", metric_results(expectation, None), SINCE_SENT)  # nothing yet
    aws["cloudwatch"].add_response(
        "get_metric_data",
        metric_results(expectation, rule, numberofmessagespublished=1, numberofnotificationsdelivered=2),
        SINCE_SENT,
    )
    results = send_samples(
        [enabled_context(aws, expectation)], wait_seconds=600, sleep=aws.time.sleep, clock=aws.time.clock
    )
    result = results[expectation.name]
    assert result.passed
    assert result.found == (
        f"sent UnauthorizedAccess:EC2/TorClient (severity 8) with CreateSampleFindings to detector {DETECTOR} at "
        "12:00:30 UTC",
        f"after 30 s CloudWatch shows: rule {rule} matched 1, invoked 1, failed 0; topic published 1; email "
        "notifications delivered 2, failed 0",
        MARKED,
    )
    assert aws.time.sleeps == [30]


def test_sample_that_never_shows_up_reports_what_was_and_was_not_seen(aws: StubbedAws) -> None:
    expectation = alerting_stack(severity_threshold=5.5)  # a partial MEDIUM band: the first sample at 8
    aws["guardduty"].add_response(
        "create_sample_findings", {}, {"DetectorId": DETECTOR, "FindingTypes": ["UnauthorizedAccess:EC2/TorClient"]}
    )
    rule = next(iter(expectation.rule_names.values()))
    for _ in range(4):  # at 0, 30, 60 and 90 seconds
        aws["cloudwatch"].add_response(
            "get_metric_data", metric_results(expectation, rule, numberofmessagespublished=1), SINCE_SENT
        )
    waiting: list[str] = []
    results = send_samples(
        [enabled_context(aws, expectation)],
        wait_seconds=90,
        sleep=aws.time.sleep,
        clock=aws.time.clock,
        report=waiting.append,
    )
    result = results[expectation.name]
    # While it waits: what has been seen so far and the time left, at every look (issue 21: no silent waits).
    seen = (
        f"{expectation.name}: rule {rule} matched 1, invoked 1, failed 0, topic published 1; email notifications "
        "delivered 0, failed 0"
    )
    assert waiting == [
        f"sample findings: 0 of 1 delivered, {left} s left; waiting for {seen}" for left in (90, 60, 30)
    ]
    assert not result.passed
    assert result.found[1:] == (
        f"after 90 s (--wait) CloudWatch shows: rule {rule} matched 1, invoked 1, failed 0; topic published 1; "
        "email notifications delivered 0, failed 0",
        "not seen: no email was delivered (AWS/SNS NumberOfNotificationsDelivered)",
        MARKED,
    )
    assert aws.time.sleeps == [30, 30, 30]


def test_sample_is_not_sent_without_an_enabled_detector_nor_without_permission(aws: StubbedAws) -> None:
    suspended = aws.context(alerting_stack())
    suspended.detector, suspended.detector_id = {"Status": "DISABLED"}, DETECTOR
    denied = enabled_context(aws, alerting_stack(name="other-stack"))
    message = f"User: {IDENTITY} is not authorized to perform: guardduty:CreateSampleFindings"
    aws["guardduty"].add_client_error(
        "create_sample_findings", service_error_code="AccessDeniedException", service_message=message, http_status_code=403
    )
    results = send_samples([suspended, denied], wait_seconds=60, sleep=aws.time.sleep, clock=aws.time.clock)
    assert results["guardduty-alerts-us-east-1"].found == ("not sent: there is no enabled detector (see the detector check)",)
    assert results["other-stack"].found == (
        f"could not check: access denied to guardduty:CreateSampleFindings (AccessDeniedException: {message})",
    )
    assert aws.time.sleeps == []  # nothing to wait for


# --- preview --aws: TestEventPattern --------------------------------------------------------------------------------


def test_preview_aws_prints_where_eventbridge_disagrees_with_the_local_preview(aws: StubbedAws) -> None:
    stacks = [StackAlerting(name="s", region=REGION, alerts_name="guardduty-alerts", severity_threshold="CRITICAL")]
    events = load_events(FINDINGS_DIR / "panther__AttackSequence_S3_CompromisedData.json") + load_events(
        FINDINGS_DIR / "blu371ck-soar__Recon_EC2_Portscan.json"
    )
    rules = stacks[0].mail_rules()
    flipped = None
    for rule in rules:
        for path, event in events:
            local = pattern_matches(rule.pattern_json(), event)
            answer = local
            if local and flipped is None:  # EventBridge answers otherwise once: the pair that matches locally
                flipped, answer = (rule, path), not local
            aws["events"].add_response(
                "test_event_pattern", {"Result": answer}, {"EventPattern": rule.pattern_json(), "Event": ANY}
            )
    assert flipped is not None, "the CRITICAL finding matches one of the CRITICAL rules locally"
    lines, agreed = compare_with_eventbridge(stacks, events, aws.client("events"), workers=1)
    assert not agreed
    rule, path = flipped
    assert lines == [
        f"== EventBridge TestEventPattern (region {REGION}): {len(rules)} patterns x 2 events ==",
        f"DISAGREE  {path.name}, rule {rule_name('guardduty-alerts', rule.key)}: EventBridge does not match, the "
        "local preview (moto) matches",
        f"1 disagreement and 0 errors in {2 * len(rules)} pattern and event pairs",
    ]


def test_preview_aws_stops_with_the_reason_when_eventbridge_gives_no_answer(aws: StubbedAws) -> None:
    stacks = [StackAlerting(name="s", region=REGION, alerts_name="guardduty-alerts", severity_threshold="CRITICAL")]
    events = load_events(FINDINGS_DIR / "blu371ck-soar__Recon_EC2_Portscan.json")
    message = f"User: {IDENTITY} is not authorized to perform: events:TestEventPattern"
    aws["events"].add_client_error(
        "test_event_pattern", service_error_code="AccessDeniedException", service_message=message, http_status_code=400
    )
    lines, agreed = compare_with_eventbridge(stacks, events, aws.client("events"), workers=1)
    assert not agreed
    assert lines[1:] == [
        f"ERROR  access denied to events:TestEventPattern (AccessDeniedException: {message}); nothing could be compared",
        "       fix: allow events:TestEventPattern for the credentials in use",
    ]


def test_aws_errors_keep_the_code_and_message_and_name_the_iam_action(aws: StubbedAws) -> None:
    aws["kms"].add_client_error("get_key_policy", service_error_code="NotFoundException", service_message="gone")
    with pytest.raises(AwsCallFailed) as raised:
        call(aws.client("kms"), "get_key_policy", KeyId="k", PolicyName="default")
    assert (raised.value.action, raised.value.code, raised.value.message) == ("kms:GetKeyPolicy", "NotFoundException", "gone")
    assert not raised.value.denied


def test_an_emulator_without_the_api_is_named_in_one_line_without_its_web_page() -> None:
    # moto answers an API it does not implement (GuardDuty's CreateSampleFindings) with an HTML "404 Not Found"
    # page; the report says that the step needs real AWS instead of quoting the page (issue 21).
    page = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    failure = AwsCallFailed("guardduty:CreateSampleFindings", "404", page)
    assert failure.sentence() == (
        "guardduty:CreateSampleFindings needs real AWS: the endpoint (an emulator) does not implement it (HTTP 404)"
    )
    assert failure.fix(None) == (
        "run this against a real AWS account (without provider.endpoint_url); the emulator cannot do it"
    )
    # A JSON 404 from a real service keeps its own code and message.
    assert not AwsCallFailed("sns:GetTopicAttributes", "404", "Topic does not exist").not_emulated

"""verify's channel checks, STUBBED with botocore's Stubber: moto has no chat integration (chatbot), no User
Notifications (notifications, notificationscontacts), no API destination state and confirms every subscription
at once. Each response has the shape of botocore's service model for that operation (botocore 1.43:
chatbot DescribeSlackChannelConfigurations / ListMicrosoftTeamsChannelConfigurations, events
DescribeConnection / DescribeApiDestination, sns ListSubscriptionsByTopic / GetSubscriptionAttributes,
notifications ListNotificationHubs / ListNotificationConfigurations / ListEventRules / ListChannels,
notificationscontacts ListEmailContacts); the Stubber refuses any other shape.

AWS rules encoded here, with their sources:
- A chat configuration without a guardrail gets AdministratorAccess (chat API reference, GuardrailPolicyArns:
  "The AWS managed AdministratorAccess policy is applied by default if this is not set"); `State` is DISABLED
  when the organization's chat policy denies the configuration (same reference, State).
- A connection to a public API with an API key is AUTHORIZED when usable and DEAUTHORIZED after an
  authorization failure, for example a 401 from the endpoint (EventBridge user guide, "Connection states in
  EventBridge" and "De-authorizing connections in EventBridge": API destinations on a de-authorized connection
  cannot send requests).
- An HTTPS subscription receives nothing until confirmed; `PendingConfirmation` is "true" meanwhile (SNS
  developer guide, "Fanout to HTTP/S endpoints").
- User Notifications needs at least one notification hub before any configuration ("Storing, processing, and
  replicating notifications using notification hubs": "You must select at least one notification hub before
  you create any notification configurations"), and an email contact is created inactive until its owner
  activates it (API reference, notificationscontacts EmailContact `status`: inactive | active).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from guardduty_alerts.channels import (
    SlackChannel,
    SlackWebhookChannel,
    SqsChannel,
    TeamsChannel,
    UserNotificationsChannel,
    WebhookChannel,
)
from guardduty_alerts_review.alerting import StackAlerting
from guardduty_alerts_review.verify import DeliveryExpectation, DetectorExpectation, StackExpectation
from guardduty_alerts_review.verify.aws import Clients
from guardduty_alerts_review.verify.channels import (
    check_api_destinations,
    check_channel_subscriptions,
    check_chat_configurations,
    check_user_notifications,
)
from guardduty_alerts_review.verify.checks import check_subscriptions
from guardduty_alerts_review.verify.context import StackContext, run_check

ACCOUNT = "123456789012"
REGION = "us-east-1"
NAME = "gd"
APPLY = f"apply stack {NAME}-{REGION} (terraform -chdir=cdktf.out/stacks/{NAME}-{REGION} apply)"
SLACK = SlackChannel(workspace_id="T0123ABCDE", channel_id="C0123ABCDE")
TEAMS = TeamsChannel(
    tenant_id="00000000-0000-0000-0000-000000000000",
    team_id="00000000-0000-0000-0000-000000000001",
    channel_id="19:abc@thread.tacv2",
)
RAW_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{NAME}-raw-medium"
GUARDRAIL = f"arn:aws:iam::{ACCOUNT}:policy/{NAME}-chat-guardrail-{REGION}"
PAGERDUTY = "https://events.pagerduty.com/integration/SECRETKEY/enqueue"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:siem-intake"


def stack(*channels: Any) -> StackExpectation:
    alerting = StackAlerting(
        name=f"{NAME}-{REGION}",
        region=REGION,
        alerts_name=NAME,
        severity_threshold="MEDIUM",
        recipients=("soc@example.com",),
        channels=channels,
    )
    return StackExpectation(
        name=f"{NAME}-{REGION}",
        region=REGION,
        detector=DetectorExpectation("FIFTEEN_MINUTES"),
        alerting=alerting,
        delivery=DeliveryExpectation(),
    )


class StubbedAws:
    """Real boto3 clients, one per service, each with an active Stubber (the stack's region for all)."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}

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
        return StackContext(expectation, Clients(self.client), account_id=ACCOUNT, identity="arn:aws:sts::x")


@pytest.fixture
def aws() -> Iterator[StubbedAws]:
    stubbed = StubbedAws()
    yield stubbed
    for stubber in stubbed.stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


# --- chat configurations -------------------------------------------------------------------------------------------


def slack_configuration(topics: list[str], guardrails: list[str], name: str = f"{NAME}-slack") -> dict[str, Any]:
    return {
        "SlackTeamName": "acme",
        "SlackTeamId": SLACK.workspace_id,
        "SlackChannelId": SLACK.channel_id,
        "SlackChannelName": "security",
        "ChatConfigurationArn": f"arn:aws:chatbot::{ACCOUNT}:chat-configuration/slack-channel/{name}",
        "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-chat",
        "SnsTopicArns": topics,
        "ConfigurationName": name,
        "LoggingLevel": "ERROR",
        "GuardrailPolicyArns": guardrails,
        "UserAuthorizationRequired": False,
        "State": "ENABLED",
    }


def teams_configuration(topics: list[str]) -> dict[str, Any]:
    return {
        "ChannelId": TEAMS.channel_id,
        "TeamId": TEAMS.team_id,
        "TenantId": TEAMS.tenant_id,
        "ChatConfigurationArn": f"arn:aws:chatbot::{ACCOUNT}:chat-configuration/microsoft-teams-channel/{NAME}-t",
        "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-chat",
        "SnsTopicArns": topics,
        "ConfigurationName": f"{NAME}-teams",
        "GuardrailPolicyArns": [GUARDRAIL],
        "State": "ENABLED",
    }


def test_passes_chat_configurations_that_subscribe_to_the_topic_with_the_guardrail(aws: StubbedAws) -> None:
    # The account's home stack holds one configuration per channel for every region's topic: this stack has
    # none of its own, and its topic is among the configuration's.
    other_region = f"arn:aws:sns:eu-west-1:{ACCOUNT}:{NAME}-raw-medium"
    aws["chatbot"].add_response(
        "describe_slack_channel_configurations",
        {"SlackChannelConfigurations": [slack_configuration([other_region, RAW_TOPIC], [GUARDRAIL])]},
        {},
    )
    aws["chatbot"].add_response(
        "list_microsoft_teams_channel_configurations",
        {"TeamChannelConfigurations": [teams_configuration([RAW_TOPIC])]},
        {"TeamId": TEAMS.team_id},
    )
    result = check_chat_configurations(aws.context(stack(SLACK, TEAMS)))
    assert result.passed
    assert result.found == (
        f"Slack channel C0123ABCDE (workspace T0123ABCDE): configuration {NAME}-slack subscribes to topic "
        f"{RAW_TOPIC}, with the guardrail",
        f"Teams channel 19:abc@thread.tacv2 (team {TEAMS.team_id}): configuration {NAME}-teams subscribes to topic "
        f"{RAW_TOPIC}, with the guardrail",
    )


def test_fails_a_chat_channel_without_configuration_or_whose_configuration_misses_the_topic(aws: StubbedAws) -> None:
    other_region = f"arn:aws:sns:eu-west-1:{ACCOUNT}:{NAME}-raw-medium"
    aws["chatbot"].add_response(
        "describe_slack_channel_configurations",
        {"SlackChannelConfigurations": [slack_configuration([other_region], [GUARDRAIL])]},
        {},
    )
    aws["chatbot"].add_response(
        "list_microsoft_teams_channel_configurations", {"TeamChannelConfigurations": []}, {"TeamId": TEAMS.team_id}
    )
    result = check_chat_configurations(aws.context(stack(SLACK, TEAMS)))
    assert not result.passed
    assert result.found == (
        f"Slack channel C0123ABCDE (workspace T0123ABCDE): configuration {NAME}-slack does not subscribe to topic "
        f"{RAW_TOPIC}",
        f"Teams channel 19:abc@thread.tacv2 (team {TEAMS.team_id}) has no chat configuration in account {ACCOUNT}: "
        f"findings published to topic {RAW_TOPIC} reach nobody",
    )
    assert result.fix == (
        "apply the stack that holds the channel's configuration (this one, or the account's home stack when "
        f"configurations are per account); {APPLY}",
    )


@pytest.mark.parametrize(
    ("guardrails", "expected"),
    [
        ([], "has no notifications-only guardrail (AdministratorAccess applies)"),
        (["arn:aws:iam::aws:policy/AdministratorAccess"], "has no notifications-only guardrail"),
        (
            ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "has guardrails arn:aws:iam::aws:policy/ReadOnlyAccess, not the alerts' own gd-chat-guardrail* policy",
        ),
    ],
)
def test_fails_a_chat_configuration_without_the_notifications_only_guardrail(
    aws: StubbedAws, guardrails: list[str], expected: str
) -> None:
    aws["chatbot"].add_response(
        "describe_slack_channel_configurations",
        {"SlackChannelConfigurations": [slack_configuration([RAW_TOPIC], guardrails)]},
        {},
    )
    result = check_chat_configurations(aws.context(stack(SLACK)))
    assert not result.passed
    (line,) = result.found
    assert line.startswith(f"Slack channel C0123ABCDE (workspace T0123ABCDE): configuration {NAME}-slack {expected}")


# --- chat webhooks: API destinations and their connection ---------------------------------------------------------

WEBHOOK = SlackWebhookChannel(url_env_var="TF_VAR_slack_url")
CONNECTION_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:connection/{NAME}-webhooks/1a2b"
DESTINATION = f"{NAME}-slack-webhook-slack-url"


def connection(state: str) -> dict[str, Any]:
    return {
        "ConnectionArn": CONNECTION_ARN,
        "Name": f"{NAME}-webhooks",
        "ConnectionState": state,
        "AuthorizationType": "API_KEY",
        "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "X-GuardDuty-Alerts"}},
    }


def destination(state: str) -> dict[str, Any]:
    return {
        "ApiDestinationArn": f"arn:aws:events:{REGION}:{ACCOUNT}:api-destination/{DESTINATION}/9f8e",
        "Name": DESTINATION,
        "ApiDestinationState": state,
        "ConnectionArn": CONNECTION_ARN,
        "InvocationEndpoint": "https://hooks.slack.com/services/T0/B0/SECRETTOKEN",
        "HttpMethod": "POST",
        "InvocationRateLimitPerSecond": 1,
    }


def test_passes_active_api_destinations_on_an_authorized_connection(aws: StubbedAws) -> None:
    aws["events"].add_response("describe_connection", connection("AUTHORIZED"), {"Name": f"{NAME}-webhooks"})
    aws["events"].add_response("describe_api_destination", destination("ACTIVE"), {"Name": DESTINATION})
    result = check_api_destinations(aws.context(stack(WEBHOOK)))
    assert result.passed
    assert result.found == (f"connection {NAME}-webhooks is AUTHORIZED; ACTIVE on it: {DESTINATION}",)


def test_fails_a_deauthorized_connection_and_an_inactive_api_destination_without_printing_the_url(
    aws: StubbedAws,
) -> None:
    aws["events"].add_response(
        "describe_connection",
        {**connection("DEAUTHORIZED"), "StateReason": "Invalid credentials"},
        {"Name": f"{NAME}-webhooks"},
    )
    aws["events"].add_response("describe_api_destination", destination("INACTIVE"), {"Name": DESTINATION})
    result = check_api_destinations(aws.context(stack(WEBHOOK)))
    assert not result.passed
    assert result.found == (
        f"connection {NAME}-webhooks is DEAUTHORIZED (Invalid credentials): EventBridge calls none of the chat "
        "webhooks",
        f"API destination {DESTINATION} is INACTIVE: nothing is posted to its webhook",
    )
    assert result.fix == (f"{APPLY}: it sets the connection's authorization again", APPLY)
    assert "SECRETTOKEN" not in repr(result)


def test_fails_naming_a_missing_connection_and_api_destination(aws: StubbedAws) -> None:
    for method, name in (("describe_connection", f"{NAME}-webhooks"), ("describe_api_destination", DESTINATION)):
        aws["events"].add_client_error(
            method, service_error_code="ResourceNotFoundException", service_message=f"{name} does not exist."
        )
    result = check_api_destinations(aws.context(stack(WEBHOOK)))
    assert result.found == (
        f"connection {NAME}-webhooks does not exist: EventBridge calls none of the chat webhooks",
        f"API destination {DESTINATION} does not exist",
    )
    assert result.fix == (APPLY,)


# --- raw topics' subscriptions --------------------------------------------------------------------------------------


def subscription(protocol: str, endpoint: str, arn: str) -> dict[str, str]:
    return {"SubscriptionArn": arn, "Owner": ACCOUNT, "Protocol": protocol, "Endpoint": endpoint, "TopicArn": RAW_TOPIC}


def test_passes_confirmed_https_and_sqs_subscriptions_showing_only_the_webhooks_host(aws: StubbedAws) -> None:
    https_arn, sqs_arn = f"{RAW_TOPIC}:1111", f"{RAW_TOPIC}:2222"
    aws["sns"].add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [subscription("https", PAGERDUTY, https_arn), subscription("sqs", QUEUE, sqs_arn)]},
        {"TopicArn": RAW_TOPIC},
    )
    for arn in (sqs_arn, https_arn):  # the channels in key order: sqs-siem-intake, webhook-events-pagerduty-com
        aws["sns"].add_response(
            "get_subscription_attributes",
            {"Attributes": {"PendingConfirmation": "false"}},
            {"SubscriptionArn": arn},
        )
    channels = (WebhookChannel(url=PAGERDUTY, auto_confirms=True), SqsChannel(queue_arn=QUEUE))
    result = check_channel_subscriptions(aws.context(stack(*channels)))
    assert result.passed
    assert result.found == (
        f"confirmed: SQS queue {QUEUE}, HTTPS webhook at https://events.pagerduty.com/(path hidden)",
    )


def test_fails_a_webhook_pending_confirmation_and_a_queue_not_subscribed(aws: StubbedAws) -> None:
    aws["sns"].add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [subscription("https", PAGERDUTY, "PendingConfirmation")]},
        {"TopicArn": RAW_TOPIC},
    )
    channels = (WebhookChannel(url=PAGERDUTY), SqsChannel(queue_arn=QUEUE))
    result = check_channel_subscriptions(aws.context(stack(*channels)))
    assert not result.passed
    assert result.found == (
        f"SQS queue {QUEUE} is not subscribed to topic {RAW_TOPIC}",
        "HTTPS webhook at https://events.pagerduty.com/(path hidden) has not confirmed its subscription to topic "
        f"{RAW_TOPIC}: nothing is sent to it",
    )
    assert result.fix == (
        APPLY,
        "its owner must open the SubscribeURL SNS posted to it (receivers that confirm by themselves: "
        f"auto_confirms: true); {APPLY} sends a new one",
    )
    assert "SECRETKEY" not in repr(result)


def test_fails_when_the_raw_topic_does_not_exist(aws: StubbedAws) -> None:
    aws["sns"].add_client_error(
        "list_subscriptions_by_topic", service_error_code="NotFound", service_message="Topic does not exist"
    )
    result = check_channel_subscriptions(aws.context(stack(SqsChannel(queue_arn=QUEUE))))
    assert (result.passed, result.found, result.fix) == (False, (f"topic {RAW_TOPIC} does not exist",), (APPLY,))


# --- User Notifications ----------------------------------------------------------------------------------------------

USER_NOTIFICATIONS = UserNotificationsChannel(addresses=("soc-lead@example.com", "ciso@example.com"))
CONFIGURATION_ARN = f"arn:aws:notifications::{ACCOUNT}:configuration/a01jabcdefghijklmnopqrstuv"


def contact(address: str, status: str) -> dict[str, Any]:
    key = address.split("@")[0]
    return {
        "arn": f"arn:aws:notifications-contacts::{ACCOUNT}:emailcontact/{key}",
        "name": key,
        "address": address,
        "status": status,
        "creationTime": "2025-05-01T12:00:00Z",
        "updateTime": "2025-05-01T12:00:00Z",
    }


def stub_user_notifications(
    aws: StubbedAws,
    *,
    hubs: list[dict[str, Any]],
    contacts: list[dict[str, Any]],
    status: str = "ACTIVE",
    regions: tuple[str, ...] = (REGION,),
) -> None:
    notifications = aws["notifications"]
    notifications.add_response("list_notification_hubs", {"notificationHubs": hubs}, {})
    notifications.add_response(
        "list_notification_configurations",
        {
            "notificationConfigurations": [
                {
                    "arn": CONFIGURATION_ARN,
                    "name": NAME,
                    "description": "GuardDuty findings of severity 4 and above",
                    "status": status,
                    "creationTime": "2025-05-01T12:00:00Z",
                    "aggregationDuration": "NONE",
                }
            ]
        },
        {},
    )
    notifications.add_response(
        "list_event_rules",
        {
            "eventRules": [
                {
                    "arn": f"{CONFIGURATION_ARN}/rule/a01j",
                    "notificationConfigurationArn": CONFIGURATION_ARN,
                    "creationTime": "2025-05-01T12:00:00Z",
                    "source": "aws.guardduty",
                    "eventType": "GuardDuty Finding",
                    "eventPattern": "{}",
                    "regions": list(regions),
                    "managedRules": [],
                    "statusSummaryByRegion": {},
                }
            ]
        },
        {"notificationConfigurationArn": CONFIGURATION_ARN},
    )
    notifications.add_response(
        "list_channels",
        {"channels": [c["arn"] for c in contacts]},
        {"notificationConfigurationArn": CONFIGURATION_ARN},
    )
    aws["notificationscontacts"].add_response("list_email_contacts", {"emailContacts": contacts}, {})


def hub(status: str) -> dict[str, Any]:
    return {
        "notificationHubRegion": "us-east-1",
        "statusSummary": {"status": status, "reason": ""},
        "creationTime": "2025-05-01T12:00:00Z",
    }


def test_names_the_account_without_a_hub_in_words(aws: StubbedAws) -> None:
    stub_user_notifications(aws, hubs=[], contacts=[contact("soc-lead@example.com", "active")])
    expectation = dataclasses.replace(stack(USER_NOTIFICATIONS), account_names={ACCOUNT: "security"})
    result = check_user_notifications(aws.context(expectation))
    assert result.found[0] == (
        f"no notification hub is registered in account security ({ACCOUNT}): User Notifications sends nothing"
    )


def test_passes_user_notifications_with_a_hub_its_event_rule_and_activated_contacts(aws: StubbedAws) -> None:
    contacts = [contact("soc-lead@example.com", "active"), contact("ciso@example.com", "active")]
    stub_user_notifications(aws, hubs=[hub("ACTIVE")], contacts=contacts)
    result = check_user_notifications(aws.context(stack(USER_NOTIFICATIONS)))
    assert result.passed
    assert result.found == (
        "notification hub in us-east-1",
        f"configuration {NAME} with its event rule for {REGION}",
        "contacts activated: soc-lead@example.com, ciso@example.com",
    )


def test_fails_without_a_registered_hub_and_names_each_contact_not_activated(aws: StubbedAws) -> None:
    contacts = [contact("soc-lead@example.com", "inactive"), contact("ciso@example.com", "active")]
    stub_user_notifications(aws, hubs=[hub("REGISTERING")], contacts=contacts, status="INACTIVE")
    result = check_user_notifications(aws.context(stack(USER_NOTIFICATIONS)))
    assert not result.passed
    assert result.found == (
        f"no notification hub is registered in account {ACCOUNT} (hubs: us-east-1 REGISTERING): User "
        "Notifications sends nothing",
        f"notification configuration {NAME} is INACTIVE",
        "soc-lead@example.com has not activated its email contact: nothing is sent to it",
    )
    assert result.fix == (
        "set create_hub: true on the user_notifications channel and apply, or register one: aws notifications "
        "register-notification-hub --region us-east-1 --notification-hub-region us-east-1",
        "activate its email contacts (below) and register a hub; then it turns ACTIVE by itself",
        "soc-lead@example.com: enter the code from AWS's verification mail in the User Notifications console; a "
        "new code: aws notificationscontacts send-activation-code --region us-east-1 --arn "
        f"arn:aws:notifications-contacts::{ACCOUNT}:emailcontact/soc-lead",
    )


def test_fails_an_event_rule_without_the_stacks_region_and_a_missing_contact(aws: StubbedAws) -> None:
    stub_user_notifications(
        aws, hubs=[hub("ACTIVE")], contacts=[contact("ciso@example.com", "active")], regions=("eu-west-1",)
    )
    result = check_user_notifications(aws.context(stack(USER_NOTIFICATIONS)))
    assert result.found == (
        f"notification configuration {NAME} has no event rule for GuardDuty Finding in {REGION}",
        "soc-lead@example.com has no email contact",
    )
    assert result.fix == (APPLY,)


def test_fails_when_the_notification_configuration_does_not_exist(aws: StubbedAws) -> None:
    aws["notifications"].add_response("list_notification_hubs", {"notificationHubs": [hub("ACTIVE")]}, {})
    aws["notifications"].add_response("list_notification_configurations", {"notificationConfigurations": []}, {})
    result = check_user_notifications(aws.context(stack(USER_NOTIFICATIONS)))
    assert (result.passed, result.found, result.fix) == (
        False,
        (f"notification configuration {NAME} does not exist",),
        (APPLY,),
    )


def test_an_access_denial_names_the_user_notifications_permission(aws: StubbedAws) -> None:
    aws["notifications"].add_client_error(
        "list_notification_hubs", service_error_code="AccessDeniedException", service_message="no", http_status_code=403
    )
    result = run_check("user-notifications", check_user_notifications, aws.context(stack(USER_NOTIFICATIONS)))
    assert result.found == (
        "could not check: access denied to notifications:ListNotificationHubs (AccessDeniedException: no)",
    )


def test_a_webhook_subscribed_to_the_mail_topic_by_hand_is_listed_by_its_host_only(aws: StubbedAws) -> None:
    mail_topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:{NAME}"
    aws["sns"].add_response("get_topic_attributes", {"Attributes": {"TopicArn": mail_topic}}, {"TopicArn": mail_topic})
    mail = {"Owner": ACCOUNT, "TopicArn": mail_topic}
    aws["sns"].add_response(
        "list_subscriptions_by_topic",
        {
            "Subscriptions": [
                {**mail, "SubscriptionArn": f"{mail_topic}:1", "Protocol": "email", "Endpoint": "soc@example.com"},
                {**mail, "SubscriptionArn": f"{mail_topic}:2", "Protocol": "https", "Endpoint": PAGERDUTY},
            ]
        },
        {"TopicArn": mail_topic},
    )
    aws["sns"].add_response(
        "get_subscription_attributes",
        {"Attributes": {"PendingConfirmation": "false"}},
        {"SubscriptionArn": f"{mail_topic}:1"},
    )
    result = check_subscriptions(aws.context(stack()))
    assert result.found == (
        "confirmed: soc@example.com",
        "also subscribed, not in the configuration: https https://events.pagerduty.com/(path hidden)",
    )

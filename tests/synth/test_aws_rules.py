"""AWS's documented rules, held against what Terraform would receive for every example configuration
(config/*.yaml) and every configuration fixture (tests/fixtures/configs/*.yaml).

The local emulator accepts much that AWS refuses; each rule below cites where AWS (or the provider's source or
issue tracker) states it. A rule that needs a feature of a configuration (a chat channel, a webhook) holds
vacuously for configurations without it, so every test also asserts that at least one configuration has it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from generated_names import generated_names, name_problems
from guardduty_alerts import naming
from guardduty_alerts.naming import api_destination_name, fit, regional_role_name, rule_name
from guardduty_alerts.regions import PARTITIONS, partition_of
from guardduty_alerts_app.config import load_config
from guardduty_alerts_app.planning import stack_plans
from helpers import FIXTURES, REPO

CONFIGS = sorted((REPO / "config").glob("*.yaml")) + sorted((FIXTURES / "configs").glob("*.yaml"))


# Config file name -> the text of every file synthesis wrote (cdk.tf.json of each stack, manifest.json), filled
# by `synthesized`: what the review workflow uploads as its synth artifact.
SYNTHESIZED_FILES: dict[str, dict[str, str]] = {}
# Recognisable secrets in the environment while synthesizing: a chat webhook URL given as TF_VAR_<name> must
# reach Terraform only at plan time, never the synthesized JSON.
ENV_SECRET = "https://hooks.slack.com/services/T0LEAK/B0LEAK/EnvironmentSecretToken"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    """Config file name -> stack name -> the stack's synthesized JSON, for every example and fixture."""
    from guardduty_alerts_app.stacks.synth import synth_to

    result: dict[str, dict[str, dict[str, Any]]] = {}
    with pytest.MonkeyPatch.context() as patch:
        for variable in sorted(_url_env_vars()):
            patch.setenv(variable, ENV_SECRET)
        for path in CONFIGS:
            root = tmp_path_factory.mktemp(path.stem)
            names = synth_to(load_config(path), root / "cdktf.out", state_dir=root)
            result[path.name] = {
                name: json.loads((root / "cdktf.out" / "stacks" / name / "cdk.tf.json").read_text()) for name in names
            }
            SYNTHESIZED_FILES[path.name] = {
                str(file.relative_to(root)): file.read_text() for file in sorted((root / "cdktf.out").rglob("*.json"))
            }
    return result


def _url_env_vars() -> set[str]:
    return {
        channel.url_env_var
        for path in CONFIGS
        for plan in stack_plans(load_config(path))
        for channel in plan.config.channels
        if getattr(channel, "url_env_var", None)
    }


def resources_of(
    synthesized: dict[str, dict[str, dict[str, Any]]], kind: str
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(config file, stack, construct address, resource block) of every resource of type `kind`."""
    for config, stacks in synthesized.items():
        for stack, document in stacks.items():
            for address, block in document.get("resource", {}).get(kind, {}).items():
                yield config, stack, address, block


def test_every_example_and_fixture_is_covered() -> None:
    assert {path.name for path in CONFIGS} >= {
        "guardduty-alerts.yaml",
        "channels.example.yaml",
        "estate.example.yaml",
        "long-names-two-regions.yaml",
        "chat-three-regions.yaml",
        "chat-central-inbox.yaml",
        "extreme-names.yaml",
        "chat-webhooks-user-notifications-hub.yaml",
        "named-accounts-formatter.yaml",
        "govcloud.yaml",
        "china.yaml",
    }


def account_of(config: str, stack: str) -> str:
    """The account a stack deploys into: the configured account's id, or the deploying credentials' one."""
    path = next(path for path in CONFIGS if path.name == config)
    plan = next(plan for plan in stack_plans(load_config(path)) if plan.name == stack)
    return plan.account.id if plan.account is not None else "(credentials' account)"


def region_of(document: dict[str, Any]) -> str:
    (region,) = [provider["region"] for provider in document["provider"]["aws"] if "alias" not in provider]
    return region


# --- Chat configurations (Amazon Q Developer in chat applications) ---------------------------------------------

CHAT_KINDS = ("aws_chatbot_slack_channel_configuration", "aws_chatbot_teams_channel_configuration")


def test_each_slack_channel_has_at_most_one_configuration_per_account(synthesized: dict) -> None:
    # AWS refuses a second configuration of a Slack channel in one account ("Slack channel ... has already been
    # configured for AWS account"): cloudcomponents/cdk-constructs#92, hashicorp/terraform-provider-awscc#1011,
    # aws-cloudformation/cloudformation-coverage-roadmap#1155 (AWS: "there is no way of creating multiple
    # SlackChannelConfiguration for the same channel id"; one configuration takes several topics instead).
    seen: dict[tuple[str, str, str], str] = {}
    for config, stack, _, block in resources_of(synthesized, CHAT_KINDS[0]):
        key = (config, account_of(config, stack), block["slack_channel_id"])
        assert key not in seen, f"{key} is configured in {seen[key]} and in {stack}"
        seen[key] = stack
    # Covered: the channels example, the three-region fixture (two Slack channels) and both inbox accounts.
    assert {config for config, _, _ in seen} >= {
        "channels.example.yaml",
        "chat-three-regions.yaml",
        "chat-central-inbox.yaml",
    }
    assert len([key for key in seen if key[0] == "chat-central-inbox.yaml"]) == 2


def test_each_team_has_at_most_one_teams_configuration_per_account(synthesized: dict) -> None:
    # Provider 5.100 finds a Teams configuration by team_id and asserts a single result
    # (internal/service/chatbot/teams_channel_configuration.go, findTeamsChannelConfigurationByTeamID and
    # tfresource.AssertSingleValueResult); a second one in a team times out on create and drops out of state:
    # hashicorp/terraform-provider-aws#38943 and #45081, open.
    seen: dict[tuple[str, str, str], str] = {}
    for config, stack, _, block in resources_of(synthesized, CHAT_KINDS[1]):
        key = (config, account_of(config, stack), block["team_id"].lower())
        assert key not in seen, f"{key} is configured in {seen[key]} and in {stack}"
        seen[key] = stack
    assert {config for config, _, _ in seen} >= {"channels.example.yaml", "chat-three-regions.yaml"}


def test_chat_configuration_names_are_unique_per_account_and_within_aws_limits(synthesized: dict) -> None:
    # ConfigurationName: 1 to 128 characters of [A-Za-z0-9-_] (AWS Chatbot API reference,
    # CreateSlackChannelConfiguration / CreateMicrosoftTeamsChannelConfiguration; botocore's chatbot
    # 2017-10-11 model, shape ConfigurationName). Names are per account, like the configurations.
    seen: dict[tuple[str, str, str], str] = {}
    for kind in CHAT_KINDS:
        for config, stack, _, block in resources_of(synthesized, kind):
            name = block["configuration_name"]
            assert re.fullmatch(r"[A-Za-z0-9_-]{1,128}", name), (config, stack, name)
            key = (config, account_of(config, stack), name)
            assert key not in seen, f"{key} is used in {seen[key]} and in {stack}"
            seen[key] = stack
    assert len(seen) >= 6


def test_chat_configurations_subscribe_only_to_raw_topics_of_their_config(synthesized: dict) -> None:
    # A configuration lists its topics by ARN (partition, region, account, name); the home stack builds the
    # other regions' ARNs itself, so each must be a topic that a stack of the same config and account creates,
    # in that region, with that name. Chat configurations take commercial-partition ARNs only (the chatbot
    # model's Arn pattern starts "arn:aws:").
    topics = {
        (config, account_of(config, stack), region_of(synthesized[config][stack]), block["name"])
        for config, stack, _, block in resources_of(synthesized, "aws_sns_topic")
    }
    checked = 0
    for kind in CHAT_KINDS:
        for config, stack, _, block in resources_of(synthesized, kind):
            document = synthesized[config][stack]
            own = document["resource"]["aws_sns_topic"]
            account, region = account_of(config, stack), region_of(document)
            for arn in block["sns_topic_arns"]:
                reference = re.fullmatch(r"\$\{aws_sns_topic\.([^.]+)\.arn\}", arn)
                by_arn = re.fullmatch(r"arn:aws:sns:([a-z0-9-]+):\$\{aws_sns_topic\.([^.]+)\.owner\}:(.+)", arn)
                if reference:
                    target = (config, account, region, own[reference.group(1)]["name"])
                else:
                    assert by_arn, f"{config} {stack}: {arn} is neither this stack's topic nor a topic ARN"
                    # The account is this stack's (the owner of one of its own topics).
                    assert by_arn.group(2) in own
                    target = (config, account, by_arn.group(1), by_arn.group(3))
                assert target in topics, f"{config} {stack}: {arn} names no topic a stack creates"
                assert "-raw-" in target[3], f"{config} {stack}: {arn} is not a raw-event topic"
                checked += 1
    assert checked >= 8


def test_every_region_with_chat_findings_feeds_the_configurations(synthesized: dict) -> None:
    # The other side of one configuration per account: every raw topic of a region whose stack has Slack or
    # Teams channels must be subscribed by the account's configuration, or that region's findings reach no one.
    # With a central inbox only its home region has alerting stacks, so it is the only one.
    subscribed: set[tuple[str, str, str, str]] = set()
    for kind in CHAT_KINDS:
        for config, stack, _, block in resources_of(synthesized, kind):
            document = synthesized[config][stack]
            for arn in block["sns_topic_arns"]:
                reference = re.fullmatch(r"\$\{aws_sns_topic\.([^.]+)\.arn\}", arn)
                if reference:
                    name = document["resource"]["aws_sns_topic"][reference.group(1)]["name"]
                    subscribed.add((config, account_of(config, stack), region_of(document), name))
                else:
                    region, name = arn.split(":")[3], arn.rsplit(":", 1)[1]
                    subscribed.add((config, account_of(config, stack), region, name))
    for config, stack, _, block in resources_of(synthesized, "aws_sns_topic"):
        if "-raw-" not in block["name"] or config not in {c for c, _, _, _ in subscribed}:
            continue
        path = next(path for path in CONFIGS if path.name == config)
        settings = load_config(path)
        chat_raw = {
            f"{plan.config.name}-{group.key}"
            for plan in stack_plans(settings)
            if plan.name == stack
            for group in _raw_groups_with_chat(plan)
        }
        if block["name"] in chat_raw:
            key = (config, account_of(config, stack), region_of(synthesized[config][stack]), block["name"])
            assert key in subscribed, f"{key}: no chat configuration subscribes to it"


def _raw_groups_with_chat(plan: Any) -> list[Any]:
    from guardduty_alerts.channels import SlackChannel, TeamsChannel, route_channels
    from guardduty_alerts.severity import parse_threshold

    routing = route_channels(
        plan.config.channels_for(plan.region),
        recipients=plan.config.recipients,
        threshold=parse_threshold(plan.config.severity_threshold),
        filters=plan.config.filters,
        formatter=plan.config.subject_formatter,
    )
    return [g for g in routing.raw_groups if any(isinstance(c, (SlackChannel, TeamsChannel)) for c in g.channels)]


# --- Chat webhook bodies, alarms and AWS User Notifications ---------------------------------------------------

HOSTILE_TEXT = 'Title with "quotes", a back\\slash \\, a line\nbreak, a\ttab and non-ASCII: Zürich 東京 🚨'


def _hostile_finding() -> dict[str, Any]:
    from helpers import OWN_EVENTS

    event = json.loads((OWN_EVENTS / "lambda__Backdoor_Lambda_C2Activity_B.json").read_text())
    event["detail"]["title"] = HOSTILE_TEXT
    event["detail"]["description"] = HOSTILE_TEXT
    return event


# EventBridge user guide, "Amazon EventBridge input transformation", "Common Issues with transforming input":
# "EventBridge doesn't escape values extracted by Input Path, when populating the Input Template for a target".
# An invalid body is answered 400 by Slack or Teams, which EventBridge does not retry: the finding is lost to
# the dead-letter queue. tests/eventbridge_transformer.py renders templates by the guide's rules.
def test_every_chat_webhook_body_is_valid_json_for_hostile_finding_text(synthesized: dict) -> None:
    from eventbridge_transformer import render

    event = _hostile_finding()
    checked = 0
    for config, stack, address, target in resources_of(synthesized, "aws_cloudwatch_event_target"):
        if "aws_cloudwatch_event_api_destination." not in target["arn"]:
            continue
        transformer = target["input_transformer"]
        body = render(transformer["input_template"], transformer["input_paths"], event)
        try:
            json.loads(body)
        except json.JSONDecodeError as error:
            pytest.fail(f"{config} {stack} {address}: invalid JSON body ({error}): {body}")
        checked += 1
    assert checked >= 8, "no configuration has chat webhooks on band rules"


def _alarm_actions_given(config_name: str, stack: str) -> tuple[str, ...] | None:
    """The config's delivery.alarm_actions for the stack's region (None: left out)."""
    from guardduty_alerts_app.planning import stack_plans

    config = load_config(next(path for path in CONFIGS if path.name == config_name))
    (plan,) = [plan for plan in stack_plans(config) if plan.name == stack]
    return config.alarm_actions.get(plan.region)


# A delivery alarm without actions changes state and tells no one (issue 18): each alarm notifies someone,
# unless the configuration opts out with an empty list.
def test_every_delivery_alarm_notifies_someone_unless_the_config_opts_out(synthesized: dict) -> None:
    opted_out = notified = 0
    for config, stack, address, alarm in resources_of(synthesized, "aws_cloudwatch_metric_alarm"):
        if _alarm_actions_given(config, stack) == ():
            assert "alarm_actions" not in alarm, (config, stack, address)
            opted_out += 1
        else:
            assert alarm.get("alarm_actions"), f"{config} {stack} {address}: the alarm notifies no one"
            notified += 1
    assert opted_out and notified


# CloudWatch API reference, PutMetricAlarm: AlarmDescription is at most 1024 characters. The descriptions name
# every rule and topic an alarm watches (up to 10, CloudWatch's metrics per alarm) and the dead-letter queue.
def test_every_alarm_description_fits_cloudwatch_s_limit(synthesized: dict) -> None:
    longest = max(
        (len(alarm["alarm_description"]), config, address)
        for config, _, address, alarm in resources_of(synthesized, "aws_cloudwatch_metric_alarm")
    )
    assert longest[0] <= 1024, longest


# AWS User Notifications user guide, "Filtering event rules using customized JSON event patterns in AWS User
# Notifications": "Wildcards aren't currently supported."
def test_no_user_notifications_event_rule_uses_a_wildcard(synthesized: dict) -> None:
    rules = list(resources_of(synthesized, "aws_notifications_event_rule"))
    assert rules
    for config, stack, address, rule in rules:
        assert "wildcard" not in rule["event_pattern"], (config, stack, address)


# AWS User Notifications API reference, RegisterNotificationHub: "There is a maximum of one NotificationHub per
# Region. You can have a maximum of 3 NotificationHub resources at a time." Hubs are an account-level setting
# (user guide, "notification hubs"): two stacks of one account registering one would fight over it.
def test_at_most_one_notification_hub_per_account_across_stacks(synthesized: dict) -> None:
    from guardduty_alerts_app.planning import stack_plans

    hubs: dict[tuple[str, str | None], list[str]] = {}
    for config, stack, _, hub in resources_of(synthesized, "aws_notifications_notification_hub"):
        plans = stack_plans(load_config(next(path for path in CONFIGS if path.name == config)))
        (plan,) = [plan for plan in plans if plan.name == stack]
        account = plan.account.id if plan.account is not None else None
        hubs.setdefault((config, account), []).append(f"{stack}: {hub['notification_hub_region']}")
    assert hubs, "no configuration registers a notification hub"
    for (config, account), registered in hubs.items():
        assert len(registered) == 1, f"{config} account {account}: {registered}"


# --- Secrets in plan artifacts ---------------------------------------------------------------------------------
# A chat incoming webhook's URL is its only credential: Slack, "Sending messages using incoming webhooks" ("Your
# webhook URL contains a secret. Don't share it online"); Teams Workflows' webhook URL carries its signature
# (`sig=`) in the query. The review workflow uploads the synthesized JSON as an artifact, so the URL must not be
# in it: it comes from a sensitive variable (Terraform docs, "Input Variables", `sensitive`: hidden in plan
# and apply output) or from an SSM SecureString data source, read only at plan time. The plan JSON is redacted
# separately (tests/pure/test_plan_redaction.py, tests/terraform/test_plan_secrets_terraform.py).

# An invocation endpoint synthesized as a reference to where the URL is read at plan time, never a value.
_ENDPOINT_REFERENCE = re.compile(
    r"^\$\{(var\.(?P<variable>[A-Za-z0-9_]+)|data\.aws_ssm_parameter\.[A-Za-z0-9_-]+\.value)\}$"
)
# Hosts that issue chat incoming webhooks (Slack; Teams Workflows and Office 365 connectors).
_WEBHOOK_HOSTS = ("hooks.slack.com", "webhook.office.com", "logic.azure.com", "powerautomate")


def test_no_synthesized_file_holds_a_chat_webhook_url_or_an_ssm_parameter_value(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    assert set(SYNTHESIZED_FILES) == set(synthesized)
    leaks = {
        f"{config}: {name}": [host for host in (*_WEBHOOK_HOSTS, "EnvironmentSecretToken") if host in text]
        for config, files in SYNTHESIZED_FILES.items()
        for name, text in files.items()
    }
    assert {where: found for where, found in leaks.items() if found} == {}
    assert any(name.endswith("manifest.json") for files in SYNTHESIZED_FILES.values() for name in files)
    parameters = [
        (config, stack, block)
        for config, stacks in synthesized.items()
        for stack, document in stacks.items()
        for block in document.get("data", {}).get("aws_ssm_parameter", {}).values()
    ]
    assert parameters, "no configuration reads a webhook URL from SSM"
    for config, stack, block in parameters:
        # The parameter's name only: its value is read by Terraform at plan time.
        assert set(block) <= {"//", "name", "with_decryption", "provider"}, (config, stack, block)
        assert block["name"].startswith("/") and block["with_decryption"] is True


def test_every_api_destination_endpoint_comes_from_a_sensitive_variable_or_ssm(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    destinations = list(resources_of(synthesized, "aws_cloudwatch_event_api_destination"))
    assert destinations
    kinds = set()
    for config, stack, address, block in destinations:
        match = _ENDPOINT_REFERENCE.match(block["invocation_endpoint"])
        assert match, f"{config}: {stack}: {address} has invocation_endpoint {block['invocation_endpoint']!r}"
        variable = match.group("variable")
        kinds.add("variable" if variable else "ssm")
        if variable:
            declared = synthesized[config][stack]["variable"][variable]
            assert declared["sensitive"] is True, f"{config}: {stack}: variable {variable} is not sensitive"
    assert kinds == {"variable", "ssm"}, "both sources of a webhook URL must be covered"


def test_every_terraform_variable_holding_a_url_is_sensitive(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    variables = [
        (config, stack, name, block)
        for config, stacks in synthesized.items()
        for stack, document in stacks.items()
        for name, block in document.get("variable", {}).items()
    ]
    holding_urls = [
        (config, stack, name, block)
        for config, stack, name, block in variables
        if "url" in name.lower() or "url" in str(block.get("description", "")).lower()
    ]
    assert holding_urls, "no configuration gives a webhook URL through TF_VAR_<name>"
    assert [(c, s, n) for c, s, n, block in holding_urls if block.get("sensitive") is not True] == []


# --- Generated names: unique in their scope and within AWS's length limits -------------------------------------
# Limits and scopes with their AWS doc pages: tests/generated_names.py (NAMED_TYPES).


def test_every_generated_name_is_within_its_limit_and_unique_in_its_scope(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    problems = {config: name_problems(stacks) for config, stacks in synthesized.items()}
    assert problems == {config: [] for config in synthesized}


def test_the_names_checked_include_every_type_at_its_limit(synthesized: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Not vacuous: the fixtures reach the limits that bind (64 for API destinations and IAM roles)."""
    longest: dict[str, int] = {}
    for stacks in synthesized.values():
        for item in generated_names(stacks):
            longest[item.kind] = max(longest.get(item.kind, 0), len(item.name))
    assert longest["aws_cloudwatch_event_api_destination"] == 64
    assert longest["aws_iam_role"] == 64
    assert {"aws_cloudwatch_event_rule", "aws_sns_topic", "aws_sqs_queue", "aws_lambda_function"} <= set(longest)
    assert {"aws_chatbot_slack_channel_configuration", "aws_cloudwatch_event_connection"} <= set(longest)


def test_chat_webhooks_sharing_a_long_prefix_get_distinct_api_destination_names(
    synthesized: dict[str, dict[str, dict[str, Any]]],
) -> None:
    """Issue 19: cut to EventBridge's 64 characters, these names were equal and the second apply failed."""
    stack = synthesized["extreme-names.yaml"]["guardduty-alerts-extreme-names-two-regns-ap-southeast-1"]
    names = sorted(block["name"] for block in stack["resource"]["aws_cloudwatch_event_api_destination"].values())
    prefix = "guardduty-alerts-extreme-names-two-regns-chat-webhook-s-"
    assert len(names) == len(set(names)) == 3
    assert all(len(name) == 64 and name.startswith(prefix) for name in names)
    cut = {f"guardduty-alerts-extreme-names-two-regns-chat-webhook-security-findings-{x}"[:64] for x in "abc"}
    assert len(cut) == 1  # what plain truncation gave


def test_a_name_that_fits_is_kept_as_it_is() -> None:
    # Deployed names are in Terraform state: changing one replaces the resource.
    assert (
        api_destination_name("guardduty-alerts", "slack-webhook-security") == "guardduty-alerts-slack-webhook-security"
    )
    assert rule_name("guardduty-alerts", "raw-7-5") == "guardduty-alerts-raw-7-5"
    assert regional_role_name("guardduty-alerts-formatter", "eu-west-1") == "guardduty-alerts-formatter-eu-west-1"
    assert fit("x" * 64, 64) == "x" * 64


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: naming.topic_name("guardduty-alerts"), "guardduty-alerts"),
        (lambda: naming.channel_topic_name("guardduty-alerts", "raw-high"), "guardduty-alerts-raw-high"),
        (lambda: naming.webhook_connection_name("guardduty-alerts"), "guardduty-alerts-webhooks"),
        (
            lambda: naming.chat_guardrail_policy_name("guardduty-alerts", "eu-west-1"),
            "guardduty-alerts-chat-guardrail-eu-west-1",
        ),
        (lambda: naming.chat_guardrail_policy_name("guardduty-alerts", None), "guardduty-alerts-chat-guardrail"),
        (lambda: naming.notification_configuration_name("guardduty-alerts"), "guardduty-alerts"),
        (lambda: naming.dead_letter_queue_name("guardduty-alerts"), "guardduty-alerts-dead-letters"),
        (lambda: naming.key_alias_name("guardduty-alerts"), "alias/guardduty-alerts"),
        (lambda: naming.formatter_function_name("guardduty-alerts"), "guardduty-alerts-formatter"),
        (lambda: naming.forwarding_rule_name("guardduty-alerts", "eu-west-1"), "guardduty-alerts-to-eu-west-1"),
        (lambda: naming.forwarding_role_name("guardduty-alerts", "us-east-1"), "guardduty-alerts-forward-us-east-1"),
        (lambda: naming.regional_role_name("guardduty-alerts-formatter", None), "guardduty-alerts-formatter"),
        (lambda: naming.channel_failures_alarm_name("guardduty-alerts"), "guardduty-alerts-channel-failures"),
        (
            lambda: naming.delivery_alarm_names("guardduty-alerts"),
            ("guardduty-alerts-failed-invocations", "guardduty-alerts-dead-letters"),
        ),
        (
            lambda: naming.chat_configuration_name("guardduty-alerts", "eu-west-1", "sec"),
            "guardduty-alerts-eu-west-1-sec",
        ),
        (lambda: naming.chat_configuration_name("guardduty-alerts", None, "sec"), "guardduty-alerts-sec"),
    ],
)
def test_every_generated_name_of_a_short_construct_name(make: Any, expected: object) -> None:
    # Deployed names are in Terraform state: changing one replaces the resource.
    assert make() == expected


@pytest.mark.parametrize(
    ("make", "limit"),
    [
        (lambda n: naming.channel_topic_name(n, "raw-high"), naming.MAX_TOPIC_NAME),
        (naming.webhook_connection_name, naming.MAX_CONNECTION_NAME),
        (lambda n: naming.chat_guardrail_policy_name(n, "eu-west-1"), naming.MAX_POLICY_NAME),
        (naming.notification_configuration_name, naming.MAX_NOTIFICATION_CONFIGURATION_NAME),
        (naming.dead_letter_queue_name, naming.MAX_QUEUE_NAME),
        (naming.formatter_function_name, naming.MAX_FUNCTION_NAME),
        (lambda n: naming.forwarding_rule_name(n, "eu-west-1"), naming.MAX_RULE_NAME),
        (lambda n: naming.forwarding_role_name(n, "eu-west-1"), naming.MAX_ROLE_NAME),
        (lambda n: naming.api_destination_name(n, "slack"), naming.MAX_API_DESTINATION_NAME),
        (lambda n: naming.chat_configuration_name(n, "eu-west-1", "sec"), naming.MAX_CHAT_CONFIGURATION_NAME),
    ],
)
def test_every_generated_name_of_a_long_construct_name_is_cut_to_its_limit(make: Any, limit: int) -> None:
    long_a, long_b = "n" * 300 + "-a", "n" * 300 + "-b"
    assert len(make(long_a)) == limit
    assert make(long_a) != make(long_b)


def test_a_name_one_character_over_its_limit_is_cut_and_a_trailing_hyphen_dropped() -> None:
    over = "x" * 65
    assert fit(over, 64) == "x" * 55 + "-" + hashlib.sha256(over.encode()).hexdigest()[:8]
    # The head would end in "-": it is dropped, so the name never shows "--" before the digest.
    hyphen = "a" * 54 + "-" + "b" * 20
    assert fit(hyphen, 64) == "a" * 54 + "-" + hashlib.sha256(hyphen.encode()).hexdigest()[:8]
    # Only hyphens at the end of the head go; those at its start stay.
    leading = "-" + "c" * 70
    assert fit(leading, 64) == "-" + "c" * 54 + "-" + hashlib.sha256(leading.encode()).hexdigest()[:8]
    # Other trailing characters stay.
    upper = "d" * 54 + "X" + "e" * 20
    assert fit(upper, 64) == "d" * 54 + "X-" + hashlib.sha256(upper.encode()).hexdigest()[:8]


def test_a_name_too_long_is_shortened_with_a_stable_digest_of_the_whole_name() -> None:
    long_a, long_b = "a" * 70 + "-one", "a" * 70 + "-two"
    assert fit(long_a, 64) == "a" * 55 + "-" + hashlib.sha256(long_a.encode()).hexdigest()[:8]
    assert fit(long_a, 64) != fit(long_b, 64)
    assert len(fit(long_a, 64)) == 64
    # The region stays whole in a regional IAM role name; the base gets the digest.
    role = regional_role_name("b" * 40 + "-formatter", "ap-southeast-1")
    assert len(role) == 64 and role.endswith("-ap-southeast-1")
    assert role != regional_role_name("b" * 40 + "-formattex", "ap-southeast-1")


# --- Lambda --------------------------------------------------------------------------------------------------

# The longest topic ARN TOPIC_ARN can hold: the longest partition and region, a 256-character topic name.
LONGEST_TOPIC_ARN = "arn:aws-us-gov:sns:ap-southeast-5:123456789012:" + "t" * 256


def test_every_functions_environment_fits_lambdas_4_kb_quota(synthesized: dict) -> None:
    # Lambda quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: "Function
    # environment variables: 4 KB, for all environment variables associated with the function, in aggregate".
    # A reference (${aws_sns_topic...arn}) is counted as the longest ARN it can become.
    functions = list(resources_of(synthesized, "aws_lambda_function"))
    assert any("ACCOUNT_NAMES" in block["environment"]["variables"] for *_, block in functions)
    for config, stack, address, block in functions:
        variables = block["environment"]["variables"]
        size = sum(
            len(key) + len(LONGEST_TOPIC_ARN if value.startswith("${") else value.encode())
            for key, value in variables.items()
        )
        assert size <= 4096, (config, stack, address, size)


# --- Event patterns -----------------------------------------------------------------------------------------


# EventBridge user guide, "Amazon EventBridge quotas": "Event pattern size: 2048 characters" (adjustable up to
# 4096; a config declares a raised quota as event_pattern_size_limit). Account lists (issue 22) are what makes a
# pattern long besides the finding types.
def test_every_event_pattern_fits_eventbridge_s_size_quota(synthesized: dict) -> None:
    rules = list(resources_of(synthesized, "aws_cloudwatch_event_rule"))
    assert any("accountId" in rule["event_pattern"] for *_, rule in rules)
    for config, stack, address, rule in rules:
        path = next(path for path in CONFIGS if path.name == config)
        assert len(rule["event_pattern"]) <= load_config(path).event_pattern_size_limit, (config, stack, address)


# GuardDuty user guide, "Processing GuardDuty findings with Amazon EventBridge": the finding's account is
# `detail.accountId` (in a delegated administrator the envelope's `account` is the administrator's). EventBridge
# user guide, "Content filtering in event patterns": a match on values is a list of strings, and anything-but
# takes a list of strings. So a routed rule lists 12-digit ids as strings, never numbers (an id with a leading
# zero read as a number would match nothing), and never matches the envelope's account.
def test_account_routes_match_detail_account_id_as_lists_of_12_digit_strings(synthesized: dict) -> None:
    routed = 0
    for config, stack, address, rule in resources_of(synthesized, "aws_cloudwatch_event_rule"):
        pattern = json.loads(rule["event_pattern"])
        assert "account" not in pattern, (config, stack, address)
        condition = pattern.get("detail", {}).get("accountId")
        if condition is None:
            continue
        routed += 1
        ids = condition[0]["anything-but"] if isinstance(condition[0], dict) else condition
        assert ids == sorted(ids) and all(re.fullmatch(r"[0-9]{12}", i) for i in ids), (config, stack, address)
    assert routed


# --- Partitions (aws, aws-us-gov, aws-cn; the table is guardduty_alerts.regions.PARTITIONS) ------------------


def test_configurations_of_every_partition_are_checked(synthesized: dict) -> None:
    partitions = {
        partition_of(region_of(document)).name for stacks in synthesized.values() for document in stacks.values()
    }
    assert partitions == set(PARTITIONS)


def test_every_arn_a_stack_builds_is_in_the_partition_of_its_region(synthesized: dict) -> None:
    # AWS General Reference, "Amazon Resource Names (ARNs)": the partition is the ARN's second field (aws,
    # aws-cn, aws-us-gov); IAM and resource policies grant access within one partition only (IAM User Guide,
    # "IAM JSON policy elements: Principal"), so an ARN of another partition names nothing this stack can use.
    # `arn:*:` (a condition that matches any partition) is not a partition and is left alone.
    for config, stacks in synthesized.items():
        for stack, document in stacks.items():
            expected = partition_of(region_of(document)).name
            found = set(re.findall(r"arn:([a-z][a-z-]*):", json.dumps(document)))
            assert found <= {expected}, (config, stack, found)


# Resource types of the channel kinds whose service a partition may lack (regions.PARTITIONS, each with its source).
KIND_RESOURCE_PREFIXES = {
    "slack": ("aws_chatbot_slack_channel_configuration",),
    "teams": ("aws_chatbot_teams_channel_configuration",),
    "slack_webhook": ("aws_cloudwatch_event_api_destination", "aws_cloudwatch_event_connection"),
    "teams_webhook": ("aws_cloudwatch_event_api_destination", "aws_cloudwatch_event_connection"),
    "user_notifications": ("aws_notifications_", "aws_notificationscontacts_"),
}


def test_no_stack_creates_a_resource_its_partition_does_not_offer(synthesized: dict) -> None:
    # Amazon Q Developer in chat applications API Reference, "Welcome" (commercial regions only); AWS GovCloud (US)
    # User Guide, "Amazon EventBridge in AWS GovCloud (US)" ("API destinations are not supported"); AWS User
    # Notifications (commercial regions only). The provider would send the calls and AWS would refuse them at
    # apply, after the rest of the stack exists.
    checked = 0
    for config, stacks in synthesized.items():
        for stack, document in stacks.items():
            partition = partition_of(region_of(document))
            for kind in partition.missing_kinds:
                for resource_type in document.get("resource", {}):
                    assert not resource_type.startswith(KIND_RESOURCE_PREFIXES[kind]), (config, stack, resource_type)
                checked += 1
    assert checked  # GovCloud and China stacks are among them (the test above)


def test_no_stack_turns_on_or_off_a_protection_plan_its_partition_does_not_offer(synthesized: dict) -> None:
    # Getting Started with Amazon Web Services in China, "Amazon GuardDuty": Runtime Monitoring is not supported in
    # the China Regions (regions.PARTITIONS[...].missing_plans); GuardDuty would refuse the feature at apply.
    checked = 0
    for config, stacks in synthesized.items():
        for stack, document in stacks.items():
            missing = {plan.upper() for plan in partition_of(region_of(document)).missing_plans}
            for feature in document.get("resource", {}).get("aws_guardduty_detector_feature", {}).values():
                assert feature["name"] not in missing, (config, stack, feature["name"])
                checked += 1
    assert checked  # the estate example sets protection plans


def test_every_console_link_opens_the_console_of_the_stack_s_partition(synthesized: dict) -> None:
    # The console of each partition: console.aws.amazon.com (per region), console.amazonaws-us-gov.com
    # (AWS GovCloud (US) User Guide), console.amazonaws.cn (Getting Started with Amazon Web Services in China).
    links = 0
    for config, stacks in synthesized.items():
        for stack, document in stacks.items():
            origin = partition_of(region_of(document)).console_origin
            for link in re.findall(r"https://[^/\"]*console[^/\"]*", json.dumps(document)):
                assert link == origin, (config, stack, link)
                links += 1
    assert links


def test_every_service_principal_is_the_global_form(synthesized: dict) -> None:
    # The provider's aws_service_principal data source (internal/service/meta/service_principal_data_source.go)
    # gives `<service>.amazonaws.com.cn` in aws-cn only for codedeploy, elasticmapreduce and logs; IAM in China
    # refuses the .cn form for other services (terraform-aws-modules/terraform-aws-rds-aurora#437,
    # terraform-aws-modules/terraform-aws-ecs#124). We grant events, sns, cloudwatch, lambda and chatbot.
    principals: set[str] = set()
    for stacks in synthesized.values():
        for document in stacks.values():
            principals |= set(re.findall(r"\b([a-z0-9-]+\.amazonaws\.com(?:\.cn)?)\b", json.dumps(document)))
    assert principals and all(principal.endswith(".amazonaws.com") for principal in principals), principals
    assert not {principal.split(".")[0] for principal in principals} & {"codedeploy", "elasticmapreduce", "logs"}

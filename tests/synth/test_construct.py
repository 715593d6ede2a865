"""The GuardDutyAlerts construct, synthesized through cdktf's Testing helpers and read as Terraform JSON."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # aliased: pytest would try to collect a class named Test*
from cdktf_cdktf_provider_aws.provider import AwsProvider
from guardduty_alerts import GuardDutyAlerts, InvalidPropsError, Severity
from helpers import RECIPIENTS, only, ref, synth_construct


def synth(**props: Any) -> tuple[str, dict]:
    return synth_construct(**props)


@pytest.fixture(scope="module")
def default() -> tuple[str, dict]:
    return synth()


def test_creates_an_enabled_detector_publishing_every_fifteen_minutes(default: tuple[str, dict]) -> None:
    text, parsed = default
    detector = only(parsed["resource"], "aws_guardduty_detector")
    assert detector == {"enable": True, "finding_publishing_frequency": "FIFTEEN_MINUTES"}
    assert CdktfTesting.to_have_resource_with_properties(
        text, "aws_guardduty_detector", {"enable": True, "finding_publishing_frequency": "FIFTEEN_MINUTES"}
    )
    assert "aws_guardduty_detector" not in parsed.get("data", {})


def test_creates_a_standard_topic_and_one_email_subscription_per_recipient(default: tuple[str, dict]) -> None:
    text, parsed = default
    topic = only(parsed["resource"], "aws_sns_topic")
    assert topic == {"name": "guardduty-alerts", "kms_master_key_id": ref(parsed["resource"], "aws_kms_key", "arn")}
    subscriptions = parsed["resource"]["aws_sns_topic_subscription"]
    assert sorted(s["endpoint"] for s in subscriptions.values()) == sorted(RECIPIENTS)
    assert {s["protocol"] for s in subscriptions.values()} == {"email"}
    assert {s["topic_arn"] for s in subscriptions.values()} == {ref(parsed["resource"], "aws_sns_topic", "arn")}
    assert CdktfTesting.to_have_resource_with_properties(
        text, "aws_sns_topic_subscription", {"protocol": "email", "endpoint": "oncall@example.com"}
    )


def rule_refs(resources: dict, attribute: str) -> list[str]:
    return [
        "${" + f"aws_cloudwatch_event_rule.{key}.{attribute}" + "}" for key in resources["aws_cloudwatch_event_rule"]
    ]


def test_one_rule_per_mailed_band_and_one_for_samples_from_medium_up(default: tuple[str, dict]) -> None:
    text, parsed = default
    resources = parsed["resource"]
    rules = resources["aws_cloudwatch_event_rule"]
    assert sorted(rule["name"] for rule in rules.values()) == [
        "guardduty-alerts-critical",
        "guardduty-alerts-high",
        "guardduty-alerts-medium",
        "guardduty-alerts-sample",
    ]
    # Construct IDs derive from the rule's key (a band name, "sample"), never from positions.
    for key, rule in rules.items():
        assert f"_rule-{rule['name'].removeprefix('guardduty-alerts-')}_" in key
    by_name = {rule["name"]: json.loads(rule["event_pattern"]) for rule in rules.values()}
    not_sample = {"additionalInfo": {"sample": [False, {"exists": False}]}}
    assert by_name["guardduty-alerts-medium"] == {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 4, "<", 7]}], "service": not_sample},
    }
    assert by_name["guardduty-alerts-critical"]["detail"] == {
        "severity": [{"numeric": [">=", 9]}],
        "service": not_sample,
    }
    assert by_name["guardduty-alerts-sample"]["detail"] == {
        "severity": [{"numeric": [">=", 4]}],
        "service": {"additionalInfo": {"sample": [True]}},
    }
    # The pattern as EventBridge counts it against its size quota: compact JSON.
    for rule in rules.values():
        assert rule["event_pattern"] == json.dumps(
            json.loads(rule["event_pattern"]), sort_keys=True, separators=(",", ":")
        )
    assert CdktfTesting.to_have_resource(text, "aws_cloudwatch_event_rule")


def test_the_example_sized_construct_stays_small(default: tuple[str, dict]) -> None:
    # Every resource is a line in every plan someone reviews: 20 for the default props (4 rules, 4 targets).
    resources = default[1]["resource"]
    counts = {kind: len(items) for kind, items in resources.items()}
    assert sum(counts.values()) == 19, counts  # one recipient fewer than the example, no suppression filter
    assert counts["aws_cloudwatch_event_rule"] == counts["aws_cloudwatch_event_target"] == 4
    assert counts["aws_cloudwatch_metric_alarm"] == 2


def test_each_target_mails_its_rule_through_a_template_after_the_policy_exists(default: tuple[str, dict]) -> None:
    _, parsed = default
    resources = parsed["resource"]
    targets = resources["aws_cloudwatch_event_target"]
    assert sorted(target["rule"] for target in targets.values()) == sorted(rule_refs(resources, "name"))
    (policy_key,) = resources["aws_sns_topic_policy"]
    for target in targets.values():
        assert target["arn"] == ref(resources, "aws_sns_topic", "arn")
        assert target["depends_on"] == [f"aws_sns_topic_policy.{policy_key}"]
        template = target["input_transformer"]["input_template"]
        placeholders = set(re.findall(r"<([A-Za-z]+)>", template))
        assert placeholders == set(target["input_transformer"]["input_paths"]), "every placeholder has a path"
        assert all(json.loads(line) for line in template.splitlines()), "each line is one JSON string"


def test_topic_policy_lets_eventbridge_publish_for_these_rules_only(default: tuple[str, dict]) -> None:
    _, parsed = default
    topic_policy = only(parsed["resource"], "aws_sns_topic_policy")
    assert topic_policy["arn"] == ref(parsed["resource"], "aws_sns_topic", "arn")
    policy = json.loads(topic_policy["policy"])
    publish = policy["Statement"][0]
    assert publish["Principal"] == {"Service": "events.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    source_arns = publish["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(source_arns) == sorted(rule_refs(parsed["resource"], "arn"))
    assert len(source_arns) == 4
    assert policy["Statement"][1]["Condition"] == {
        "StringEquals": {"AWS:SourceOwner": ref(parsed["resource"], "aws_sns_topic", "owner")}
    }


def test_exposes_created_resources_as_attributes() -> None:
    app = CdktfTesting.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region="us-east-1")
    alerts = GuardDutyAlerts(stack, "alerts", recipients=RECIPIENTS, severity_threshold=Severity.HIGH)
    assert alerts.threshold == 7.0
    assert alerts.detector is not None and alerts.existing_detector is None
    assert sorted(alerts.subscriptions) == sorted(RECIPIENTS)
    assert alerts.event_pattern["detail"] == {"severity": [{"numeric": [">=", 7]}]}
    for attribute in ("topic", "topic_policy"):
        assert getattr(alerts, attribute).terraform_resource_type.startswith("aws_")
    assert sorted(alerts.rules) == sorted(alerts.targets) == sorted(rule.key for rule in alerts.mail_rules)
    assert sorted(alerts.rules) == ["critical", "high", "sample"]
    assert alerts.rules["sample"].terraform_resource_type == "aws_cloudwatch_event_rule"
    assert alerts.targets["sample"].terraform_resource_type == "aws_cloudwatch_event_target"


def test_adopts_an_existing_detector_without_creating_one() -> None:
    detector_id = "12abc34d567e8fa901bc2d34e56789f0"
    _, parsed = synth(existing_detector_id=detector_id)
    assert "aws_guardduty_detector" not in parsed["resource"]
    assert list(parsed["data"]["aws_guardduty_detector"].values()) == [{"id": detector_id}]


def test_tags_every_taggable_resource() -> None:
    _, parsed = synth(tags={"team": "security", "cost-centre": "42"})
    tags = {"cost-centre": "42", "team": "security"}
    for kind in ("aws_guardduty_detector", "aws_sns_topic"):
        assert only(parsed["resource"], kind)["tags"] == tags, kind
    assert {json.dumps(rule["tags"]) for rule in parsed["resource"]["aws_cloudwatch_event_rule"].values()} == {
        json.dumps(tags)
    }


@pytest.mark.parametrize(
    ("threshold", "first_rule", "numeric", "rule_count"),
    [
        ("LOW", "low", [">=", 1, "<", 4], 5),
        ("HIGH", "high", [">=", 7, "<", 9], 3),
        ("CRITICAL", "critical", [">=", 9], 2),
        (5.5, "medium", [">=", 5.5, "<", 7], 4),
        (Severity.MEDIUM, "medium", [">=", 4, "<", 7], 4),
    ],
)
def test_threshold_reaches_the_first_band_rule(
    threshold: object, first_rule: str, numeric: list, rule_count: int
) -> None:
    _, parsed = synth(severity_threshold=threshold)
    rules = {rule["name"]: rule for rule in parsed["resource"]["aws_cloudwatch_event_rule"].values()}
    assert len(rules) == rule_count
    pattern = json.loads(rules[f"guardduty-alerts-{first_rule}"]["event_pattern"])
    assert pattern["detail"]["severity"] == [{"numeric": numeric}]


def test_subscription_ids_do_not_depend_on_recipient_order() -> None:
    _, forward = synth(recipients=["a@example.com", "b@example.com"])
    _, backward = synth(recipients=["b@example.com", "a@example.com"])
    assert forward == backward
    _, fewer = synth(recipients=["b@example.com"])
    assert set(fewer["resource"]["aws_sns_topic_subscription"]) < set(forward["resource"]["aws_sns_topic_subscription"])


def test_rejects_every_bad_prop_at_once() -> None:
    app = CdktfTesting.app()
    stack = TerraformStack(app, "test")
    with pytest.raises(InvalidPropsError) as caught:
        GuardDutyAlerts(
            stack,
            "alerts",
            recipients=["ok@example.com", "nope", "OK@example.com"],
            severity_threshold="SEVERE",
            name="Bad Name",
            finding_publishing_frequency="HOURLY",
            existing_detector_id="arn:aws:guardduty:x",
            tags={"aws:x": "y"},
        )
    assert caught.value.problems == (
        "recipients[1]: 'nope' is not an email address; allowed: one address such as security@example.com",
        "recipients[2]: 'OK@example.com' repeats recipients[0]; allowed: each address once (case does not matter)",
        "severity_threshold: 'SEVERE' is not a severity; allowed: one of LOW, MEDIUM, HIGH, CRITICAL or a number from 1.0 to 10.0",
        "name: 'Bad Name' is not a usable name; allowed: 2 to 40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen",
        "finding_publishing_frequency: 'HOURLY' is not a publishing frequency; allowed: FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS",
        "existing_detector_id: 'arn:aws:guardduty:x' is not a GuardDuty detector id; allowed: the 32-character id shown by `aws guardduty list-detectors` in that region",
        "tags['aws:x'] is not a usable tag key; allowed: 1 to 128 characters, not starting with 'aws:'",
    )
    assert str(caught.value).startswith("invalid GuardDutyAlerts props: 7 problems\n  - recipients[1]")


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        (
            [],
            "recipients: the list is empty and no channels are given, so nothing would be delivered; allowed: at least one email address, or channels",
        ),
        ("sec@example.com", "recipients: 'sec@example.com' is not a list; allowed: a list of email addresses"),
    ],
)
def test_rejects_recipients_that_are_not_a_list_of_addresses(recipients: object, message: str) -> None:
    app = CdktfTesting.app()
    stack = TerraformStack(app, "test")
    with pytest.raises(InvalidPropsError) as caught:
        GuardDutyAlerts(stack, "alerts", recipients=recipients)  # type: ignore[arg-type]
    assert caught.value.problems == (message,)


@pytest.mark.terraform
def test_full_synth_is_valid_terraform() -> None:
    app = CdktfTesting.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region="us-east-1")
    GuardDutyAlerts(stack, "alerts", recipients=RECIPIENTS)
    assert CdktfTesting.to_be_valid_terraform(CdktfTesting.full_synth(stack))


def test_suppression_rules_become_archive_filters_on_the_detector() -> None:
    from guardduty_alerts import SuppressionRule

    rules = (
        SuppressionRule(name="scanner", criteria={"type": {"equals": ["Recon:EC2/Portscan"]}}),
        SuppressionRule(name="low-noise", description="not worth a look", criteria={"severity": {"less_than": 4}}),
    )
    _, parsed = synth(suppression_rules=rules)
    filters = {f["name"]: f for f in parsed["resource"]["aws_guardduty_filter"].values()}
    detector_id = ref(parsed["resource"], "aws_guardduty_detector", "id")
    assert filters["scanner"] == {
        "action": "ARCHIVE",
        "detector_id": detector_id,
        "finding_criteria": {"criterion": [{"field": "type", "equals": ["Recon:EC2/Portscan"]}]},
        "name": "scanner",
        "rank": 1,
    }
    assert filters["low-noise"]["finding_criteria"] == {"criterion": [{"field": "severity", "less_than": "4"}]}
    assert filters["low-noise"]["rank"] == 2 and filters["low-noise"]["description"] == "not worth a look"
    assert any("_suppression-low-noise_" in key for key in parsed["resource"]["aws_guardduty_filter"])


def test_without_the_formatter_no_function_is_created(default: tuple[str, dict]) -> None:
    _, parsed = default
    for kind in ("aws_lambda_function", "aws_lambda_permission", "aws_iam_role", "aws_cloudwatch_log_group"):
        assert kind not in parsed["resource"]


def test_rejects_finding_type_filters_whose_pattern_is_over_the_size_quota_before_anything_is_built() -> None:
    from guardduty_alerts import FindingFilters

    long_list = tuple(f"UnauthorizedAccess:EC2/SomeLongFindingName{n:03}" for n in range(60))
    with pytest.raises(InvalidPropsError) as caught:
        synth(filters=FindingFilters(exclude_types=long_list))
    (problem,) = caught.value.problems
    assert problem.startswith("filters: the finding types make rule 'medium''s event pattern ")
    assert "over the limit of 2048" in problem
    _, parsed = synth(filters=FindingFilters(exclude_types=long_list), event_pattern_size_limit=4096)
    assert len(parsed["resource"]["aws_cloudwatch_event_rule"]) == 4
    with pytest.raises(InvalidPropsError) as caught:
        synth(event_pattern_size_limit=1024)
    assert caught.value.problems == (
        "event_pattern_size_limit: 1024 is not allowed; allowed: an integer from 2048 (EventBridge's default quota) "
        "to 4096 (its maximum): the account's 'Event pattern size' quota",
    )


def test_every_public_name_is_importable_from_the_package_root() -> None:
    import guardduty_alerts

    assert len(set(guardduty_alerts.__all__)) == len(guardduty_alerts.__all__)
    for name in guardduty_alerts.__all__:
        # The library's own class or function under its own name: not a stray alias or a value left in `__all__`.
        public = getattr(guardduty_alerts, name)
        assert (public.__name__, public.__module__.split(".")[0]) == (name, "guardduty_alerts"), name
    # The README's own import line.
    from guardduty_alerts import DetectorProtection, FindingFilters, SuppressionRule  # noqa: F401


def test_every_type_of_a_documented_property_is_importable_from_the_package_root() -> None:
    import guardduty_alerts
    from guardduty_alerts.alerts import GuardDutyAlerts as FromModule

    # The README's properties table names these types; each resolves, from the root, to the defining class.
    expected = {
        "MailRule": "guardduty_alerts.notifications",
        "Routing": "guardduty_alerts.channels",
        "MailGroup": "guardduty_alerts.channels",
        "RawGroup": "guardduty_alerts.channels",
        "SubjectFormatter": "guardduty_alerts.formatter",
        "RawGroupResources": "guardduty_alerts.raw_groups",
        "ChatWebhooks": "guardduty_alerts.chat_webhooks",
        "UserNotificationsResources": "guardduty_alerts.user_notifications",
        "GuardDutyAlerts": FromModule.__module__,
    }
    assert {name: getattr(guardduty_alerts, name).__module__ for name in expected} == expected
    assert set(expected) <= set(guardduty_alerts.__all__)

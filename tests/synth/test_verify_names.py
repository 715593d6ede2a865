"""verify looks for the resources the construct creates: every name it expects for a stack of the example is the
name in that stack's synthesized Terraform JSON, and nothing the stack names is left unchecked."""

from __future__ import annotations

from pathlib import Path

from guardduty_alerts_app.config import AlertsConfig, load_config
from guardduty_alerts_app.review_inputs import stack_expectations
from guardduty_alerts_review.verify.channels import channel_names
from helpers import FIXTURES, REPO, read_json


def names(resources: dict, kind: str, attribute: str = "name") -> list[str]:
    return sorted(resource[attribute] for resource in resources.get(kind, {}).values())


def test_every_name_verify_looks_for_is_the_name_terraform_receives(
    example_config: AlertsConfig, example_out: Path
) -> None:
    expectations = stack_expectations(example_config)
    assert expectations
    for expectation in expectations:
        resources = read_json(example_out / "stacks" / expectation.name / "cdk.tf.json")["resource"]
        assert names(resources, "aws_sns_topic") == [expectation.topic_name]
        assert names(resources, "aws_cloudwatch_event_rule") == sorted(expectation.rule_names.values())
        assert names(resources, "aws_sqs_queue") == [expectation.dead_letter_queue_name]
        assert names(resources, "aws_cloudwatch_metric_alarm", "alarm_name") == sorted(expectation.alarm_names)
        assert names(resources, "aws_kms_alias") == [expectation.expected_key]
        assert names(resources, "aws_sns_topic_subscription", "endpoint") == sorted(expectation.alerting.recipients)
        (detector,) = resources["aws_guardduty_detector"].values()
        assert detector["finding_publishing_frequency"] == expectation.detector.publishing_frequency
        for target in resources["aws_cloudwatch_event_target"].values():
            assert target["retry_policy"] == {
                "maximum_event_age_in_seconds": expectation.delivery.maximum_event_age_seconds,
                "maximum_retry_attempts": expectation.delivery.maximum_retry_attempts,
            }


def test_every_channel_resource_name_verify_looks_for_is_the_name_terraform_receives(tmp_path: Path) -> None:
    from guardduty_alerts_app.stacks.synth import synth_to  # loads cdktf

    configs = [REPO / "config" / "channels.example.yaml", FIXTURES / "configs" / "webhook-urls-from-environment.yaml"]
    checked = set()
    for path in configs:
        config = load_config(path)
        out = tmp_path / path.stem
        synth_to(config, out / "cdktf.out", state_dir=out)
        for expectation in stack_expectations(config):
            assert expectation.alerting is not None
            resources = read_json(out / "cdktf.out" / "stacks" / expectation.name / "cdk.tf.json")["resource"]
            expected = channel_names(expectation.alerting)
            topics = names(resources, "aws_sns_topic")
            assert set(expected.raw_topics) <= set(topics)
            assert sorted(expected.raw_topics) == [t for t in topics if t.startswith(f"{config.name}-raw-")]
            connections = names(resources, "aws_cloudwatch_event_connection")
            assert connections == ([expected.webhook_connection] if expected.webhook_connection else [])
            assert names(resources, "aws_cloudwatch_event_api_destination") == sorted(expected.api_destinations)
            configurations = names(resources, "aws_notifications_notification_configuration")
            assert configurations == (
                [expected.notification_configuration] if expected.notification_configuration else []
            )
            alarms = names(resources, "aws_cloudwatch_metric_alarm", "alarm_name")
            assert alarms == sorted(expectation.alarm_names)
            checked |= {kind for kind, value in vars(expected).items() if value}
    assert checked == {"raw_topics", "webhook_connection", "api_destinations", "notification_configuration"}


def test_verify_asks_the_regions_where_the_library_says_the_chat_and_notifications_apis_are() -> None:
    # verify does not import the construct modules (they load the provider bindings): the same constants, held equal.
    from guardduty_alerts import channel_delivery
    from guardduty_alerts_review.verify import channels

    assert channels.CHAT_API_REGIONS == channel_delivery.CHAT_API_REGIONS
    assert channels.CHAT_API_REGION in channel_delivery.CHAT_API_REGIONS
    assert channels.USER_NOTIFICATIONS_API_REGION == channel_delivery.USER_NOTIFICATIONS_API_REGION

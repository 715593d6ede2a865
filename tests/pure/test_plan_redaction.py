"""Plan files with their secrets hidden (`redaction.redact_plan`): what `main.py plan` writes and `plan-summary`
reads. The plan documents follow Terraform's JSON output format (developer.hashicorp.com/terraform/internals/
json-format, "JSON Output Format"): values beside their `*_sensitive` / `sensitive_values` maps, root variables'
values in `variables` with their `sensitive` flag under `configuration.root_module.variables`. The real
Terraform end of it is tests/terraform/test_plan_secrets_terraform.py."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from guardduty_alerts_review.redaction import REDACTED, hidden_url, redact_plan
from helpers import REPO

SLACK = "https://hooks.slack.com/services/T0SECRET/B0SECRET/xoxSECRETTOKEN"
PAGERDUTY = "https://events.pagerduty.com/integration/INTEGRATIONKEY123/enqueue"


def _plan() -> dict[str, Any]:
    destination = {"name": "gd-slack", "invocation_endpoint": SLACK, "http_method": "POST"}
    subscription = {"protocol": "https", "endpoint": PAGERDUTY, "topic_arn": "arn:aws:sns:us-east-1:1:gd-raw"}
    connection = {"name": "gd-webhooks", "auth_parameters": [{"api_key": [{"key": "X-Key", "value": "webhook"}]}]}
    return {
        "format_version": "1.2",
        "variables": {"slack_url": {"value": SLACK}, "plain": {"value": "us-east-1"}},
        "configuration": {
            "root_module": {
                "variables": {"slack_url": {"sensitive": True}, "plain": {}},
                "resources": [
                    {
                        "address": "aws_sns_topic_subscription.pd",
                        "expressions": {"endpoint": {"constant_value": PAGERDUTY}},
                    }
                ],
            }
        },
        "planned_values": {
            "outputs": {"secret": {"sensitive": True, "value": "s3cr3t-output-value"}},
            "root_module": {
                "resources": [
                    {
                        "address": "aws_cloudwatch_event_api_destination.d",
                        "type": "aws_cloudwatch_event_api_destination",
                        "values": destination,
                        "sensitive_values": {"invocation_endpoint": True},
                    },
                    {
                        "address": "aws_sns_topic_subscription.pd",
                        "type": "aws_sns_topic_subscription",
                        "values": subscription,
                        "sensitive_values": {},
                    },
                ],
            },
        },
        "resource_changes": [
            {
                "address": "aws_cloudwatch_event_api_destination.d",
                "type": "aws_cloudwatch_event_api_destination",
                # Not marked sensitive (a literal): hidden all the same.
                "change": {"actions": ["create"], "before": None, "after": destination, "after_sensitive": {}},
            },
            {
                "address": "aws_cloudwatch_event_connection.c",
                "type": "aws_cloudwatch_event_connection",
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": connection,
                    "after_sensitive": {"auth_parameters": [{"api_key": [{"value": True}]}]},
                },
            },
            {
                "address": "aws_sns_topic_subscription.pd",
                "type": "aws_sns_topic_subscription",
                "change": {
                    "actions": ["update"],
                    "before": subscription,
                    "after": subscription,
                    "before_sensitive": {},
                    "after_sensitive": {},
                },
            },
            {
                "address": "data.aws_ssm_parameter.u",
                "type": "aws_ssm_parameter",
                "mode": "data",
                "change": {"actions": ["read"], "before": None, "after": {"name": "/security/slack", "value": SLACK}},
            },
        ],
        "prior_state": {
            "values": {
                "root_module": {
                    "resources": [
                        {
                            "address": "aws_cloudwatch_event_api_destination.d",
                            "type": "aws_cloudwatch_event_api_destination",
                            "values": destination,
                            "sensitive_values": {},
                        },
                    ]
                }
            }
        },
    }


def test_a_redacted_plan_holds_no_webhook_url_url_path_or_sensitive_value() -> None:
    text = json.dumps(redact_plan(_plan()).plan)
    for secret in (SLACK, "/services/T0SECRET", "xoxSECRETTOKEN", "INTEGRATIONKEY123", "s3cr3t-output-value"):
        assert secret not in text
    assert '"value": "webhook"' not in text


def test_hidden_values_keep_the_plans_shape_and_what_the_summary_reads() -> None:
    plan = redact_plan(_plan()).plan
    changes = {item["address"]: item["change"] for item in plan["resource_changes"]}
    assert changes["aws_cloudwatch_event_api_destination.d"]["after"]["invocation_endpoint"] == REDACTED
    assert changes["aws_cloudwatch_event_api_destination.d"]["after"]["name"] == "gd-slack"
    assert changes["aws_cloudwatch_event_connection.c"]["after"]["auth_parameters"] == [
        {"api_key": [{"key": "X-Key", "value": REDACTED}]}
    ]
    # The host stays: the comment says where findings go ("HTTPS webhook at events.pagerduty.com").
    assert changes["aws_sns_topic_subscription.pd"]["before"]["endpoint"] == (
        "https://events.pagerduty.com/(path hidden)"
    )
    assert changes["data.aws_ssm_parameter.u"]["after"] == {"name": "/security/slack", "value": REDACTED}
    assert plan["variables"] == {"slack_url": {"value": REDACTED}, "plain": {"value": "us-east-1"}}
    assert plan["planned_values"]["outputs"]["secret"]["value"] == REDACTED
    expressions = plan["configuration"]["root_module"]["resources"][0]["expressions"]
    assert expressions["endpoint"]["constant_value"] == "https://events.pagerduty.com/(path hidden)"


def test_redaction_leaves_its_input_alone_and_a_second_pass_changes_nothing() -> None:
    original = _plan()
    once = redact_plan(original).plan
    assert original == _plan()
    assert redact_plan(once).plan == once


def test_the_plan_text_loses_every_secret_found_in_the_json() -> None:
    redaction = redact_plan(_plan())
    text = (
        f'+ endpoint = "{PAGERDUTY}"\n'
        f'+ invocation_endpoint = "{SLACK}"\n'
        "  path alone: /services/T0SECRET/B0SECRET/xoxSECRETTOKEN\n"
        '+ name = "gd-webhooks"\n'
    )
    assert redaction.text(text) == (
        '+ endpoint = "https://events.pagerduty.com/(path hidden)"\n'
        f'+ invocation_endpoint = "{REDACTED}"\n'
        "  path alone: /(path hidden)\n"
        '+ name = "gd-webhooks"\n'
    )


def test_short_secrets_are_hidden_where_they_stand_but_not_searched_for_in_names() -> None:
    # The connection's placeholder API key is "webhook": replacing it everywhere would garble "gd-webhooks".
    plan = redact_plan(_plan()).plan
    connection = next(c for c in plan["resource_changes"] if c["type"] == "aws_cloudwatch_event_connection")
    assert connection["change"]["after"]["name"] == "gd-webhooks"


def test_a_url_is_shown_by_its_scheme_and_host_only() -> None:
    assert hidden_url(PAGERDUTY) == "https://events.pagerduty.com/(path hidden)"
    assert hidden_url("not a url") == REDACTED


def test_in_place_redaction_changes_the_document_it_is_given() -> None:
    plan = _plan()
    redacted = redact_plan(plan, in_place=True).plan
    assert plan["variables"]["slack_url"] == {"value": REDACTED}
    assert redacted == redact_plan(_plan()).plan


@pytest.mark.parametrize(
    "path",
    [
        "plans/stack.json",
        "plans/stack.txt",
        "logs/deploy.log",
        "base.out/manifest.json",
        "comment.md",
        "plan-summary.md",
        "changed-stacks.json",
    ],
)
def test_review_and_deploy_outputs_are_git_ignored(path: str) -> None:
    # Plans and logs of a real account must never be committed by accident.
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=REPO, check=False)
    assert result.returncode == 0, f"{path} is not git-ignored"

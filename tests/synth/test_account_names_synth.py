"""`account_names` on the construct: the subject formatter's ACCOUNT_NAMES variable, and nothing else moves."""

from __future__ import annotations

import copy
import json

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # aliased: pytest would try to collect a class named Test*
from guardduty_alerts import GuardDutyAlerts, InvalidPropsError
from guardduty_alerts.formatter_names import ACCOUNT_NAMES_MAX_BYTES
from helpers import RECIPIENTS, only, synth_construct

NAMES = {"222222222222": "security", "111111111111": "payments-prod"}


def _function(parsed: dict) -> dict:
    return only(parsed["resource"], "aws_lambda_function")


def test_the_formatter_gets_the_names_as_compact_json_sorted_by_id() -> None:
    _, parsed = synth_construct(subject_formatter=True, account_names=NAMES)
    assert _function(parsed)["environment"] == {
        "variables": {
            "ACCOUNT_NAMES": '{"111111111111":"payments-prod","222222222222":"security"}',
            "TOPIC_ARN": "${aws_sns_topic.alerts_topic_3313844B.arn}",
        }
    }


def test_without_names_the_json_is_byte_identical_and_names_add_only_the_variable() -> None:
    text, parsed = synth_construct(subject_formatter=True)
    assert _function(parsed)["environment"] == {
        "variables": {"TOPIC_ARN": "${aws_sns_topic.alerts_topic_3313844B.arn}"}
    }
    assert synth_construct(subject_formatter=True, account_names={})[0] == text
    assert synth_construct(subject_formatter=True, account_names=None)[0] == text
    _, named = synth_construct(subject_formatter=True, account_names=NAMES)
    without_variable = copy.deepcopy(named)
    del _function(without_variable)["environment"]["variables"]["ACCOUNT_NAMES"]
    assert json.dumps(without_variable, sort_keys=True) == json.dumps(parsed, sort_keys=True)


def test_without_the_formatter_names_change_nothing() -> None:
    # An input transformer cannot look a name up: the plain mails keep the id (docs/notifications.md).
    assert synth_construct(account_names=NAMES)[0] == synth_construct()[0]


def test_name_order_changes_no_byte() -> None:
    reordered = dict(reversed(list(NAMES.items())))
    assert (
        synth_construct(subject_formatter=True, account_names=reordered)[0]
        == synth_construct(subject_formatter=True, account_names=NAMES)[0]
    )


def _rejected(**props: object) -> tuple[str, ...]:
    stack = TerraformStack(CdktfTesting.app(), "test")
    with pytest.raises(InvalidPropsError) as caught:
        GuardDutyAlerts(stack, "alerts", recipients=RECIPIENTS, subject_formatter=True, **props)  # type: ignore[arg-type]
    return caught.value.problems


def test_rejects_names_over_lambdas_environment_quota() -> None:
    # Lambda quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: "Function
    # environment variables: 4 KB, for all environment variables associated with the function, in aggregate".
    names = {f"{n:012}": f"account-name-number-{n:04}" for n in range(100)}  # 100 x 42 bytes + 2
    assert _rejected(account_names=names) == (
        "account_names: the names of 100 accounts take 4201 bytes in the subject formatter's environment; "
        f"allowed: at most {ACCOUNT_NAMES_MAX_BYTES} bytes (Lambda's 4 KB quota on a function's environment "
        "variables, less room for TOPIC_ARN): name fewer accounts, shorten their names, or turn subject_formatter off",
    )
    assert ACCOUNT_NAMES_MAX_BYTES == 3571


def test_the_largest_accepted_names_fit_the_quota_with_the_longest_topic_arn() -> None:
    names = {f"{n:012}": f"a{n:023}" for n in range(84)}  # 84 accounts with 24-character names
    _, parsed = synth_construct(subject_formatter=True, account_names=names)
    variable = _function(parsed)["environment"]["variables"]["ACCOUNT_NAMES"]
    longest_arn = "arn:aws-us-gov:sns:ap-southeast-5:123456789012:" + "t" * 256
    assert len(variable) <= ACCOUNT_NAMES_MAX_BYTES
    assert len("ACCOUNT_NAMES") + len(variable) + len("TOPIC_ARN") + len(longest_arn) <= 4096


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (
            {"12345": "payments"},
            "account_names['12345']: '12345' -> 'payments' is not a 12-digit account id with a name; allowed: a "
            "12-digit account id (a string) mapped to a non-empty name",
        ),
        (
            {"111111111111": ""},
            "account_names['111111111111']: '111111111111' -> '' is not a 12-digit account id with a name; allowed: "
            "a 12-digit account id (a string) mapped to a non-empty name",
        ),
        (
            ["111111111111"],
            "account_names: ['111111111111'] is not a mapping; allowed: a mapping of account ids to names",
        ),
    ],
)
def test_rejects_names_that_are_not_ids_mapped_to_names(names: object, message: str) -> None:
    assert _rejected(account_names=names) == (message,)


def test_the_app_gives_every_stack_of_an_estate_the_names_of_all_its_accounts(tmp_path) -> None:
    # The administrator account (or a central inbox) mails other accounts' findings: each needs every name.
    from guardduty_alerts_app.config import load_config
    from guardduty_alerts_app.stacks.synth import synth_to
    from helpers import FIXTURES

    names = synth_to(
        load_config(FIXTURES / "configs" / "named-accounts-formatter.yaml"), tmp_path / "out", state_dir=tmp_path
    )
    assert names == ["guardduty-alerts-payments-prod-eu-west-1", "guardduty-alerts-security-eu-west-1"]
    for name in names:
        document = json.loads((tmp_path / "out" / "stacks" / name / "cdk.tf.json").read_text())
        variables = _function(document)["environment"]["variables"]
        assert variables["ACCOUNT_NAMES"] == '{"111111111111":"payments-prod","222222222222":"security"}'

"""explain and preview with routing by account (issue 22): which accounts reach whom, in words, accounts that
reach nobody flagged; a finding of account A reaches the destinations whose account lists admit A."""

from __future__ import annotations

from guardduty_alerts.accounts import account_names
from guardduty_alerts.channels import EmailChannel, SqsChannel, WebhookChannel
from guardduty_alerts.patterns import FindingFilters
from guardduty_alerts_app.config import parse_config
from guardduty_alerts_app.review_inputs import stack_alerting
from guardduty_alerts_review.alerting import StackAlerting
from guardduty_alerts_review.explain import explain
from guardduty_alerts_review.preview import channel_deliveries, preview_event
from helpers import destination_block

PAYMENTS, SHARED, NEWCOMER = "111111111111", "222222222222", "999999999999"
NAMES = account_names({PAYMENTS: "payments-prod", SHARED: "shared"})
HOOK = "https://hooks.example.com/x"


def accounts_block(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("  accounts (whose findings reach which destinations)")
    return lines[start + 1 :]


def test_explain_says_which_accounts_reach_whom_with_the_unrouted_destination() -> None:
    config = parse_config(
        {
            "regions": ["us-east-1"],
            # Recipients without accounts get every account's findings (and route none).
            "recipients": ["ops@example.com"],
            "accounts": [
                {
                    "id": PAYMENTS,
                    "name": "payments-prod",
                    "channels": [
                        {"kind": "email", "addresses": ["pay@example.com"], "accounts": ["payments-prod"]},
                        {"kind": "webhook", "url": HOOK, "accounts": ["shared"]},
                    ],
                    "unrouted": {"recipients": ["soc@example.com"]},
                },
                {"id": SHARED, "name": "shared"},
            ],
        }
    )
    (payments, _) = stack_alerting(config)
    text = explain([payments])
    assert destination_block(text, "mail to soc@example.com")[2] == (
        "      filters  finding types all, every occurrence, findings of every account except account payments-prod "
        "(111111111111) and account shared (222222222222)"
    )
    assert accounts_block(text) == [
        "  - account payments-prod (111111111111): mail to ops@example.com; mail to pay@example.com",
        "  - account shared (222222222222): mail to ops@example.com; HTTPS webhook at hooks.example.com",
        "  - any other account: mail to ops@example.com; mail to soc@example.com",
    ]


def test_explain_flags_accounts_whose_findings_reach_nobody() -> None:
    alerting = StackAlerting(
        name="s",
        region="us-east-1",
        alerts_name="a",
        severity_threshold="MEDIUM",
        channels=(
            EmailChannel(addresses=("pay@example.com",), filters=FindingFilters(accounts=(PAYMENTS,))),
            WebhookChannel(url=HOOK, filters=FindingFilters(exclude_accounts=(PAYMENTS, SHARED))),
        ),
        account_names=NAMES,
    )
    assert accounts_block(explain([alerting])) == [
        "  - account payments-prod (111111111111): mail to pay@example.com",
        # The webhook's accounts_except leaves shared out and no other destination lists it: said as such.
        "  - account shared (222222222222): NOBODY: every destination that would get its findings leaves it out "
        "(accounts_except or finding_accounts_except); take it out of one, or list it in a channel's accounts",
        "  - any other account: HTTPS webhook at hooks.example.com",
    ]


def test_explain_flags_a_named_account_that_no_destination_lists() -> None:
    alerting = StackAlerting(
        name="s",
        region="us-east-1",
        alerts_name="a",
        severity_threshold="MEDIUM",
        channels=(EmailChannel(addresses=("pay@example.com",), filters=FindingFilters(accounts=(PAYMENTS,))),),
        account_names=NAMES,
    )
    assert accounts_block(explain([alerting])) == [
        "  - account payments-prod (111111111111): mail to pay@example.com",
        "  - account shared (222222222222): NOBODY: no destination gets its findings; list it in a channel's "
        "accounts, or add unrouted",
        "  - any other account: NOBODY: add unrouted, so that a new account's findings reach someone",
    ]


def test_explain_flags_an_account_that_finding_accounts_except_leaves_out_with_recipients_alone() -> None:
    # No channels, so no destinations section: the accounts block is printed all the same.
    config = parse_config(
        {
            "regions": ["us-east-1"],
            "recipients": ["sec@example.com"],
            "finding_accounts_except": ["shared"],
            "accounts": [{"id": PAYMENTS, "name": "payments-prod"}, {"id": SHARED, "name": "shared"}],
        }
    )
    text = explain(stack_alerting(config)[:1])
    assert "  destinations" not in text.splitlines()
    assert accounts_block(text) == [
        "  - account payments-prod (111111111111): mail to sec@example.com",
        "  - account shared (222222222222): NOBODY: every destination that would get its findings leaves it out "
        "(accounts_except or finding_accounts_except); take it out of one, or list it in a channel's accounts",
        "  - any other account: mail to sec@example.com",
    ]


def test_explain_marks_the_unrouted_destination() -> None:
    config = parse_config(
        {
            "regions": ["us-east-1"],
            "recipients": ["ops@example.com"],
            "accounts": [
                {
                    "id": PAYMENTS,
                    "name": "payments-prod",
                    "channels": [{"kind": "email", "addresses": ["pay@example.com"], "accounts": ["payments-prod"]}],
                    "unrouted": {"channel": {"kind": "webhook", "url": HOOK}},
                },
                {"id": SHARED, "name": "shared"},
            ],
        }
    )
    text = explain(stack_alerting(config)[:1])
    assert destination_block(text, "HTTPS webhook at hooks.example.com")[1:4] == [
        "      gets     MEDIUM, HIGH and CRITICAL (4.0 and above); the whole event in SNS's JSON envelope",
        "      filters  finding types all, every occurrence, findings of every account except account payments-prod "
        "(111111111111)",
        "      routing  unrouted: gets findings of every account no route lists",
    ]
    # An ordinary destination carries no such row.
    assert not any("routing" in line for line in destination_block(text, "mail to pay@example.com"))


def test_explain_names_the_account_of_an_sqs_channel_in_words() -> None:
    queue = f"arn:aws:sqs:us-east-1:{SHARED}:findings"
    alerting = StackAlerting(
        name="s",
        region="us-east-1",
        alerts_name="a",
        severity_threshold="HIGH",
        channels=(SqsChannel(queue_arn=queue), SqsChannel(queue_arn=f"arn:aws:sqs:us-east-1:{NEWCOMER}:other")),
        account_id=PAYMENTS,
        account_names=NAMES,
    )
    titles = [line for line in explain([alerting]).splitlines() if line.startswith("  - SQS")]
    assert titles == [
        "  - SQS queue findings of account shared (222222222222)",
        # An account the config does not name keeps its id.
        "  - SQS queue other (account 999999999999)",
    ]
    assert [words for words, _ in channel_deliveries(alerting, finding(SHARED))] == [
        "SQS queue findings of account shared (222222222222)",
        "SQS queue other (account 999999999999)",
    ]


def test_explain_prints_no_account_section_without_account_lists() -> None:
    alerting = StackAlerting(
        name="s", region="us-east-1", alerts_name="a", severity_threshold="MEDIUM", channels=(WebhookChannel(url=HOOK),)
    )
    assert "accounts (whose findings" not in explain([alerting])


def finding(account: str, severity: float = 8.0) -> dict:
    return {
        "version": "0",
        "source": "aws.guardduty",
        "detail-type": "GuardDuty Finding",
        "region": "us-east-1",
        "account": "123456789012",  # the administrator's bus: the member is in detail.accountId
        "detail": {"severity": severity, "type": "Recon:EC2/Portscan", "accountId": account, "service": {"count": 1}},
    }


def test_preview_sends_a_finding_of_account_a_to_a_s_destinations_only() -> None:
    alerting = StackAlerting(
        name="s",
        region="us-east-1",
        alerts_name="a",
        severity_threshold="MEDIUM",
        channels=(
            EmailChannel(addresses=("pay@example.com",), filters=FindingFilters(accounts=(PAYMENTS,))),
            WebhookChannel(url=HOOK, filters=FindingFilters(accounts=(SHARED,))),
            EmailChannel(addresses=("soc@example.com",), filters=FindingFilters(exclude_accounts=(PAYMENTS, SHARED))),
        ),
        account_names=NAMES,
    )
    assert channel_deliveries(alerting, finding(PAYMENTS)) == [
        ("mail to pay@example.com", True),
        ("HTTPS webhook at hooks.example.com", False),
        ("mail to soc@example.com", False),
    ]
    assert [gets for _, gets in channel_deliveries(alerting, finding(SHARED))] == [False, True, False]
    assert [gets for _, gets in channel_deliveries(alerting, finding(NEWCOMER))] == [False, False, True]


def test_preview_says_in_words_why_the_top_level_accounts_leave_a_finding_out(tmp_path) -> None:
    alerting = StackAlerting(
        name="s",
        region="us-east-1",
        alerts_name="a",
        severity_threshold="MEDIUM",
        recipients=("sec@example.com",),
        filters=FindingFilters(accounts=(PAYMENTS,)),
        account_names=NAMES,
    )
    outcome = preview_event(alerting, tmp_path / "f.json", finding(SHARED))
    assert (outcome.mailed_by, outcome.reason) == (
        (),
        "the finding is about account shared (222222222222), not one of finding_accounts",
    )
    assert preview_event(alerting, tmp_path / "f.json", finding(PAYMENTS)).mailed_by == ("a-high",)
    excluded = StackAlerting(
        name="s",
        region="us-east-1",
        alerts_name="a",
        severity_threshold="MEDIUM",
        recipients=("sec@example.com",),
        filters=FindingFilters(exclude_accounts=(SHARED,)),
    )
    assert preview_event(excluded, tmp_path / "f.json", finding(SHARED)).reason == (
        "the finding is about account 222222222222, which finding_accounts_except leaves out"
    )


def test_the_many_accounts_command_runs_as_printed(capsys) -> None:
    from guardduty_alerts_app.cli import main
    from helpers import REPO

    # docs/many-accounts.md, step 5 of the administrator set-up.
    assert main(["explain", "--config", str(REPO / "config/accounts-routing.example.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        "  - account payments-prod (111111111111): mail to cloud-admins@example.com; mail to "
        "payments-security@example.com"
    ) in out.splitlines()
    assert "  - any other account: mail to cloud-admins@example.com; mail to soc@example.com" in out.splitlines()

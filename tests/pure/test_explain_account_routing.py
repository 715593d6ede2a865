"""explain and preview with routing by account (issue 22): which accounts reach whom, in words, accounts that
reach nobody flagged; a finding of account A reaches the destinations whose account lists admit A."""

from __future__ import annotations

from guardduty_alerts.accounts import account_names
from guardduty_alerts.channels import EmailChannel, WebhookChannel
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
        "  - account shared (222222222222): NOBODY: no destination gets its findings; list it in a channel's "
        "accounts, or add unrouted",
        "  - any other account: HTTPS webhook at hooks.example.com",
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

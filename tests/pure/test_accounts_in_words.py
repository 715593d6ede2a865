"""Accounts in words outside the mails: explain, preview and `stacks` say "account payments-prod
(111111111111)" for every account the config lists, and read as before without `accounts`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from guardduty_alerts_app.cli import main
from helpers import FIXTURES, REPO, finding_event

NAMED = FIXTURES / "configs" / "named-accounts-formatter.yaml"


def test_explain_names_each_stacks_account_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--config", str(NAMED)]) == 0
    headers = [line for line in capsys.readouterr().out.splitlines() if line.startswith("stack ")]
    assert headers == [
        "stack guardduty-alerts-payments-prod-eu-west-1 (account payments-prod (111111111111), region eu-west-1)",
        "stack guardduty-alerts-security-eu-west-1 (account security (222222222222), region eu-west-1)",
    ]


def test_explain_without_accounts_reads_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--config", str(REPO / "config" / "guardduty-alerts.yaml")]) == 0
    headers = [line for line in capsys.readouterr().out.splitlines() if line.startswith("stack ")]
    assert headers and all(" (region " in line and "account" not in line for line in headers)


def test_preview_names_the_stacks_account_and_the_formatters_mail_names_the_findings_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A member's finding in the administrator's stack (the security account): its mail names the member.
    event = finding_event(8.0, account="222222222222", region="eu-west-1")
    event["detail"].update(accountId="111111111111", region="eu-west-1")
    (tmp_path / "member.json").write_text(json.dumps(event))
    assert main(["preview", str(tmp_path / "member.json"), "--config", str(NAMED)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "== stack guardduty-alerts-security-eu-west-1 (account security (222222222222), threshold MEDIUM) ==" in out
    assert "Subject: [GuardDuty][HIGH 8.0] Recon:EC2/Portscan account payments-prod (111111111111) eu-west-1" in out
    assert (
        "GuardDuty finding: HIGH 8.0 Recon:EC2/Portscan in account payments-prod (111111111111), region eu-west-1"
        in out
    )


def test_stacks_lists_each_account_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stacks", "--config", str(NAMED)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1  guardduty-alerts-payments-prod-eu-west-1  account payments-prod (111111111111)  eu-west-1  alerts",
        "1  guardduty-alerts-security-eu-west-1  account security (222222222222)  eu-west-1  alerts",
    ]


def test_rejects_more_account_names_than_the_formatters_environment_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Lambda quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: "Function
    # environment variables: 4 KB, for all environment variables associated with the function, in aggregate".
    accounts = "".join(f'  - {{id: "{n:012}", name: account-name-number-{n:04}}}\n' for n in range(1, 101))
    path = tmp_path / "many.yaml"
    path.write_text(
        f"regions: [eu-west-1]\nrecipients: [a@example.com]\nsubject_formatter: true\naccounts:\n{accounts}"
    )
    assert main(["synth", "--config", str(path), "--outdir", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        f"error: invalid configuration in {path}: 1 problem\n"
        "  - accounts: with subject_formatter on, the names of 100 accounts take 4201 bytes in the subject "
        "formatter's environment; allowed: at most 3571 bytes (Lambda's 4 KB quota on a function's environment "
        "variables, less room for TOPIC_ARN): name fewer accounts, shorten their names, or turn subject_formatter off\n"
    )
    assert not (tmp_path / "out").exists()
    # Without the formatter the names go nowhere near Lambda: the same accounts are fine.
    path.write_text(f"regions: [eu-west-1]\nrecipients: [a@example.com]\naccounts:\n{accounts}")
    assert main(["explain", "--config", str(path)]) == 0

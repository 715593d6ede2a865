"""The subject formatter names the finding's account in words, from ACCOUNT_NAMES, as packaged for Lambda."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from guardduty_alerts.formatter import _stage_code
from guardduty_alerts.formatter_function import handler
from guardduty_alerts.templates import mail_templates

NAMES = {"111111111111": "payments-prod", "222222222222": "security"}
EVENT = {
    "account": "222222222222",
    "region": "eu-west-1",
    "source": "aws.guardduty",
    "detail-type": "GuardDuty Finding",
    "detail": {
        "accountId": "111111111111",
        "region": "us-east-1",
        "severity": 8,
        "type": "Recon:EC2/Portscan",
        "title": "Unusual port scan",
        "description": "An instance scanned ports.",
        "id": "abc",
        "resource": {"resourceType": "Instance", "instanceDetails": {"instanceId": "i-0123"}},
        "service": {"eventFirstSeen": "2026-01-01T00:00:00Z", "eventLastSeen": "2026-01-01T00:05:00Z", "count": 2},
    },
}


def test_subject_and_body_name_a_listed_account_in_words() -> None:
    subject, body = handler.render(EVENT, mail_templates(), NAMES)
    assert subject == "[GuardDuty][HIGH 8.0] Recon:EC2/Portscan account payments-prod (111111111111) us-east-1"
    assert body.split("\n")[0] == (
        "GuardDuty finding: HIGH 8 Recon:EC2/Portscan in account payments-prod (111111111111), region us-east-1"
    )
    # The console link keeps the bare id: it is a URL, not words.
    assert "account payments-prod" not in body.split("\n", 1)[1]


def test_an_account_the_config_does_not_list_keeps_todays_wording() -> None:
    event = {**EVENT, "detail": {**EVENT["detail"], "accountId": "333333333333"}}
    assert handler.render(event, mail_templates(), NAMES) == handler.render(event, mail_templates(), {})
    subject, body = handler.render(event, mail_templates(), NAMES)
    assert subject == "[GuardDuty][HIGH 8.0] Recon:EC2/Portscan 333333333333 us-east-1"
    assert body.startswith("GuardDuty finding: HIGH 8 Recon:EC2/Portscan in account 333333333333, region us-east-1")


def test_packaged_function_names_accounts_with_only_the_standard_library(tmp_path: Path) -> None:
    # Lambda's python3.12 runtime has the package's files and the standard library (boto3 aside, which render
    # does not use): -I -S keeps this library and every site package out, so a missing accounts.py fails here.
    staged = _stage_code("aws")
    assert sorted(path.name for path in staged.iterdir()) == ["accounts.py", "handler.py", "mail_templates.json"]
    script = (
        "import json, sys; sys.path.insert(0, '.'); import handler; "
        "print(json.dumps(handler.render(json.loads(sys.stdin.read()))))"
    )
    env = {"PATH": os.environ.get("PATH", ""), "ACCOUNT_NAMES": json.dumps(NAMES)}
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        input=json.dumps(EVENT),
        cwd=staged,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    subject, body = json.loads(done.stdout)
    assert subject == "[GuardDuty][HIGH 8.0] Recon:EC2/Portscan account payments-prod (111111111111) us-east-1"
    assert "in account payments-prod (111111111111), region us-east-1" in body


def test_a_long_subject_with_words_is_cut_to_the_sns_limit() -> None:
    # One of the longest GuardDuty types: the cut already hid the id before names (the body keeps the words).
    event = {
        **EVENT,
        "detail": {**EVENT["detail"], "type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"},
    }
    subject = handler.render(event, mail_templates(), NAMES)[0]
    assert subject == (
        "[GuardDuty][HIGH 8.0] UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS accoun..."
    )
    assert len(subject) == 100

"""The subject formatter's handler, run as Lambda would over every event: subject and body."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from guardduty_alerts.formatter import HANDLER_DIR, mail_templates
from guardduty_alerts.notifications import mail_rules
from guardduty_alerts_review.preview import render_mail
from helpers import FINDINGS_DIR, OWN_EVENTS

FINDINGS = sorted(FINDINGS_DIR.glob("*.json")) + sorted(OWN_EVENTS.glob("*.json"))


@pytest.fixture(scope="module")
def handler(tmp_path_factory: pytest.TempPathFactory):
    """The handler module as Lambda loads it: handler.py beside the mail_templates.json the asset holds."""
    folder = tmp_path_factory.mktemp("function")
    (folder / "handler.py").write_text((HANDLER_DIR / "handler.py").read_text())
    (folder / "mail_templates.json").write_text(json.dumps(mail_templates()))
    spec = importlib.util.spec_from_file_location("formatter_handler", folder / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", FINDINGS, ids=lambda p: p.name)
def test_handler_formats_every_finding_like_the_plain_mail_without_quotes(handler, path: Path) -> None:
    event = json.loads(path.read_text())
    (rule,) = [r for r in mail_rules(1.0) if _matches(r, event)]
    subject, body = handler.render(rule.key, event)
    assert len(subject) <= 100
    assert subject.isascii() and "\n" not in subject
    detail = event["detail"]
    sample = (detail["service"].get("additionalInfo") or {}).get("sample") is True
    expected_start = f"[GuardDuty]{'[SAMPLE]' if sample else ''}[{rule.band.name} {float(detail['severity']):.1f}] {detail['type']}"
    assert subject.startswith(expected_start[:100])
    # The same lines as the EventBridge template renders, minus the quotes EventBridge keeps.
    quoted = render_mail(rule, event)
    assert body == "\n".join(line[1:-1] if line.startswith('"') else line for line in _quoted_lines(quoted))


def _matches(rule, event: dict) -> bool:
    from moto.events.models import EventPattern

    return EventPattern.load(rule.pattern_json()).matches_event(event)


def _quoted_lines(mail: str) -> list[str]:
    # A description with line breaks spans several physical lines inside one quoted template line.
    lines: list[str] = []
    for physical in mail.split("\n"):
        if lines and not (lines[-1].endswith('"') and len(lines[-1]) > 1):
            lines[-1] += "\n" + physical
        else:
            lines.append(physical)
    return lines


def test_subject_is_cut_to_the_sns_limit(handler) -> None:
    event = {"account": "123456789012", "region": "ap-southeast-2", "detail": {"severity": 8, "type": "X" * 150}}
    subject = handler.subject("HIGH", False, event)
    assert len(subject) == 100 and subject.endswith("...")
    assert subject.startswith("[GuardDuty][HIGH 8.0] XXX")


def test_subject_names_the_findings_own_account_and_region_not_the_forwarding_envelope(handler) -> None:
    # Through a central inbox the event reaches the home region's bus; the finding still says where it happened.
    event = {
        "account": "111111111111",
        "region": "us-east-1",
        "detail": {"severity": 7.5, "type": "Recon:EC2/Portscan", "accountId": "222222222222", "region": "eu-west-1"},
    }
    assert handler.subject("HIGH", False, event) == "[GuardDuty][HIGH 7.5] Recon:EC2/Portscan 222222222222 eu-west-1"

"""Chat webhook bodies stay valid JSON for any finding text (chat_messages.py), rendered the way the
EventBridge user guide documents input transformation (tests/eventbridge_transformer.py)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from eventbridge_transformer import render
from guardduty_alerts.channels import ChannelKind
from guardduty_alerts.chat_messages import JSON_SAFE_PATHS, chat_transformer
from guardduty_alerts.severity import Severity
from guardduty_alerts.templates import COMMON_PATHS, input_template, mail_lines, used_paths
from helpers import OWN_EVENTS

EVENT: dict[str, Any] = json.loads((OWN_EVENTS / "lambda__Backdoor_Lambda_C2Activity_B.json").read_text())

# What a finding's free text may hold and a JSON string literal may not hold unescaped.
HOSTILE_TEXTS = (
    'Access to "prod" bucket',
    "C:\\Windows\\System32 path, trailing backslash \\",
    "first line\nsecond line\r\nthird",
    "tab\tseparated",
    "non-ASCII: Zürich, 東京, emoji 🚨, \u2028 line separator",
    '"}, "text": "injected',
    "",
)
BANDS: tuple[Severity | None, ...] = (*Severity, None)


def hostile_event(text: str) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["detail"]["title"] = text
    event["detail"]["description"] = text + " (description)"
    return event


# EventBridge user guide, "Amazon EventBridge input transformation", "Input transform examples": the
# renderer reproduces the guide's own example before it is trusted with ours.
def test_the_renderer_reproduces_the_user_guides_example() -> None:
    event = {"detail": {"instance-id": "i-0123456789", "state": "RUNNING"}}
    paths = {"instance": "$.detail.instance-id", "state": "$.detail.state"}
    template = '{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}'
    assert json.loads(render(template, paths, event)) == {
        "instance": "i-0123456789",
        "state": [9, "RUNNING", True],
        "Transformed": "Yes",
    }
    assert render("<instance> is in state <state>", paths, event) == "i-0123456789 is in state RUNNING"


# Same page, "Common Issues with transforming input": values are not escaped, objects referenced inside a
# string lose their quotes, and a path that does not resolve creates no variable.
def test_the_renderer_follows_the_user_guides_common_issues() -> None:
    event = {"detail": {"title": 'say "hi"', "obj": {"a": "b"}}}
    assert render('{"t": "<t>"}', {"t": "$.detail.title"}, event) == '{"t": "say "hi""}'
    assert render('"<o>"', {"o": "$.detail.obj"}, event) == '"{a: b}"'
    assert render('"x<m>y"', {"m": "$.detail.missing"}, event) == '"xy"'


# The failure this module prevents: the old chat message put the title inside a JSON string.
@pytest.mark.parametrize("text", [t for t in HOSTILE_TEXTS if any(c in t for c in '"\\\n\r\t')])
def test_fails_to_parse_a_title_inside_a_json_string_for_hostile_text(text: str) -> None:
    template = json.dumps({"text": "GuardDuty: <title>"})
    with pytest.raises(json.JSONDecodeError):
        json.loads(render(template, {"title": COMMON_PATHS["title"]}, hostile_event(text)))


@pytest.mark.parametrize("kind", [ChannelKind.SLACK_WEBHOOK, ChannelKind.TEAMS_WEBHOOK])
@pytest.mark.parametrize("band", BANDS, ids=lambda band: band.name if band else "SAMPLE")
@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_chat_body_is_valid_json_for_hostile_finding_text(kind: ChannelKind, band: Severity | None, text: str) -> None:
    paths, template = chat_transformer(kind, band, sample_bands=list(Severity)[1:])
    body = json.loads(render(template, paths, hostile_event(text)))
    words = body["text"] if kind is ChannelKind.SLACK_WEBHOOK else json.dumps(body, ensure_ascii=False)
    label = band.name if band else "SAMPLE"
    assert f"GuardDuty {label} 8.0: Backdoor:Lambda/C&CActivity.B" in words
    assert "In account 123456789012, region us-east-1" in words
    assert "fId=a1b2c3d4e5f60718293a4b5c6d7e8f90" in words


@pytest.mark.parametrize("kind", [ChannelKind.SLACK_WEBHOOK, ChannelKind.TEAMS_WEBHOOK])
def test_chat_message_reads_only_fields_that_cannot_hold_quotes_backslashes_or_line_breaks(kind: ChannelKind) -> None:
    for band in BANDS:
        paths, _ = chat_transformer(kind, band, sample_bands=list(Severity))
        assert set(paths) <= JSON_SAFE_PATHS
        assert {"title", "description"}.isdisjoint(paths)


def test_json_safe_fields_of_real_findings_hold_no_quote_backslash_or_control_character() -> None:
    from helpers import FINDINGS_DIR

    events = [json.loads(path.read_text()) for path in sorted(FINDINGS_DIR.glob("*.json"))]
    events += [json.loads(path.read_text()) for path in sorted(OWN_EVENTS.glob("*.json"))]
    checked = 0
    for event in events:
        if event.get("detail-type") != "GuardDuty Finding":
            continue
        for name in JSON_SAFE_PATHS:
            value = render(f"<{name}>", {name: COMMON_PATHS[name]}, event)
            assert value and not any(c in value for c in '"\\') and value.isprintable(), (name, value)
            checked += 1
    assert checked >= 5 * 20


# The mail (templates.py) is text, not JSON: SNS takes any string as the message. Each line is a JSON string
# literal with the value inserted unescaped, so a quote in a title shows as a quote and a line break as a
# line break; nothing is refused. The test pins that the mail is still delivered as text with the title.
def test_mail_template_with_hostile_text_renders_the_text_as_it_is() -> None:
    lines = mail_lines(Severity.HIGH)
    text = 'He said "hi"\\ and\nleft'
    mail = render(input_template(lines), used_paths(lines), hostile_event(text))
    assert f'"Title: {text}"' in mail

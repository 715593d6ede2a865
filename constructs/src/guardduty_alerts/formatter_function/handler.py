"""Subject formatter: publishes a GuardDuty finding to the alert topic with a readable subject.

Runs in AWS Lambda (Python standard library and boto3 only). Each EventBridge rule invokes it with
{"rule": "<band>-<shape>", "event": <the finding event>}; `mail_templates.json`, written beside this file at
synth time from the same template definitions the plain EventBridge mails use, gives that rule's band, input
paths and lines. The body is those lines filled in, without the quotes EventBridge's text templates keep.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

SUBJECT_LIMIT = 100  # SNS refuses longer subjects
_TEMPLATES: dict[str, Any] = json.loads((Path(__file__).parent / "mail_templates.json").read_text(encoding="utf-8"))
_STEP = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]")


def resolve(path: str, event: Any) -> Any:
    """Value at a JSON path of the form the templates use ($.a.b[0].c), or None."""
    node = event
    for key, index in _STEP.findall(path.removeprefix("$")):
        if key and isinstance(node, dict):
            node = node.get(key)
        elif index and isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        else:
            return None
    return node


def _text(value: Any) -> str:
    if value is None or value == "":
        return "(not in the finding)"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def render(rule_key: str, event: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) for `event` mailed through the rule named `rule_key`."""
    rule = _TEMPLATES["rules"][rule_key]
    values = {name: _text(resolve(path, event)) for name, path in rule["input_paths"].items()}
    lines = []
    for line in rule["lines"]:
        for name, value in values.items():
            line = line.replace(f"<{name}>", value)
        lines.append(line)
    return subject(rule["band"], rule["sample"], event), "\n".join(lines)


def subject(band: str, sample: bool, event: dict[str, Any]) -> str:
    """[GuardDuty][HIGH 8.0] Type account region, at most 100 printable ASCII characters (SNS's rule)."""
    detail = event.get("detail") or {}
    severity = detail.get("severity")
    number = f"{float(severity):.1f}" if isinstance(severity, (int, float)) else "?"
    prefix = "[GuardDuty][SAMPLE]" if sample else "[GuardDuty]"
    where = f"{event.get('account', '')} {event.get('region', '')}"
    text = f"{prefix}[{band} {number}] {detail.get('type', 'unknown type')} {where}"
    text = "".join(char if " " <= char <= "~" else "?" for char in text).strip()
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."


def handler(payload: dict[str, Any], context: object) -> dict[str, str]:
    import boto3  # in the Lambda runtime; imported here so that render() is testable without it

    subject_text, body = render(payload["rule"], payload["event"])
    response = boto3.client("sns").publish(TopicArn=os.environ["TOPIC_ARN"], Subject=subject_text, Message=body)
    return {"messageId": response["MessageId"], "subject": subject_text}

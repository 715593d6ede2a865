"""Subject formatter: publishes a GuardDuty finding to the alert topic with a readable subject.

Runs in AWS Lambda (Python standard library and boto3 only). The construct's one EventBridge rule invokes it
with the whole finding event; `mail_templates.json`, written beside this file at synth time from the same
line definitions the plain EventBridge mails use, gives the band floors, each band's lines, the sample
marking and the resource lines by resource type. The body is those lines filled in, without the quotes
EventBridge's text templates keep; the band label, the sample marking and the resource line are computed here,
which is why one rule is enough.

ACCOUNT_NAMES (JSON, account id -> name, from the config's `accounts`) names the finding's account in words,
"account payments-prod (111111111111)", with `account_in_words` of accounts.py, packaged beside this file.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

try:  # the Lambda package: accounts.py is staged beside this file (formatter._stage_code)
    from accounts import account_in_words
except ModuleNotFoundError:  # imported from the construct library (its tests)
    from guardduty_alerts.accounts import account_in_words

SUBJECT_LIMIT = 100  # SNS refuses longer subjects
_STEP = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]")
MISSING = "(not in the finding)"


@functools.cache
def account_names() -> dict[str, str]:
    """Account id -> name, as the construct wrote it into the environment (none: every account by its id)."""
    return json.loads(os.environ.get("ACCOUNT_NAMES") or "{}")


def account_words(account: str, names: dict[str, str]) -> str:
    """A named account in words, "account payments-prod (111111111111)"; any other as before, by its id."""
    return account_in_words(account, names) if account in names else account


@functools.cache
def templates() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "mail_templates.json").read_text(encoding="utf-8"))


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
        return MISSING
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def band_of(severity: Any, data: dict[str, Any]) -> str:
    """The band label of a severity: the highest band whose floor it reaches (6.9 MEDIUM, 7.0 HIGH)."""
    if not isinstance(severity, (int, float)):
        return "UNKNOWN"
    floors = sorted(data["bands"].items(), key=lambda item: item[1])
    label = floors[0][0]
    for name, floor in floors:
        if severity >= floor:
            label = name
    return label


def is_sample(event: dict[str, Any]) -> bool:
    return resolve("$.detail.service.additionalInfo.sample", event) is True


def render(
    event: dict[str, Any], data: dict[str, Any] | None = None, names: dict[str, str] | None = None
) -> tuple[str, str]:
    """(subject, body) for a finding event; `names` (account id -> name) default to ACCOUNT_NAMES."""
    data = data or templates()
    names = account_names() if names is None else names
    detail = event.get("detail") or {}
    band = band_of(detail.get("severity"), data)
    lines = list(data["lines"].get(band, data["lines"][min(data["bands"], key=data["bands"].get)]))
    sample = is_sample(event)
    if sample:
        lines[0] = lines[0].replace("GuardDuty finding: ", "GuardDuty finding: SAMPLE ", 1)
        lines.insert(1, data["sample_line"])
    values = {name: _text(resolve(path, event)) for name, path in data["paths"].items()}
    resource = data["resource_lines"].get(detail.get("resource", {}).get("resourceType"))
    if resource is not None:
        found = {name: resolve(path, event) for name, path in resource["paths"].items()}
        if all(value not in (None, "") for value in found.values()):
            lines[lines.index(data["resource_type_line"])] = resource["line"]
            values.update({name: _text(value) for name, value in found.items()})
    account = resolve("$.detail.accountId", event)
    if isinstance(account, str) and account in names:
        # "in account <account>" becomes "in account payments-prod (111111111111)"; links keep the bare id.
        lines = [line.replace("account <account>", account_words(account, names)) for line in lines]
    body = []
    for line in lines:
        for name, value in values.items():
            line = line.replace(f"<{name}>", value)
        body.append(line)
    return subject(band, sample, event, names), "\n".join(body)


def subject(band: str, sample: bool, event: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """[GuardDuty][HIGH 8.0] Type account region, at most 100 printable ASCII characters (SNS's rule)."""
    detail = event.get("detail") or {}
    severity = detail.get("severity")
    number = f"{float(severity):.1f}" if isinstance(severity, (int, float)) else "?"
    prefix = "[GuardDuty][SAMPLE]" if sample else "[GuardDuty]"
    # The finding's own account and region: a central inbox forwards events, and the envelope of a forwarded
    # event need not name where the finding happened.
    account = detail.get("accountId") or event.get("account", "")
    region = detail.get("region") or event.get("region", "")
    where = f"{account_words(str(account), names or {})} {region}"
    text = f"{prefix}[{band} {number}] {detail.get('type', 'unknown type')} {where}"
    text = "".join(char if " " <= char <= "~" else "?" for char in text).strip()
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."


def handler(event: dict[str, Any], context: object) -> dict[str, str]:
    import boto3  # in the Lambda runtime; imported here so that render() is testable without it

    subject_text, body = render(event)
    response = boto3.client("sns").publish(TopicArn=os.environ["TOPIC_ARN"], Subject=subject_text, Message=body)
    return {"messageId": response["MessageId"], "subject": subject_text}

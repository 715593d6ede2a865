"""The chat message a Slack or Teams incoming webhook receives: an EventBridge input transformer built as data.

Like the mail (templates.py) it rides on a rule per severity band, which writes the band's label; unlike the
mail the template is JSON, the body the webhook expects, serialised once with `json.dumps`.

Why the message carries no title or description: EventBridge does not escape the values it extracts with
input paths when it fills the template (EventBridge user guide, "Amazon EventBridge input transformation",
section "Common Issues with transforming input": "EventBridge doesn't escape values extracted by Input Path,
when populating the Input Template for a target"). The same page shows a placeholder outside quotes receiving a
string value with quotes added, but nowhere says the value is escaped then, so that form is no safer. A
finding's title and description are free text: one `"`, `\\` or line break in them inside a JSON string
literal makes the body invalid JSON, the webhook answers 400, EventBridge does not retry a 4xx response of an
API destination and the finding lands in the dead-letter queue. So the chat message reads only fields whose
values cannot hold those characters (JSON_SAFE_PATHS): the account id, the region, the finding type, the
severity and the finding id. The finding type names the threat ("Recon:EC2/Portscan"); the console link opens
the finding with its title and description.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from .channels import ChannelKind
from .severity import Severity
from .templates import COMMON_PATHS, band_legend, console_link_template, used_paths

__all__ = ["JSON_SAFE_PATHS", "chat_message_lines", "chat_transformer"]

# Fields of every GuardDuty finding whose values cannot contain a quote, a backslash or a control character
# (GuardDuty user guide, "GuardDuty finding format" and "Finding details"): the 12-digit account id, the region
# code, the finding type (ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact,
# letters, digits and : / . ! & - _), the severity (a JSON number) and the finding id (hexadecimal).
JSON_SAFE_PATHS: frozenset[str] = frozenset({"account", "region", "type", "severity", "findingId"})

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")


def chat_message_lines(band: Severity | None, *, sample_bands: Sequence[Severity] = ()) -> tuple[str, str]:
    """(headline, body) with `<name>` placeholders: severity label and score, finding type, account, region."""
    label = f"{band.name} <severity>" if band is not None else "SAMPLE <severity>"
    headline = f"GuardDuty {label}: <type>"
    body = "In account <account>, region <region>. The console link shows the finding's title and description"
    if band is None:
        body += f". A sample finding generated for testing (bands {band_legend(sample_bands)})"
    return headline, body


def chat_transformer(
    kind: ChannelKind, band: Severity | None, *, sample_bands: Sequence[Severity] = (), partition: str = "aws"
) -> tuple[dict[str, str], str]:
    """(InputPathsMap, InputTemplate) of the message for a `slack_webhook` or `teams_webhook` channel, linking
    to the console of `partition`."""
    headline, body = chat_message_lines(band, sample_bands=sample_bands)
    link = console_link_template(partition)
    if kind is ChannelKind.SLACK_WEBHOOK:
        # Slack incoming webhooks take {"text": ...} with mrkdwn; Slack links the bare URL itself.
        message: dict[str, object] = {"text": f"*{headline}*\n{body}\n{link}"}
    elif kind is ChannelKind.TEAMS_WEBHOOK:
        # Teams Workflows webhooks take a message with an Adaptive Card attachment.
        message = {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": headline, "weight": "Bolder", "wrap": True},
                            {"type": "TextBlock", "text": body, "wrap": True},
                        ],
                        "actions": [{"type": "Action.OpenUrl", "title": "Open in the GuardDuty console", "url": link}],
                    },
                }
            ],
        }
    else:
        raise ValueError(f"{kind} has no chat message")
    template = json.dumps(message, sort_keys=True)
    unsafe = sorted(set(_PLACEHOLDER.findall(template)) & set(COMMON_PATHS) - JSON_SAFE_PATHS)
    if unsafe:
        # A programming error, not bad input: free text inside the JSON body would break it (see above).
        raise ValueError(f"the chat message uses free-text fields {unsafe}; allowed: {sorted(JSON_SAFE_PATHS)}")
    return used_paths([template]), template

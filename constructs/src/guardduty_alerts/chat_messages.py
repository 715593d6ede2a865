"""The chat message a Slack or Teams incoming webhook receives: an EventBridge input transformer built as data.

Like the mail (templates.py) it rides on a rule per severity band, which writes the band's label; unlike the
mail the template is JSON, the body the webhook expects, serialised once with `json.dumps`. Placeholders sit
inside JSON strings, where EventBridge inserts the finding's text values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .channels import ChannelKind
from .severity import Severity
from .templates import band_legend, console_link_template, used_paths

__all__ = ["chat_message_lines", "chat_transformer"]


def chat_message_lines(band: Severity | None, *, sample_bands: Sequence[Severity] = ()) -> tuple[str, str]:
    """(headline, body) with `<name>` placeholders: severity label, type, account, region, title, link."""
    label = f"{band.name} <severity>" if band is not None else "SAMPLE <severity>"
    headline = f"GuardDuty {label}: <title>"
    body = "<type> in account <account>, region <region>"
    if band is None:
        body += f". A sample finding generated for testing (bands {band_legend(sample_bands)})"
    return headline, body


def chat_transformer(
    kind: ChannelKind, band: Severity | None, *, sample_bands: Sequence[Severity] = ()
) -> tuple[dict[str, str], str]:
    """(InputPathsMap, InputTemplate) of the message for a `slack_webhook` or `teams_webhook` channel."""
    headline, body = chat_message_lines(band, sample_bands=sample_bands)
    link = console_link_template()
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
    return used_paths([template]), template

"""Plan review for pull requests: what a Terraform plan does to who is mailed which GuardDuty findings.

Reads the JSON of `terraform show -json PLANFILE` for one or more stacks and writes Markdown for a pull-request
comment: per stack the counts of resources created, updated, replaced and deleted, then the alerting impact in
plain words, then the raw plan text, collapsed.

The mailed severities are derived from every EventBridge rule in the plan whose event pattern selects
GuardDuty findings (whatever its address: one rule with a threshold or one rule per severity band), before and
after the change; the recipients from the topic's email subscriptions. Rules whose targets feed only channels
(chat configurations, chat webhooks, HTTPS and SQS subscriptions) do not count as mailed: each such destination,
and AWS User Notifications contacts, gets its own lines (added, removed, the severities it gains or loses), linked
to its rules by ARN, or by the plan's configuration references where an ARN is known only after apply
(destinations.py). Everything else about alerting (topics, policies, keys, targets, the detector, suppression
rules) is read from the resource changes by type.

    loading.py, model.py  plan JSON in, changes and impacts as data
    sides.py              what each side of the plan mails (rules read by matchers.py; destinations.py)
    resource_impacts.py   one handler per resource type (suppression.py, rule_notes.py)
    audience.py           severities, recipients and channels before and after
    filter_impacts.py     finding types, occurrences, sample findings, other conditions
    chat.py               chat configurations; wording.py: shared wording
    analysis.py           `summarize`: the parts above, in order; markdown.py: the comment

Bad input raises PlanFileError (a GuardDutyAlertsError): the CLI prints it and exits 2.
"""

from __future__ import annotations

from guardduty_alerts.errors import PlanFileError

from .analysis import summarize
from .loading import load_plans, load_review, provider_identity
from .markdown import COMMENT_MARKER, MAX_COMMENT_CHARS, render_markdown, where
from .matchers import SeveritySet, describe_severities, is_finding_pattern, severity_filter
from .model import Impact, Level, StackChanges, StackSummary

__all__ = [
    "COMMENT_MARKER",
    "MAX_COMMENT_CHARS",
    "Impact",
    "Level",
    "PlanFileError",
    "SeveritySet",
    "StackChanges",
    "StackSummary",
    "describe_severities",
    "is_finding_pattern",
    "load_plans",
    "load_review",
    "provider_identity",
    "render_markdown",
    "severity_filter",
    "summarize",
    "where",
]

"""`main.py verify`: does the live deployment really deliver findings? Read-only checks of each stack's
account and region, and optionally a GuardDuty sample finding followed through CloudWatch.

    expectations.py  what a stack should hold (pure data, built by the app from its configuration)
    aws.py           clients per account and region (the stack's role assumed), AWS errors in words
    context.py       what the checks of a stack share; AWS errors become failed checks; CloudWatch reading
    checks.py        what the stack holds: access, detector, plans, rules (a forwarding stack: its rule); the
                     topic's checks re-exported from topic_checks.py
    topic_checks.py  the topic, its key, its policy (read by ../policy_reader.py) and its subscriptions
    delivery.py      how deliveries went: dead letters, alarms, failed invocations
    sample.py        --send-sample: CreateSampleFindings, then CloudWatch until the mail was delivered
    run.py           which checks a stack gets; every stack in turn, then the samples
    render.py        the checklist in words, or JSON
"""

from __future__ import annotations

from .expectations import DeliveryExpectation, DetectorExpectation, ForwardingExpectation, StackExpectation
from .model import CheckResult, StackReport, VerifyReport
from .render import render_json, render_text
from .run import verify
from .sample import sample_problem

__all__ = [
    "CheckResult",
    "DeliveryExpectation",
    "DetectorExpectation",
    "ForwardingExpectation",
    "StackExpectation",
    "StackReport",
    "VerifyReport",
    "render_json",
    "render_text",
    "sample_problem",
    "verify",
]

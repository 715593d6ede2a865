"""Run the checks of every stack, then (with --send-sample) prove delivery with a sample finding."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from .aws import AwsCallFailed, Clients, connect
from .channels import (
    channel_checks,
    check_api_destinations,
    check_channel_subscriptions,
    check_chat_configurations,
    check_user_notifications,
)
from .checks import (
    check_access,
    check_detector,
    check_forwarding_rule,
    check_protection_plans,
    check_rules,
    check_subscriptions,
    check_topic,
    check_topic_key,
    check_topic_policy,
)
from .context import StackContext, run_check, utcnow
from .delivery import check_alarms, check_dead_letter_queue, check_failed_invocations
from .expectations import StackExpectation
from .model import CheckResult, StackReport, VerifyReport
from .sample import send_samples

__all__ = ["ALERTING_CHECKS", "FORWARDING_CHECKS", "Connector", "checks_for", "verify"]

# Check id -> function, in the order they run, for each kind of stack. The topic key is checked only when the
# topic is (or should be) encrypted, protection plans only when configured, each channel check only for a stack
# with channels of its kind: see checks_for().
ALERTING_CHECKS: dict[str, Callable[[StackContext], CheckResult]] = {
    "detector": check_detector,
    "protection-plans": check_protection_plans,
    "topic": check_topic,
    "topic-key": check_topic_key,
    "topic-policy": check_topic_policy,
    "subscriptions": check_subscriptions,
    "rules": check_rules,
    "chat-configurations": check_chat_configurations,
    "api-destinations": check_api_destinations,
    "channel-subscriptions": check_channel_subscriptions,
    "user-notifications": check_user_notifications,
    "dead-letter-queue": check_dead_letter_queue,
    "alarms": check_alarms,
    "failed-invocations": check_failed_invocations,
}
# The checks of the top-level mail, left out for a stack whose only destinations are channels.
MAIL_CHECKS = ("topic", "topic-key", "topic-policy", "subscriptions", "rules", "failed-invocations")
CHANNEL_CHECKS = ("chat-configurations", "api-destinations", "channel-subscriptions", "user-notifications")
FORWARDING_CHECKS: dict[str, Callable[[StackContext], CheckResult]] = {
    "detector": check_detector,
    "protection-plans": check_protection_plans,
    "forwarding-rule": check_forwarding_rule,
    "failed-invocations": check_failed_invocations,
}

# Stacks checked at a time: each is a few dozen read calls, mostly waiting on the network.
STACK_WORKERS = 8

# (region, endpoint_url, role_arn) -> clients for that account and region; `aws.connect` in real use.
Connector = Callable[..., Clients]


def checks_for(expectation: StackExpectation) -> list[str]:
    """The ids of the checks a stack gets, in order (after 'access')."""
    checks = list(FORWARDING_CHECKS if expectation.forwarding else ALERTING_CHECKS)
    if not expectation.detector.protection_plans:
        checks.remove("protection-plans")
    if expectation.forwarding is None and expectation.expected_key is None:
        checks.remove("topic-key")
    if expectation.forwarding is None and not expectation.mails:
        # Channels only: no mail topic, subscriptions or band rules to check.
        for check in MAIL_CHECKS:
            if check in checks:
                checks.remove(check)
    if expectation.alerting is not None:
        present = set(channel_checks(expectation.alerting))
        checks = [check for check in checks if check not in CHANNEL_CHECKS or check in present]
    return checks


def _no_access(expectation: StackExpectation, failure: AwsCallFailed) -> CheckResult:
    role = expectation.role_arn
    fix = failure.fix(None)
    if failure.denied:
        fix = (
            f"the trust policy of {role} must let the credentials in use assume it, and they need sts:AssumeRole on it"
        )
    return CheckResult("access", False, (f"could not assume role {role}: {failure.sentence()}",), (fix,))


def _check_stack(
    expectation: StackExpectation, endpoint_url: str | None, connector: Connector, now: Callable[[], datetime.datetime]
) -> tuple[list[CheckResult], StackContext | None]:
    try:
        clients = connector(region=expectation.region, endpoint_url=endpoint_url, role_arn=expectation.role_arn)
    except AwsCallFailed as failure:
        return [_no_access(expectation, failure)], None
    context = StackContext(expectation, clients, now=now)
    checks = [run_check("access", check_access, context)]
    if not checks[0].passed:
        return checks, None
    table = FORWARDING_CHECKS if expectation.forwarding else ALERTING_CHECKS
    checks += [run_check(check, table[check], context) for check in checks_for(expectation)]
    return checks, context


def verify(
    expectations: Sequence[StackExpectation],
    *,
    endpoint_url: str | None = None,
    send_sample: bool = False,
    wait_seconds: int = 600,
    connector: Connector = connect,
    now: Callable[[], datetime.datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    workers: int = STACK_WORKERS,
    report: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Check each stack in its account and region (`workers` stacks at a time, each with its own clients); with
    `send_sample`, then prove delivery in every stack that mails (callers ask `sample.sample_problem` first: a
    stack that cannot be proven is a usage error). The report lists the stacks in the order given."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(expectations)))) as pool:
        checked = list(pool.map(lambda e: _check_stack(e, endpoint_url, connector, now), expectations))
    results = {expectation.name: checks for expectation, (checks, _) in zip(expectations, checked, strict=True)}
    contexts = [context for _, context in checked if context is not None]
    mailing = [context for context in contexts if context.expectation.alerting is not None]
    if send_sample and mailing:
        for name, result in send_samples(
            mailing, wait_seconds=wait_seconds, sleep=sleep, clock=clock, report=report
        ).items():
            results[name].append(result)
    accounts = {context.expectation.name: context.account_id for context in contexts}
    return VerifyReport(
        tuple(
            StackReport(
                expectation.name,
                expectation.region,
                accounts.get(expectation.name) or expectation.account_id,
                tuple(results[expectation.name]),
                expectation.account_names,
            )
            for expectation in expectations
        )
    )

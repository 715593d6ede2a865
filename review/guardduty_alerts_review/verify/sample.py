"""`verify --send-sample`: GuardDuty generates a sample finding, and CloudWatch shows whether it was mailed.

The one thing a configuration check cannot prove is that a finding really travels detector -> EventBridge
rule -> topic -> mail. GuardDuty's CreateSampleFindings raises a finding of a chosen type (marked
`service.additionalInfo.sample: true`); the rules mail it like a real one when its severity passes the
threshold. CloudWatch then shows the rule matching and invoking (AWS/Events MatchedEvents, Invocations,
FailedInvocations) and the topic publishing and delivering (AWS/SNS NumberOfMessagesPublished,
NumberOfNotificationsDelivered, NumberOfNotificationsFailed). Other findings in the same minutes count too.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from guardduty_alerts.patterns import SampleHandling, type_matcher

from ..alerting import StackAlerting
from .aws import AwsCallFailed, call
from .context import StackContext, call_failed, duration, metric_sums
from .model import CheckResult

__all__ = ["SAMPLE_TYPES", "SampleType", "choose_sample_type", "sample_problem", "send_samples"]


@dataclass(frozen=True)
class SampleType:
    finding_type: str
    severity: float


# Finding types with the severity GuardDuty gives their samples, lowest first. Each one is backed by a sample
# finding of the public corpus in tests/fixtures/findings (sample: true, same type and severity; a test checks
# it). Several per band, of different kinds, so that a finding_types filter rarely leaves none.
SAMPLE_TYPES = (
    SampleType("Recon:EC2/PortProbeUnprotectedPort", 2.0),
    SampleType("UnauthorizedAccess:EC2/SSHBruteForce", 2.0),
    SampleType("Recon:EC2/Portscan", 5.0),
    SampleType("CredentialAccess:IAMUser/AnomalousBehavior", 5.0),
    SampleType("PenTest:S3/ParrotLinux", 5.0),
    SampleType("UnauthorizedAccess:EC2/TorClient", 8.0),
    SampleType("Trojan:EC2/DNSDataExfiltration", 8.0),
    SampleType("UnauthorizedAccess:S3/TorIPCaller", 8.0),
    SampleType("AttackSequence:S3/CompromisedData", 9.0),
)
POLL_SECONDS = 30


def _listed(finding_type: str, entries: Sequence[str]) -> bool:
    for kind, text in map(type_matcher, entries):
        if finding_type == text or (kind == "prefix" and finding_type.startswith(text)):
            return True
    return False


def _suppressed(finding_type: str, alerting: StackAlerting) -> bool:
    # Only the plain case is recognised: a suppression rule naming the type; such a sample may be archived.
    for rule in alerting.suppression_rules:
        equals = rule.criteria.get("type", {}).get("equals", [])
        if finding_type in (equals if isinstance(equals, list) else [equals]):
            return True
    return False


def choose_sample_type(alerting: StackAlerting) -> SampleType | None:
    """The lowest-severity sample type the stack mails: at or above the threshold, through the type filters."""
    filters = alerting.filters
    for sample in SAMPLE_TYPES:
        if sample.severity < alerting.threshold:
            continue
        if filters.include_types and not _listed(sample.finding_type, filters.include_types):
            continue
        if filters.exclude_types and _listed(sample.finding_type, filters.exclude_types):
            continue
        if _suppressed(sample.finding_type, alerting):
            continue
        return sample
    return None


def sample_problem(stack: str, alerting: StackAlerting) -> str | None:
    """Why --send-sample cannot prove anything for this stack (a usage error), or None."""
    if not alerting.recipients:
        return (
            f"--send-sample: stack {stack} has no recipients (its findings go to channels only) and the sample "
            "proof watches the mail's rules and topic; allowed: leave this stack out (--stack)"
        )
    if alerting.filters.samples is SampleHandling.DROP:
        return (
            f"--send-sample: stack {stack} drops sample findings (sample_findings: drop), so a sample would never "
            "be mailed; allowed: set sample_findings to deliver, or leave this stack out (--stack)"
        )
    if choose_sample_type(alerting) is None:
        known = ", ".join(f"{sample.finding_type} ({sample.severity:g})" for sample in SAMPLE_TYPES)
        return (
            f"--send-sample: stack {stack} mails severity {alerting.threshold:g} and above through its finding_types "
            f"and suppression_rules, and none of the sample types it can generate would be mailed ({known}); "
            "allowed: leave this stack out (--stack)"
        )
    return None


@dataclass
class _Progress:
    matched: dict[str, int]
    invoked: dict[str, int]
    failed: dict[str, int]
    published: int = 0
    delivered: int = 0
    notification_failures: int = 0

    @property
    def complete(self) -> bool:
        return (
            sum(self.invoked.values()) > 0
            and self.published > 0
            and (self.delivered > 0 or self.notification_failures > 0)
        )

    @property
    def succeeded(self) -> bool:
        return (
            self.complete
            and sum(self.matched.values()) > 0
            and not sum(self.failed.values())
            and self.delivered > 0
            and not self.notification_failures
        )

    def seen(self) -> list[str]:
        lines = [
            f"rule {rule} matched {count}, invoked {self.invoked.get(rule, 0)}, failed {self.failed.get(rule, 0)}"
            for rule, count in self.matched.items()
            if count or self.invoked.get(rule) or self.failed.get(rule)
        ]
        lines.append(
            f"topic published {self.published}; email notifications delivered {self.delivered}, "
            f"failed {self.notification_failures}"
        )
        return lines

    def missing(self) -> list[str]:
        missing = []
        if not sum(self.matched.values()):
            missing.append("no rule matched (AWS/Events MatchedEvents)")
        if not sum(self.invoked.values()):
            missing.append("no rule invoked its target (AWS/Events Invocations)")
        if not self.published:
            missing.append("the topic published nothing (AWS/SNS NumberOfMessagesPublished)")
        if not self.delivered:
            missing.append("no email was delivered (AWS/SNS NumberOfNotificationsDelivered)")
        return missing


def _waiting_line(
    started: Sequence[str], waiting: Sequence[str], progress: dict[str, _Progress], remaining: float
) -> str:
    """One line while samples are awaited: how many arrived, the time left, what CloudWatch shows so far."""
    seen = "; ".join(
        f"{name}: {', '.join(progress[name].seen()) if name in progress else 'nothing yet'}" for name in waiting
    )
    done = len(started) - len(waiting)
    return f"sample findings: {done} of {len(started)} delivered, {duration(remaining)} left; waiting for {seen}"


def _minute(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(second=0, microsecond=0)


def _progress(context: StackContext, since: datetime.datetime) -> _Progress:
    rules = list(context.expectation.rule_names.values())
    topic = context.expectation.topic_name
    queries = []
    for index, rule in enumerate(rules):
        for metric in ("MatchedEvents", "Invocations", "FailedInvocations"):
            queries.append((f"{metric.lower()}{index}", "AWS/Events", metric, {"RuleName": rule}, "Sum"))
    for metric in ("NumberOfMessagesPublished", "NumberOfNotificationsDelivered", "NumberOfNotificationsFailed"):
        queries.append((metric.lower(), "AWS/SNS", metric, {"TopicName": topic}, "Sum"))
    end = _minute(context.now()) + datetime.timedelta(minutes=1)
    sums = {key: int(sum(values)) for key, values in metric_sums(context, queries, _minute(since), end, 60).items()}

    def per_rule(metric: str) -> dict[str, int]:
        return {rule: sums[f"{metric.lower()}{index}"] for index, rule in enumerate(rules)}

    return _Progress(
        matched=per_rule("MatchedEvents"),
        invoked=per_rule("Invocations"),
        failed=per_rule("FailedInvocations"),
        published=sums["numberofmessagespublished"],
        delivered=sums["numberofnotificationsdelivered"],
        notification_failures=sums["numberofnotificationsfailed"],
    )


MARKED = (
    "GuardDuty sample findings arrive marked SAMPLE (sample: true in the finding, SAMPLE in the mail): look for "
    "it in the recipients' mailboxes"
)


def send_samples(
    contexts: Sequence[StackContext],
    *,
    wait_seconds: int,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    poll_seconds: int = POLL_SECONDS,
    report: Callable[[str], None] | None = None,
) -> dict[str, CheckResult]:
    """Generate one sample finding per stack, then watch CloudWatch for all of them until each was delivered or
    `wait_seconds` have passed (by `clock`, sleeping with `sleep` between looks). Returns the 'sample' check of
    each stack, by stack name."""
    results, started = _send(contexts)
    watched = _watch(
        started, wait_seconds=wait_seconds, sleep=sleep, clock=clock, poll_seconds=poll_seconds, report=report
    )
    results.update(watched.failures)
    for name, (context, sample, since) in started.items():
        if name not in results:
            done_at = watched.done_at.get(name)
            results[name] = _outcome(context, sample, since, watched.progress[name], done_at, wait_seconds)
    return results


_Started = dict[str, tuple[StackContext, SampleType, datetime.datetime]]


def _send(contexts: Sequence[StackContext]) -> tuple[dict[str, CheckResult], _Started]:
    """CreateSampleFindings in each stack with an enabled detector: the stacks where it failed or was not sent,
    and those where it was, with the sample type and when."""
    results: dict[str, CheckResult] = {}
    started: _Started = {}
    for context in contexts:
        name = context.expectation.name
        alerting = context.expectation.alerting
        assert alerting is not None
        sample = choose_sample_type(alerting)
        assert sample is not None  # sample_problem() was asked first
        if context.detector_id is None or (context.detector or {}).get("Status") != "ENABLED":
            results[name] = CheckResult(
                "sample", False, ("not sent: there is no enabled detector (see the detector check)",), ()
            )
            continue
        try:
            call(
                context.clients["guardduty"],
                "create_sample_findings",
                DetectorId=context.detector_id,
                FindingTypes=[sample.finding_type],
            )
        except AwsCallFailed as failure:
            results[name] = call_failed("sample", failure, context)
            continue
        started[name] = (context, sample, context.now())
    return results, started


@dataclass(frozen=True)
class _Watched:
    progress: dict[str, _Progress]
    done_at: dict[str, datetime.datetime]
    failures: dict[str, CheckResult]  # CloudWatch could not be read


def _watch(
    started: _Started,
    *,
    wait_seconds: int,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    poll_seconds: int,
    report: Callable[[str], None] | None,
) -> _Watched:
    """CloudWatch, every `poll_seconds`, until each sample was delivered, could not be followed, or time is up;
    after each look that leaves some waiting, `report` gets a line of what was seen and the time left."""
    watched = _Watched({}, {}, {})
    deadline = clock() + wait_seconds
    while True:
        for name, (context, _sample, since) in started.items():
            if name in watched.done_at or name in watched.failures:
                continue
            try:
                watched.progress[name] = _progress(context, since)
            except AwsCallFailed as failure:
                watched.failures[name] = CheckResult(
                    "sample",
                    False,
                    (f"sent, but CloudWatch could not be read: {failure.sentence()}",),
                    (failure.fix(context.identity),),
                )
                continue
            if watched.progress[name].complete:
                watched.done_at[name] = context.now()
        waiting = [name for name in started if name not in watched.done_at and name not in watched.failures]
        remaining = deadline - clock()
        if not waiting or remaining <= 0:
            return watched
        if report is not None:
            report(_waiting_line(list(started), waiting, watched.progress, remaining))
        sleep(min(poll_seconds, remaining))


def _outcome(
    context: StackContext,
    sample: SampleType,
    since: datetime.datetime,
    seen: _Progress,
    done_at: datetime.datetime | None,
    wait_seconds: int,
) -> CheckResult:
    """The 'sample' check of one stack whose sample was sent and followed."""
    sent_line = (
        f"sent {sample.finding_type} (severity {sample.severity:g}) with CreateSampleFindings to detector "
        f"{context.detector_id} at {since:%H:%M:%S} UTC"
    )
    if done_at is not None:
        after = f"after {duration((done_at - since).total_seconds())}"
        lines = (sent_line, f"{after} CloudWatch shows: " + "; ".join(seen.seen()), MARKED)
        if seen.succeeded:
            return CheckResult("sample", True, lines)
        return CheckResult(
            "sample",
            False,
            lines,
            (
                "some deliveries failed: see the failed deliveries and the dead-letter queue (above), and the "
                "subscriptions' confirmations",
            ),
        )
    return CheckResult(
        "sample",
        False,
        (
            sent_line,
            f"after {duration(wait_seconds)} (--wait) CloudWatch shows: " + "; ".join(seen.seen()),
            "not seen: " + "; ".join(seen.missing()),
            MARKED,
        ),
        (
            "GuardDuty sends a new finding to EventBridge within about five minutes, and CloudWatch shows the "
            "metrics a few minutes later: run again with a longer --wait (900 or more)",
            "if the rules never match, compare them with the configuration (the rules check above) and with "
            "`main.py preview`; if they invoke but the topic publishes nothing, see the failed deliveries and "
            "the dead-letter queue",
        ),
    )

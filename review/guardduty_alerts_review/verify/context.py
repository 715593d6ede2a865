"""What the checks of one stack share: the stack's context (its expectation, clients, and what earlier checks
learned), the wrapper that turns an AWS error into a failed check, and CloudWatch reading."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from guardduty_alerts.accounts import account_in_words

from .aws import AwsCallFailed, Clients, pages
from .expectations import StackExpectation
from .model import CheckResult

__all__ = ["StackContext", "call_failed", "duration", "fail", "metric_sums", "passed", "run_check", "utcnow"]


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass
class StackContext:
    """One stack being checked: its expectation, its clients, and what earlier checks learned."""

    expectation: StackExpectation
    clients: Clients
    now: Callable[[], datetime.datetime] = utcnow
    account_id: str | None = None
    partition: str = "aws"
    identity: str | None = None
    detector: dict[str, Any] | None = None
    detector_id: str | None = None
    # The topic's attributes, read once: absent until read, then None when the topic does not exist.
    topic: dict[str, Any] = field(default_factory=dict)
    # Rules the rule checks found missing: the failed-deliveries check cannot vouch for a rule that is not there.
    missing_rules: set[str] = field(default_factory=set)

    @property
    def region(self) -> str:
        return self.expectation.region

    @property
    def where(self) -> str:
        return f"{self.account_words(self.account_id or self.expectation.account_id or '?')}, region {self.region}"

    def account_words(self, account_id: str | None) -> str:
        """'account payments-prod (111111111111)' for an account of the config, 'account 333333333333' else."""
        return account_in_words(account_id or "?", self.expectation.account_names)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"

    @property
    def topic_arn(self) -> str:
        return self.arn("sns", self.expectation.topic_name)

    @property
    def apply(self) -> str:
        name = self.expectation.name
        return f"apply stack {name} (terraform -chdir=cdktf.out/stacks/{name} apply)"


def call_failed(check: str, failure: AwsCallFailed, context: StackContext) -> CheckResult:
    """The check failed because AWS refused or failed a call: what was refused, and the permission or fix."""
    return CheckResult(check, False, (f"could not check: {failure.sentence()}",), (failure.fix(context.identity),))


def run_check(check: str, function: Callable[[StackContext], CheckResult], context: StackContext) -> CheckResult:
    """`function(context)`; an AWS error fails the check with its sentence and fix instead of escaping."""
    try:
        return function(context)
    except AwsCallFailed as failure:
        return call_failed(check, failure, context)


def fail(check: str, found: Iterable[str], fix: Iterable[str]) -> CheckResult:
    return CheckResult(check, False, tuple(found), tuple(dict.fromkeys(fix)))


def passed(check: str, *found: str) -> CheckResult:
    return CheckResult(check, True, tuple(found))


def metric_sums(
    context: StackContext,
    queries: Sequence[tuple[str, str, str, dict[str, str], str]],
    start: datetime.datetime,
    end: datetime.datetime,
    period: int,
) -> dict[str, list[float]]:
    """Values of (id, namespace, metric, dimensions, statistic) queries between start and end, by id."""
    values: dict[str, list[float]] = {query[0]: [] for query in queries}
    cloudwatch = context.clients["cloudwatch"]
    for offset in range(0, len(queries), 500):  # GetMetricData takes at most 500 queries
        request = [
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dimensions.items())],
                    },
                    "Period": period,
                    "Stat": stat,
                },
                "ReturnData": True,
            }
            for query_id, namespace, metric, dimensions, stat in queries[offset : offset + 500]
        ]
        for result in pages(
            cloudwatch, "get_metric_data", "MetricDataResults", MetricDataQueries=request, StartTime=start, EndTime=end
        ):
            values[result["Id"]] += [float(value) for value in result.get("Values", [])]
    return values


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"

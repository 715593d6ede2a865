"""What CloudWatch and SQS say about deliveries: findings waiting in the dead-letter queue, delivery alarms,
and the rules' failed invocations of the last 24 hours."""

from __future__ import annotations

import datetime
from typing import Any

from .aws import AwsCallFailed, call, pages
from .context import StackContext, duration, fail, metric_sums, passed
from .model import CheckResult

__all__ = ["check_alarms", "check_dead_letter_queue", "check_failed_invocations"]

DAY = datetime.timedelta(hours=24)


def check_dead_letter_queue(context: StackContext) -> CheckResult:
    name = context.expectation.dead_letter_queue_name
    sqs = context.clients["sqs"]
    try:
        url = call(sqs, "get_queue_url", QueueName=name)["QueueUrl"]
    except AwsCallFailed as failure:
        if failure.code not in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            raise
        return fail("dead-letter-queue", [f"queue {name} does not exist in {context.where}"], [context.apply])
    attributes = call(
        sqs,
        "get_queue_attributes",
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    count = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )
    if count == 0:
        return passed("dead-letter-queue", f"queue {name} is empty")
    # CloudWatch, not ReceiveMessage: reading the messages would need kms:Decrypt and would hide them a while.
    now = context.now()
    ages = metric_sums(
        context,
        [("age", "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": name}, "Maximum")],
        now - datetime.timedelta(hours=1),
        now,
        300,
    )["age"]
    age = f"the oldest is {duration(max(ages))} old" if ages else "CloudWatch does not show the age of the oldest yet"
    return fail(
        "dead-letter-queue",
        [f"{count} undelivered finding{'s' if count != 1 else ''} in queue {name}; {age}"],
        [
            f"read them: aws sqs receive-message --region {context.region} --queue-url {url} "
            "--attribute-names All --message-attribute-names All --max-number-of-messages 10 (ERROR_CODE and "
            "ERROR_MESSAGE say why delivery failed; the body is the GuardDuty finding)",
            "then remove the cause (usually the key policy or the topic policy), handle each finding from the "
            f"GuardDuty console, where it still is, and delete the messages: aws sqs purge-queue --region "
            f"{context.region} --queue-url {url} (EventBridge cannot redrive them, and events with an aws.* source "
            "cannot be put back on a bus)",
        ],
    )


def check_alarms(context: StackContext) -> CheckResult:
    names = list(context.expectation.alarm_names)
    cloudwatch = context.clients["cloudwatch"]
    alarms: dict[str, dict[str, Any]] = {}
    for offset in range(0, len(names), 100):  # DescribeAlarms takes at most 100 names
        for alarm in pages(cloudwatch, "describe_alarms", "MetricAlarms", AlarmNames=names[offset : offset + 100]):
            alarms[alarm["AlarmName"]] = alarm
    problems, fixes, waiting = [], [], []
    for name in names:
        alarm = alarms.get(name)
        if alarm is None:
            problems.append(f"alarm {name} does not exist")
            fixes.append(context.apply)
        elif alarm.get("StateValue") == "ALARM":
            problems.append(f"alarm {name} is in ALARM: {alarm.get('StateReason', '')}".rstrip(": "))
            fixes.append(
                "find the cause in the failed deliveries and the dead-letter queue (above); the alarm "
                "returns to OK by itself once deliveries succeed"
            )
        elif alarm.get("StateValue") != "OK":
            waiting.append(name)
    notes = (
        [f"not evaluated yet (INSUFFICIENT_DATA, usual for a few minutes after creation): {', '.join(waiting)}"]
        if waiting
        else []
    )
    # A warning, not a failure: `alarm_actions: []` turns the actions off on purpose.
    silent = [name for name in names if name in alarms and not alarms[name].get("AlarmActions")]
    notes += [
        f"warning: alarm {name} has no action: nobody is notified when it fires (alarm_actions)" for name in silent
    ]
    if problems:
        return fail("alarms", problems + notes, fixes)
    return passed("alarms", f"{len(names) - len(waiting)} of {len(names)} alarms OK", *notes)


def check_failed_invocations(context: StackContext) -> CheckResult:
    expectation = context.expectation
    expected = (
        list(expectation.rule_names.values()) if expectation.forwarding is None else [expectation.forwarding.rule_name]
    )
    # After a destroy (or before the first apply) there is nothing whose deliveries could have failed: saying
    # "no failed invocations" of rules that do not exist would read as a pass of the deployment.
    rules = [name for name in expected if name not in context.missing_rules]
    if not rules:
        what = (
            f"rule {expected[0]} does not exist" if len(expected) == 1 else f"none of the {len(expected)} rules exists"
        )
        return fail("failed-invocations", [f"not checked: {what} (see above)"], [context.apply])
    missing = [f"not checked: rule {name} does not exist (see above)" for name in expected if name not in rules]
    now = context.now()
    sums = metric_sums(
        context,
        [
            (f"r{index}", "AWS/Events", "FailedInvocations", {"RuleName": name}, "Sum")
            for index, name in enumerate(rules)
        ],
        now - DAY,
        now,
        3600,
    )
    failed = {name: int(sum(sums[f"r{index}"])) for index, name in enumerate(rules) if sum(sums[f"r{index}"]) > 0}
    if failed:
        return fail(
            "failed-invocations",
            [
                f"rule {name} failed to deliver {count} time{'s' if count != 1 else ''} in the last 24 hours"
                for name, count in failed.items()
            ],
            [
                "EventBridge retries, then dead-letters: look at the dead-letter queue's ERROR_CODE (above); the "
                "usual causes are the key policy, the topic policy, or (with the formatter) the function"
            ],
        )
    which = f"rule {rules[0]}" if len(rules) == 1 else f"the {len(rules)} rules"
    if missing:
        return fail("failed-invocations", [f"no failed invocations of {which} in the last 24 hours", *missing],
                    [context.apply])
    return passed("failed-invocations", f"no failed invocations of {which} in the last 24 hours")

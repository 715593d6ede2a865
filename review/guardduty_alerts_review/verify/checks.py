"""The checks of what a stack holds, each a function of a `StackContext` returning a `CheckResult`: credentials,
detector, protection plans, rules (a forwarding stack: its rule), and, from topic_checks.py, topic, topic key,
topic policy and subscriptions: this module is where `run` finds every check.

They only read (Get/List/Describe calls); what each needs is in the IAM policy for `verify` in docs/verify.md. Names
and expected values come from the stack's `StackExpectation`. A failed check says what was found and what to
do; an AWS error in a check (an access denial, say) fails that check only, with the missing permission.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from guardduty_alerts.protection import ProtectionPlan

from .aws import AwsCallFailed, call, pages
from .context import StackContext, fail, passed
from .model import CheckResult
from .topic_checks import (
    check_subscriptions,
    check_topic,
    check_topic_key,
    check_topic_policy,
    subscription_confirmed,
)

__all__ = [
    "check_access",
    "check_detector",
    "check_forwarding_rule",
    "check_protection_plans",
    "check_rules",
    "check_subscriptions",
    "check_topic",
    "check_topic_key",
    "check_topic_policy",
    "subscription_confirmed",
]

# --- credentials ---------------------------------------------------------------------------------------------


def check_access(context: StackContext) -> CheckResult:
    identity = call(context.clients["sts"], "get_caller_identity")
    context.identity = identity["Arn"]
    context.account_id = identity["Account"]
    context.partition = identity["Arn"].split(":")[1]
    expected = context.expectation.account_id
    role = context.expectation.role_arn
    via = f" (role {role} assumed)" if role else ""
    if expected and identity["Account"] != expected:
        return fail(
            "access",
            [
                f"the credentials reach {context.account_words(identity['Account'])} as {identity['Arn']}{via}, "
                f"not {context.account_words(expected)}"
            ],
            [f"use credentials (or accounts[].role_arn) for {context.account_words(expected)}"],
        )
    return passed("access", f"{identity['Arn']}{via} in {context.account_words(identity['Account'])}")


# --- detector ------------------------------------------------------------------------------------------------


def _load_detector(context: StackContext) -> CheckResult | None:
    """Find the detector (adopted or the region's one) into the context, or a failed 'detector' check."""
    expected = context.expectation.detector
    guardduty = context.clients["guardduty"]
    if expected.existing_detector_id:
        try:
            context.detector = call(guardduty, "get_detector", DetectorId=expected.existing_detector_id)
        except AwsCallFailed as failure:
            if failure.code not in ("BadRequestException", "NotFoundException"):
                raise
            return fail(
                "detector",
                [
                    f"the adopted detector {expected.existing_detector_id} (detector.existing_detector_ids."
                    f"{context.region}) is not in {context.where}: {failure.message}"
                ],
                [f"correct the id: aws guardduty list-detectors --region {context.region} lists the region's detector"],
            )
        context.detector_id = expected.existing_detector_id
        return None
    ids = list(pages(guardduty, "list_detectors", "DetectorIds"))
    if not ids:
        return fail(
            "detector",
            [f"no GuardDuty detector in {context.where}: GuardDuty is off and raises no findings there"],
            [context.apply + ": it creates the detector"],
        )
    context.detector_id = ids[0]  # AWS allows one per account and region
    context.detector = call(guardduty, "get_detector", DetectorId=context.detector_id)
    return None


def check_detector(context: StackContext) -> CheckResult:
    missing = _load_detector(context)
    if missing:
        return missing
    assert context.detector is not None
    expected = context.expectation.detector
    detector_id = context.detector_id
    status = context.detector.get("Status")
    frequency = context.detector.get("FindingPublishingFrequency")
    problems, fixes = [], []
    if status != "ENABLED":
        problems.append(
            f"detector {detector_id} is {status} (suspended): GuardDuty raises no findings in {context.region}"
        )
        fixes.append(f"aws guardduty update-detector --region {context.region} --detector-id {detector_id} --enable")
        if not expected.adopted:
            fixes.append("or " + context.apply)
    if not expected.adopted and frequency != expected.publishing_frequency:
        problems.append(
            f"detector {detector_id} publishes updates every {frequency}; configured: {expected.publishing_frequency}"
        )
        fixes.append(context.apply)
    if problems:
        return fail("detector", problems, fixes)
    if expected.adopted:
        return passed(
            "detector",
            f"detector {detector_id} is ENABLED; adopted (detector.existing_detector_ids), so its publishing "
            f"frequency ({frequency}) is managed elsewhere",
        )
    return passed("detector", f"detector {detector_id} is ENABLED, publishing updates every {frequency}")


def check_protection_plans(context: StackContext) -> CheckResult:
    if context.detector is None:
        return fail("protection-plans", ["not checked: no detector (see the detector check)"], [context.apply])
    features = {feature["Name"]: feature for feature in context.detector.get("Features", [])}
    problems, good = [], []

    def compare(label: str, actual: str | None, enabled: bool) -> None:
        wanted = "ENABLED" if enabled else "DISABLED"
        if actual == wanted:
            good.append(f"{label} {wanted}")
        else:
            problems.append(f"{label} is {actual or 'not reported'}; configured: {wanted}")

    for plan, enabled, agents in context.expectation.detector.protection_plans.features():
        feature = features.get(plan.value, {})
        compare(plan.key, feature.get("Status"), enabled)
        if plan is ProtectionPlan.RUNTIME_MONITORING:
            extra = {item["Name"]: item.get("Status") for item in feature.get("AdditionalConfiguration", [])}
            for agent, on in agents:
                compare(f"{plan.key}.{agent.key}", extra.get(agent.value), on)
    if problems:
        return fail("protection-plans", problems, [context.apply + " (aws_guardduty_detector_feature)"])
    return passed("protection-plans", "; ".join(good))


# --- topic, key, topic policy, subscriptions -------------------------------------------------------------------


def _describe_rule(context: StackContext, name: str) -> dict[str, Any] | None:
    try:
        return call(context.clients["events"], "describe_rule", Name=name)
    except AwsCallFailed as failure:
        if failure.code != "ResourceNotFoundException":
            raise
        return None


def _rule_problems(
    context: StackContext,
    name: str,
    pattern: dict[str, Any],
    target_arn: str,
    target_checks: Callable[[dict[str, Any]], list[str]],
) -> tuple[list[str], list[str]]:
    rule = _describe_rule(context, name)
    if rule is None:
        context.missing_rules.add(name)
        return [f"rule {name} does not exist"], [context.apply]
    problems, fixes = [], []
    if rule.get("State") != "ENABLED":
        problems.append(f"rule {name} is {rule.get('State')}: it sends nothing")
        fixes.append(f"aws events enable-rule --region {context.region} --name {name}")
    if json.loads(rule.get("EventPattern") or "null") != pattern:
        problems.append(f"rule {name} has another event pattern than the configuration gives")
        fixes.append(context.apply)
    targets = list(pages(context.clients["events"], "list_targets_by_rule", "Targets", Rule=name))
    matching = [target for target in targets if target.get("Arn") == target_arn]
    if not matching:
        found = ", ".join(target.get("Arn", "?") for target in targets) or "none"
        problems.append(f"rule {name} has no target {target_arn} (targets: {found})")
        fixes.append(context.apply)
    for target in matching:
        own = target_checks(target)
        problems += [f"rule {name}: {problem}" for problem in own]
        fixes += [context.apply] if own else []
    return problems, fixes


def check_rules(context: StackContext) -> CheckResult:
    expectation = context.expectation
    assert expectation.delivery is not None
    function = expectation.formatter_function_name
    target_arn = context.arn("lambda", f"function:{function}") if function else context.topic_arn
    queue_arn = context.arn("sqs", expectation.dead_letter_queue_name)
    retry = {
        "MaximumEventAgeInSeconds": expectation.delivery.maximum_event_age_seconds,
        "MaximumRetryAttempts": expectation.delivery.maximum_retry_attempts,
    }
    names = expectation.rule_names
    problems, fixes = [], []
    for rule in expectation.mail_rules:

        def target_checks(target: dict[str, Any], rule: Any = rule) -> list[str]:
            own = []
            if target.get("RetryPolicy") != retry:
                own.append(f"retry policy {target.get('RetryPolicy')}; configured: {retry}")
            if (target.get("DeadLetterConfig") or {}).get("Arn") != queue_arn:
                own.append(
                    f"dead-letter queue {(target.get('DeadLetterConfig') or {}).get('Arn')}; expected {queue_arn}"
                )
            transformer = target.get("InputTransformer") or {}
            # With the formatter the function builds the mail; without, the template is the mail.
            if not function and (
                transformer.get("InputPathsMap", {}) != rule.input_paths
                or transformer.get("InputTemplate") != rule.input_template
            ):
                own.append("its mail template (input transformer) differs from the configuration's")
            return own

        own_problems, own_fixes = _rule_problems(
            context, names[rule.key], rule.event_pattern, target_arn, target_checks
        )
        problems += own_problems
        fixes += own_fixes
    assert expectation.alerting is not None
    prefix = f"{expectation.alerting.alerts_name}-"
    listed = pages(context.clients["events"], "list_rules", "Rules", NamePrefix=prefix)
    extra = sorted(rule["Name"] for rule in listed if rule["Name"] not in names.values())
    notes = [f"rules with the same prefix the configuration does not have: {', '.join(extra)}"] if extra else []
    absent = [f"rule {name} does not exist" for name in names.values()]
    if len(names) > 1 and problems == absent:
        problems = [f"none of the {len(names)} rules exists ({', '.join(names.values())})"]
    if problems:
        return fail("rules", problems + notes, fixes)
    which = f"rule {next(iter(names.values()))} is" if len(names) == 1 else f"all {len(names)} rules are"
    return passed(
        "rules",
        f"{which} ENABLED with the configured pattern, a target on {'the formatter' if function else 'the topic'}, "
        "the retry policy and the dead-letter queue",
        *notes,
    )


def check_forwarding_rule(context: StackContext) -> CheckResult:
    forwarding = context.expectation.forwarding
    assert forwarding is not None
    bus = f"arn:{context.partition}:events:{forwarding.home_region}:{context.account_id}:event-bus/default"

    def target_checks(target: dict[str, Any]) -> list[str]:
        return [] if target.get("RoleArn") else ["its target has no role to put events on the home bus with"]

    problems, fixes = _rule_problems(context, forwarding.rule_name, forwarding.event_pattern, bus, target_checks)
    if problems:
        return fail("forwarding-rule", problems, fixes)
    return passed("forwarding-rule", f"rule {forwarding.rule_name} is ENABLED and forwards every finding to {bus}")

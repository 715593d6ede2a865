"""The checks of what a stack holds, each a function of a `StackContext` returning a `CheckResult`: credentials,
detector, protection plans, topic, topic key, topic policy, subscriptions, rules (a forwarding stack: its rule).

They only read (Get/List/Describe calls); what each needs is in the IAM policy for `verify` in docs/verify.md. Names
and expected values come from the stack's `StackExpectation`. A failed check says what was found and what to
do; an AWS error in a check (an access denial, say) fails that check only, with the missing permission.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any

from guardduty_alerts.policies import EVENTS_PRINCIPAL
from guardduty_alerts.protection import ProtectionPlan

from ..redaction import hidden_url
from .aws import AwsCallFailed, call, pages
from .context import StackContext, fail, passed
from .model import CheckResult

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

# What EventBridge needs of the topic's key (policies.KEY_USE_ACTIONS, as the calls it makes).
KEY_ACTIONS_NEEDED = ("kms:GenerateDataKey", "kms:Decrypt")


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
            [f"the credentials reach account {identity['Account']} as {identity['Arn']}{via}, not account {expected}"],
            [f"use credentials (or accounts[].role_arn) for account {expected}"],
        )
    return passed("access", f"{identity['Arn']}{via} in account {identity['Account']}")


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


def _topic_attributes(context: StackContext) -> dict[str, str] | None:
    """The topic's attributes (read once per stack), None when the topic does not exist."""
    if "attributes" not in context.topic:
        try:
            attributes = call(context.clients["sns"], "get_topic_attributes", TopicArn=context.topic_arn)
            context.topic["attributes"] = attributes["Attributes"]
        except AwsCallFailed as failure:
            if failure.code not in ("NotFound", "NotFoundException"):
                raise
            context.topic["attributes"] = None
    return context.topic["attributes"]


def _no_topic(check: str, context: StackContext) -> CheckResult:
    return fail(check, [f"topic {context.topic_arn} does not exist"], [context.apply])


def _key_arn(context: StackContext, key: str) -> str | None:
    """The ARN of the key `key` names (id, ARN, alias or alias ARN), None when there is no such key."""
    try:
        return call(context.clients["kms"], "describe_key", KeyId=key)["KeyMetadata"]["Arn"]
    except AwsCallFailed as failure:
        if failure.code != "NotFoundException":
            raise
        return None


def check_topic(context: StackContext) -> CheckResult:
    attributes = _topic_attributes(context)
    if attributes is None:
        return _no_topic("topic", context)
    actual = attributes.get("KmsMasterKeyId") or None
    expected = context.expectation.expected_key
    arn = context.topic_arn
    if expected is None:
        if actual:
            return fail(
                "topic",
                [f"topic {arn} is encrypted with {actual}; configured: unencrypted (topic_encryption.enabled: false)"],
                [context.apply],
            )
        return passed("topic", f"topic {arn} exists, unencrypted as configured (topic_encryption.enabled: false)")
    if not actual:
        return fail("topic", [f"topic {arn} is not encrypted; configured: key {expected}"], [context.apply])
    actual_arn, expected_arn = _key_arn(context, actual), _key_arn(context, expected)
    if expected_arn is None:
        return fail(
            "topic", [f"topic {arn} is encrypted with {actual}, but key {expected} does not exist"], [context.apply]
        )
    if actual_arn != expected_arn:
        return fail(
            "topic",
            [f"topic {arn} is encrypted with {actual_arn or actual}; configured: {expected} ({expected_arn})"],
            [context.apply],
        )
    return passed("topic", f"topic {arn} exists, encrypted with {expected_arn} ({expected})")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _for_service(statement: dict[str, Any], service: str) -> bool:
    principal = statement.get("Principal")
    if principal == "*" or (isinstance(principal, dict) and _as_list(principal.get("AWS")) == ["*"]):
        return True
    return isinstance(principal, dict) and service in _as_list(principal.get("Service", []))


def _covers(statement: dict[str, Any], action: str) -> bool:
    return any(
        fnmatch.fnmatchcase(action.lower(), str(pattern).lower()) for pattern in _as_list(statement.get("Action", []))
    )


def _granting(policy: dict[str, Any], service: str, action: str) -> list[dict[str, Any]]:
    """Allow statements for `service` covering `action`; none when an unconditional Deny covers it too."""
    statements = [s for s in _as_list(policy.get("Statement", [])) if _for_service(s, service) and _covers(s, action)]
    if any(s.get("Effect") == "Deny" and not s.get("Condition") for s in statements):
        return []
    return [s for s in statements if s.get("Effect") == "Allow"]


def check_topic_key(context: StackContext) -> CheckResult:
    attributes = _topic_attributes(context)
    key = (attributes or {}).get("KmsMasterKeyId") or context.expectation.expected_key
    assert key is not None  # only run when the topic should be or is encrypted
    kms = context.clients["kms"]
    try:
        metadata = call(kms, "describe_key", KeyId=key)["KeyMetadata"]
    except AwsCallFailed as failure:
        if failure.code != "NotFoundException":
            raise
        return fail("topic-key", [f"key {key} does not exist in {context.where}"], [context.apply])
    arn, state = metadata["Arn"], metadata.get("KeyState")
    problems, fixes = [], []
    if state != "Enabled":
        problems.append(f"key {arn} is {state}: SNS cannot encrypt with it, so every delivery to the topic fails")
        fixes.append(
            f"aws kms cancel-key-deletion --key-id {arn} (then enable-key)"
            if state == "PendingDeletion"
            else f"aws kms enable-key --region {context.region} --key-id {arn}"
        )
    if metadata.get("KeyManager") == "AWS":
        problems.append(f"key {arn} is AWS-managed: its key policy cannot let EventBridge use it")
        fixes.append("use a customer-managed key: leave topic_encryption.existing_kms_key_arns out to have one created")
    policy = json.loads(call(kms, "get_key_policy", KeyId=arn, PolicyName="default")["Policy"])
    conditional = False
    for action in KEY_ACTIONS_NEEDED:
        granting = _granting(policy, EVENTS_PRINCIPAL, action)
        if not granting:
            problems.append(
                f"the key policy of {arn} does not let {EVENTS_PRINCIPAL} use {action}: EventBridge can neither "
                "publish to the encrypted topic nor put what fails in the dead-letter queue (same key): findings are "
                "lost"
            )
            fixes.append(
                f"add a statement allowing {EVENTS_PRINCIPAL} kms:GenerateDataKey* and kms:Decrypt to the key "
                "policy (the construct's key has it), or " + context.apply
            )
        conditional = conditional or all(statement.get("Condition") for statement in granting)
    if problems:
        return fail("topic-key", problems, fixes)
    note = " (with conditions, not evaluated here)" if conditional else ""
    return passed("topic-key", f"key {arn} is Enabled; its policy lets {EVENTS_PRINCIPAL} use it{note}")


def _source_arns(statement: dict[str, Any]) -> list[tuple[str, str]] | None:
    """(operator, pattern) for each aws:SourceArn value the statement's condition allows; None: no such condition."""
    found: list[tuple[str, str]] = []
    for operator, conditions in (statement.get("Condition") or {}).items():
        for key, values in conditions.items():
            if key.lower() == "aws:sourcearn":
                found += [(operator, str(value)) for value in _as_list(values)]
    return found or None


def check_topic_policy(context: StackContext) -> CheckResult:
    attributes = _topic_attributes(context)
    if attributes is None:
        return _no_topic("topic-policy", context)
    if context.expectation.formatter_function_name:
        return passed(
            "topic-policy",
            "the subject formatter publishes to the topic; the permission of its role is not checked here",
        )
    policy = json.loads(attributes.get("Policy") or "{}")
    granting = _granting(policy, EVENTS_PRINCIPAL, "sns:Publish")
    if not granting:
        return fail(
            "topic-policy",
            [f"the policy of topic {context.topic_arn} does not let {EVENTS_PRINCIPAL} publish: no finding reaches it"],
            [context.apply],
        )
    rule_arns = {name: context.arn("events", f"rule/{name}") for name in context.expectation.rule_names.values()}
    allowed: list[tuple[str, str]] = []
    for statement in granting:
        sources = _source_arns(statement)
        if sources is None:
            return passed("topic-policy", f"{EVENTS_PRINCIPAL} may publish, for any rule")
        allowed += sources

    def permitted(arn: str) -> bool:
        return any(
            fnmatch.fnmatchcase(arn, pattern) if "Like" in operator else arn == pattern for operator, pattern in allowed
        )

    refused = [name for name, arn in rule_arns.items() if not permitted(arn)]
    if refused:
        return fail(
            "topic-policy",
            [f"{EVENTS_PRINCIPAL} may not publish for rule {name} (aws:SourceArn)" for name in refused],
            [context.apply],
        )
    return passed(
        "topic-policy", f"{EVENTS_PRINCIPAL} may publish for each of the {len(rule_arns)} rules (aws:SourceArn)"
    )


def check_subscriptions(context: StackContext) -> CheckResult:
    if _topic_attributes(context) is None:
        return _no_topic("subscriptions", context)
    sns = context.clients["sns"]
    subscriptions = list(pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=context.topic_arn))
    recipients = context.expectation.alerting.recipients if context.expectation.alerting else ()
    by_address: dict[str, list[dict[str, Any]]] = {}
    for subscription in subscriptions:
        if subscription.get("Protocol") == "email":
            by_address.setdefault(str(subscription.get("Endpoint", "")).lower(), []).append(subscription)
    confirmed, pending, missing = [], [], []
    for address in recipients:
        found = by_address.get(address.lower(), [])
        if not found:
            missing.append(address)
        elif any(subscription_confirmed(sns, subscription) for subscription in found):
            confirmed.append(address)
        else:
            pending.append(address)
    known = {address.lower() for address in recipients}
    unknown = [
        # An HTTP(S) endpoint's path may hold a key (PagerDuty's, a chat webhook's): its host only.
        f"{s.get('Protocol')} "
        + (hidden_url(str(s.get("Endpoint"))) if s.get("Protocol") in ("http", "https") else str(s.get("Endpoint")))
        for s in subscriptions
        if not (s.get("Protocol") == "email" and str(s.get("Endpoint", "")).lower() in known)
    ]
    found_lines = []
    if confirmed:
        found_lines.append(f"confirmed: {', '.join(confirmed)}")
    found_lines += [f"{address} has not confirmed the subscription: nothing is mailed to it" for address in pending]
    found_lines += [f"{address} is not subscribed to topic {context.topic_arn}" for address in missing]
    if unknown:
        found_lines.append(f"also subscribed, not in the configuration: {', '.join(sorted(unknown))}")
    fixes = [
        f"{address}: open the mail 'AWS Notification - Subscription Confirmation' and click 'Confirm subscription' "
        f"(the link expires after 3 days; then {context.apply} to send a new one)"
        for address in pending
    ]
    if missing:
        fixes.append(
            context.apply + ": it subscribes " + ", ".join(missing) + " again; each must then confirm the mail from AWS"
        )
    if pending or missing:
        return fail("subscriptions", found_lines, fixes)
    return passed("subscriptions", *found_lines)


def subscription_confirmed(sns: Any, subscription: dict[str, Any]) -> bool:
    arn = subscription.get("SubscriptionArn", "")
    if not arn.startswith("arn:"):
        return False  # "PendingConfirmation" (or "Deleted") in place of an ARN
    # A subscription made with ReturnSubscriptionArn (as Terraform does) has an ARN while still pending.
    attributes = call(sns, "get_subscription_attributes", SubscriptionArn=arn)["Attributes"]
    return attributes.get("PendingConfirmation", "false") != "true"


# --- rules -----------------------------------------------------------------------------------------------------


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

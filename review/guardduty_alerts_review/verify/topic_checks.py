"""The checks of the topic a stack delivers through: the topic and its encryption, its key, its policy (does it
let EventBridge publish for each rule?) and its subscriptions. Policies are read by `policy_reader`, the reader
the plan summary uses too."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from guardduty_alerts.policies import EVENTS_PRINCIPAL

from ..policy_reader import KEY_USE_ACTIONS, granting
from ..redaction import hidden_url
from .aws import AwsCallFailed, call, pages
from .context import StackContext, fail, passed
from .model import CheckResult

__all__ = ["check_subscriptions", "check_topic", "check_topic_key", "check_topic_policy", "subscription_confirmed"]


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
    for action in KEY_USE_ACTIONS:
        allowing = granting(policy, EVENTS_PRINCIPAL, action)
        if not allowing:
            problems.append(
                f"the key policy of {arn} does not let {EVENTS_PRINCIPAL} use {action}: EventBridge can neither "
                "publish to the encrypted topic nor put what fails in the dead-letter queue (same key): findings are "
                "lost"
            )
            fixes.append(
                f"add a statement allowing {EVENTS_PRINCIPAL} kms:GenerateDataKey* and kms:Decrypt to the key "
                "policy (the construct's key has it), or " + context.apply
            )
        conditional = conditional or all(statement.get("Condition") for statement in allowing)
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
                found += [(operator, str(value)) for value in (values if isinstance(values, list) else [values])]
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
    allowing = granting(policy, EVENTS_PRINCIPAL, "sns:Publish")
    if not allowing:
        return fail(
            "topic-policy",
            [f"the policy of topic {context.topic_arn} does not let {EVENTS_PRINCIPAL} publish: no finding reaches it"],
            [context.apply],
        )
    rule_arns = {name: context.arn("events", f"rule/{name}") for name in context.expectation.rule_names.values()}
    allowed: list[tuple[str, str]] = []
    for statement in allowing:
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

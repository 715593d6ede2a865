"""One reader of IAM-style policy documents (topic policies, key policies) for the review tools: does a policy let
a service principal take an action? Used by the plan summary (before/after a change) and by `verify` (live).

It reads what AWS's policy evaluation logic documents, in the part these tools need: a statement applies when
its Principal names the service (or is "*") and one of its Action patterns matches the action, with `*` and `?`
wildcards, case-insensitive; an explicit Deny overrides any Allow. Conditions are not evaluated (they need the
request's context): a conditional Deny does not remove an Allow, and an Allow with conditions is returned so
the caller can say so. NotAction, NotPrincipal and NotResource are not read.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

__all__ = ["KEY_USE_ACTIONS", "allows", "allows_text", "granting"]

# What EventBridge needs of a topic's key to publish to the encrypted topic (and to put what fails in the
# dead-letter queue encrypted with the same key); policies.KEY_USE_ACTIONS, as the calls it makes.
KEY_USE_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _names_service(statement: dict[str, Any], service: str) -> bool:
    principal = statement.get("Principal")
    if principal == "*" or (isinstance(principal, dict) and _as_list(principal.get("AWS")) == ["*"]):
        return True
    return isinstance(principal, dict) and service in _as_list(principal.get("Service", []))


def _covers(statement: dict[str, Any], action: str) -> bool:
    # IAM action names are case-insensitive; `*` and `?` are its only wildcards, which fnmatch's `[` is not:
    # escape it so a literal bracket cannot become a character class.
    return any(
        fnmatch.fnmatchcase(action.lower(), str(pattern).lower().replace("[", "[[]"))
        for pattern in _as_list(statement.get("Action", []))
    )


def granting(policy: object, service: str, action: str) -> list[dict[str, Any]]:
    """The Allow statements that let `service` take `action`; none when an unconditional Deny covers it too
    (or when `policy` is not a policy document)."""
    if not isinstance(policy, dict):
        return []
    statements = [
        s
        for s in _as_list(policy.get("Statement", []))
        if isinstance(s, dict) and _names_service(s, service) and _covers(s, action)
    ]
    if any(s.get("Effect") == "Deny" and not s.get("Condition") for s in statements):
        return []
    return [s for s in statements if s.get("Effect") == "Allow"]


def allows(policy: object, service: str, actions: tuple[str, ...]) -> bool:
    """Whether `policy` lets `service` take every one of `actions` (conditions aside)."""
    return all(granting(policy, service, action) for action in actions)


def allows_text(policy_text: object, service: str, actions: tuple[str, ...]) -> bool | None:
    """`allows` over a policy as Terraform's plan holds it (JSON text); None when it is not known or not JSON."""
    if not isinstance(policy_text, str):
        return None
    try:
        policy = json.loads(policy_text)
    except json.JSONDecodeError:
        return None
    return allows(policy, service, actions) if isinstance(policy, dict) else None

"""The results of `verify`: per stack, a list of checks, each passed or failed, what was found and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from guardduty_alerts.accounts import AccountNames

__all__ = ["CHECK_TITLES", "CheckResult", "StackReport", "VerifyReport"]

# Check id -> what it is about, in words, in the order the checks run.
CHECK_TITLES = {
    "access": "credentials",
    "detector": "GuardDuty detector",
    "protection-plans": "protection plans",
    "topic": "SNS topic",
    "topic-key": "topic key",
    "topic-policy": "topic policy",
    "subscriptions": "subscriptions",
    "rules": "EventBridge rules",
    "chat-configurations": "chat configurations",
    "api-destinations": "chat webhooks",
    "channel-subscriptions": "channel subscriptions",
    "user-notifications": "User Notifications",
    "forwarding-rule": "forwarding rule",
    "dead-letter-queue": "dead-letter queue",
    "alarms": "delivery alarms",
    "failed-invocations": "failed deliveries",
    "sample": "sample finding",
}


@dataclass(frozen=True)
class CheckResult:
    """One check: `found` says what the live account holds, `fix` what to do when it failed (lines of words)."""

    check: str
    passed: bool
    found: tuple[str, ...]
    fix: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.check not in CHECK_TITLES:
            raise ValueError(f"unknown check {self.check!r}")

    @property
    def title(self) -> str:
        return CHECK_TITLES[self.check]

    def as_dict(self) -> dict[str, object]:
        return {"check": self.check, "passed": self.passed, "found": list(self.found), "fix": list(self.fix)}


@dataclass(frozen=True)
class StackReport:
    stack: str
    region: str
    account_id: str | None
    checks: tuple[CheckResult, ...]
    # Every account of the config, id -> name: the text report names them in words (the JSON keeps the id).
    account_names: AccountNames = field(default_factory=lambda: MappingProxyType({}))

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if not check.passed)

    def as_dict(self) -> dict[str, object]:
        return {
            "stack": self.stack,
            "region": self.region,
            "account": self.account_id,
            "passed": self.passed,
            "checks": [check.as_dict() for check in self.checks],
        }


@dataclass(frozen=True)
class VerifyReport:
    stacks: tuple[StackReport, ...]

    @property
    def passed(self) -> bool:
        return all(stack.passed for stack in self.stacks)

    def as_dict(self) -> dict[str, object]:
        return {"passed": self.passed, "stacks": [stack.as_dict() for stack in self.stacks]}

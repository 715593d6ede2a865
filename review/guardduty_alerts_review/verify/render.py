"""`verify`'s report for people (a checklist per stack) and for machines (JSON, for a post-deploy CI job)."""

from __future__ import annotations

import json

from guardduty_alerts.accounts import account_in_words

from .model import VerifyReport

__all__ = ["render_json", "render_text"]


def render_text(report: VerifyReport) -> str:
    """Per stack, one line per check (PASS/FAIL, what, what was found), the fix under each failure; a summary."""
    lines: list[str] = []
    # As wide as the longest title shown: a report without channels keeps its narrow column.
    width = max((len(check.title) for stack in report.stacks for check in stack.checks), default=0)
    for stack in report.stacks:
        account = f"{account_in_words(stack.account_id, stack.account_names)}, " if stack.account_id else ""
        lines.append(f"stack {stack.stack} ({account}region {stack.region})")
        for check in stack.checks:
            indent = " " * (8 + width + 2)
            found = check.found or ("",)
            lines.append(f"  {'PASS' if check.passed else 'FAIL'}  {check.title.ljust(width)}  {found[0]}".rstrip())
            lines += [f"{indent}{line}" for line in found[1:]]
            lines += [f"{indent}fix: {line}" for line in check.fix]
        lines.append("")
    total = sum(len(stack.checks) for stack in report.stacks)
    failed = [(stack, check) for stack in report.stacks for check in stack.failed()]
    stacks = len(report.stacks)
    noun = "stack" if stacks == 1 else "stacks"
    # "1 of 1 check", "the 1 check": the noun agrees with the total.
    checks = "check" if total == 1 else "checks"
    if not failed:
        lines.append(f"verify: {'the' if total == 1 else 'all'} {total} {checks} passed in {stacks} {noun}")
    else:
        broken = sorted({stack.stack for stack, _ in failed})
        where = "; ".join(
            f"{name}: {', '.join(check.title for stack, check in failed if stack.stack == name)}" for name in broken
        )
        lines.append(f"verify: {len(failed)} of {total} {checks} failed in {len(broken)} of {stacks} {noun} ({where})")
    return "\n".join(lines)


def render_json(report: VerifyReport) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=True)

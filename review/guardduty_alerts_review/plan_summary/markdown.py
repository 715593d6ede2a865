"""The pull-request comment: counts per stack, the alerting impact, the raw plan collapsed."""

from __future__ import annotations

from collections.abc import Sequence

from .analysis import ACTION_ORDER, summarize
from .loading import plan_changes
from .model import StackChanges

# Hidden first line of the comment: the workflow finds its own comment by it and updates it in place.
COMMENT_MARKER = "<!-- guardduty-alerts:plan-summary -->"
# GitHub refuses comments longer than 65,536 characters; the raw plan text is cut to fit.
MAX_COMMENT_CHARS = 65_000



def _fence(text: str) -> str:
    # A fence longer than any backtick run in the text, so that the plan cannot end the code block.
    run, longest = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _raw_text(stack: StackChanges) -> str:
    if stack.text is not None:
        return stack.text.rstrip()
    lines = [f"{' '.join(c.actions)} {c.address}" for c in plan_changes(stack.plan) if c.kind != "no-op"]
    return "\n".join(lines) or "No changes."


def render_markdown(stacks: Sequence[StackChanges], *, title: str = "GuardDuty alerts: plan review") -> str:
    """The pull-request comment for these stacks' plans (stable: same plans, same text)."""
    summaries = [summarize(stack) for stack in stacks]
    lines = [COMMENT_MARKER, f"### {title}", ""]
    if all(s.unchanged for s in summaries):
        stacks_word = "stack" if len(summaries) == 1 else "stacks"
        lines.append(f"No changes in {len(summaries)} {stacks_word}: alerting stays as it is.")
        for summary in summaries:
            if summary.after_state:
                lines.append(f"- `{summary.name}` {summary.after_state}.")
        return "\n".join(lines) + "\n"
    lines += ["| Stack | Create | Update | Replace | Delete |", "| --- | ---: | ---: | ---: | ---: |"]
    for summary in summaries:
        counts = " | ".join(str(summary.counts[kind]) for kind in ACTION_ORDER)
        lines.append(f"| `{summary.name}` | {counts} |")
    lines += ["", "#### Alerting impact", ""]
    if not any(s.impacts for s in summaries):
        lines += ["None: no change to which findings are mailed or to whom.", ""]
    for summary in summaries:
        if summary.unchanged:
            continue
        lines.append(f"**`{summary.name}`**")
        lines.append("")
        if summary.impacts:
            lines += [impact.markdown() for impact in summary.impacts]
        else:
            lines.append("- No change to which findings are mailed or to whom.")
        if summary.other_changes:
            lines.append(f"- Other changes, not about alerting: {', '.join(summary.other_changes)}.")
        if summary.after_state:
            lines.append(f"- After this change the stack {summary.after_state}.")
        lines.append("")
    head = "\n".join(lines)
    budget = MAX_COMMENT_CHARS - len(head)
    details = []
    for stack, summary in zip(stacks, summaries, strict=True):
        if summary.unchanged:
            continue
        text = _raw_text(stack)
        share = max(500, budget // max(1, sum(1 for s in summaries if not s.unchanged)) - 200)
        if len(text) > share:
            kept = text[:share].rsplit("\n", 1)[0]
            text = f"{kept}\n... (cut: {len(text) - len(kept)} more characters; see the workflow log)"
        fence = _fence(text)
        details += [
            f"<details><summary>Terraform plan: {summary.name}</summary>",
            "",
            f"{fence}text",
            text,
            fence,
            "",
            "</details>",
            "",
        ]
    return head + "\n" + "\n".join(details)

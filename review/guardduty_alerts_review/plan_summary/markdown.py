"""The pull-request comment: counts, the alerting impact in words, the raw plans collapsed.

The same change in many stacks is one line that says where it applies ("in all 340 stacks", "in the 17 stacks
of account 210987654321"), so an estate-wide change reads as briefly as a change to one stack. Raw pattern
JSON and resource addresses of the plans appear only in the collapsed plan text.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from types import MappingProxyType
from typing import TypeVar
from urllib.parse import urlsplit

from guardduty_alerts.accounts import AccountNames, account_in_words

from .analysis import ACTION_ORDER, summarize
from .loading import plan_changes
from .matchers import join_words
from .model import Impact, StackChanges, StackSummary

# Hidden first line of the comment: the workflow finds its own comment by it and updates it in place.
COMMENT_MARKER = "<!-- guardduty-alerts:plan-summary -->"
# GitHub refuses comments longer than 65,536 characters; the raw plan text is cut to fit.
MAX_COMMENT_CHARS = 65_000
# Stack names listed in one line at most; beyond that the line counts them.
_MAX_LISTED = 6
# The smallest share of raw plan text worth showing for one group of stacks.
_MIN_PLAN_CHARS = 500


def _fence(text: str) -> str:
    # A fence longer than any backtick run in the text, so that the plan cannot end the code block.
    run, longest = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _webhook_secrets(stack: StackChanges) -> list[tuple[str, str]]:
    """(URL, shown form) of each HTTPS subscription endpoint in the plan whose path or query may hold an
    integration key (PagerDuty's, Opsgenie's): the comment shows its scheme and host only."""
    found = []
    for change in plan_changes(stack.plan):
        if change.type != "aws_sns_topic_subscription":
            continue
        for values in (change.before, change.after):
            endpoint = values.get("endpoint") if values else None
            if values and values.get("protocol") == "https" and isinstance(endpoint, str):
                parts = urlsplit(endpoint)
                if parts.path.strip("/") or parts.query:
                    found.append((endpoint, f"{parts.scheme}://{parts.hostname}/(path hidden)"))
    return sorted(set(found), key=lambda pair: -len(pair[0]))


def _raw_text(stack: StackChanges) -> str:
    if stack.text is not None:
        text = stack.text.rstrip()
        for endpoint, shown in _webhook_secrets(stack):
            text = text.replace(endpoint, shown)
        return text
    lines = [f"{' '.join(c.actions)} {c.address}" for c in plan_changes(stack.plan) if c.kind != "no-op"]
    return "\n".join(lines) or "No changes."


def _stacks_noun(count: int) -> str:
    return "stack" if count == 1 else "stacks"


NO_NAMES: AccountNames = MappingProxyType({})


def _accounts_text(whole: Sequence[str], others: Sequence[str], names: AccountNames) -> str:
    """'account payments-prod (111111111111) and account security (222222222222)', or 'every account except
    account sandbox (333333333333)': the accounts of the config in words (`names`), any other by its id."""
    if len(whole) >= 3 and len(others) < len(whole):
        # "every account except X" is shorter than 19 accounts.
        return f"every account except {join_words([account_in_words(value, names) for value in others])}"
    return join_words([account_in_words(value, names) for value in whole])


def where(names: Sequence[str], everyone: Sequence[StackSummary], account_names: AccountNames = NO_NAMES) -> str:
    """The stacks `names` as a reader says them, given all stacks of the comment: 'all 340 stacks', 'the 17
    stacks of account 210987654321' (with `account_names`, 'of account payments-prod (210987654321)'), 'the 20
    stacks in region eu-west-1', '`gd-a-us-east-1`', or a list."""
    chosen = set(names)
    if len(chosen) == len(everyone) > 1:
        return "both stacks" if len(everyone) == 2 else f"all {len(everyone)} stacks"
    if len(chosen) == 1:
        return f"`{next(iter(chosen))}`"
    parts: list[str] = []
    rest = set(chosen)
    for attribute, phrase in (("account", "of {noun} {values}"), ("region", "in {noun} {values}")):
        members: dict[str, list[str]] = {}
        for summary in everyone:
            value = getattr(summary, attribute)
            if value:
                members.setdefault(value, []).append(summary.name)
        whole = [value for value, stacks in sorted(members.items()) if len(stacks) > 1 and set(stacks) <= rest]
        if whole:
            count = sum(len(members[value]) for value in whole)
            others = sorted(set(members) - set(whole))
            if attribute == "account" and account_names:
                parts.append(f"the {count} stacks of {_accounts_text(whole, others, account_names)}")
                rest -= {name for value in whole for name in members[value]}
                continue
            if len(whole) >= 3 and len(others) < len(whole):
                # "every account except X" is shorter than 19 account ids.
                text = f"every {attribute} except {join_words(others)}"
            else:
                text = phrase.format(noun=attribute if len(whole) == 1 else f"{attribute}s", values=join_words(whole))
                text = text.removeprefix("of ").removeprefix("in ")
            parts.append(f"the {count} stacks {'of' if attribute == 'account' else 'in'} {text}")
            rest -= {name for value in whole for name in members[value]}
    listed = [f"`{name}`" for name in sorted(rest)]
    if len(listed) > _MAX_LISTED:
        listed = [*listed[:_MAX_LISTED], f"{len(listed) - _MAX_LISTED} more stacks"]
    return join_words(parts + listed)


Key = TypeVar("Key", bound=Hashable)


def _grouped(items: Sequence[tuple[Key, str]]) -> list[tuple[Key, list[str]]]:
    """(key, stack) pairs -> (key, stacks) in order of first appearance."""
    groups: dict[Key, list[str]] = {}
    for key, name in items:
        groups.setdefault(key, []).append(name)
    return list(groups.items())


def _plural(state: str) -> str:
    # "mails HIGH ..." -> "mail HIGH ...": the subject is several stacks.
    return "mail" + state[len("mails") :] if state.startswith("mails") else state


def _impact_line(impact: Impact, place: str) -> str:
    where_text = f" (in {place})" if place else ""
    return f"- {impact.level.value} **{impact.title}**{where_text}: {impact.text}"


def render_markdown(
    stacks: Sequence[StackChanges],
    *,
    title: str = "GuardDuty alerts: plan review",
    not_planned: int = 0,
    account_names: AccountNames = NO_NAMES,
) -> str:
    """The pull-request comment for these stacks' plans (stable: same plans, same text). `not_planned` is the
    number of other stacks whose Terraform this change leaves as it is (not planned: `changed-stacks`);
    `account_names` (id -> name, the config's `accounts`) names accounts in words."""
    summaries = [summarize(stack, account_names) for stack in stacks]
    lines = [COMMENT_MARKER, f"### {title}", ""]
    if not summaries:
        lines.append(
            f"No stack's Terraform changes ({not_planned} {_stacks_noun(not_planned)} compared with the base "
            "branch): nothing to plan, alerting stays as it is."
        )
        return "\n".join(lines) + "\n"
    if not_planned:
        total = len(summaries) + not_planned
        others = "the other stack is" if not_planned == 1 else f"the other {not_planned} are"
        lines += [
            f"Planned the {len(summaries)} of {total} stacks whose Terraform this change touches; {others} unchanged.",
            "",
        ]
    single = len(summaries) == 1
    if all(s.unchanged for s in summaries):
        lines.append(f"No changes in {len(summaries)} {_stacks_noun(len(summaries))}: alerting stays as it is.")
        for state_text, names in _grouped([(s.after_state or "", s.name) for s in summaries if s.after_state]):
            named = f"`{names[0]}`" if single else where(names, summaries, account_names)
            lines.append(f"- {named} {state_text if len(names) == 1 else _plural(state_text)}.")
        return "\n".join(lines) + "\n"
    lines += [
        *_count_table(summaries, account_names),
        "",
        "#### Alerting impact",
        "",
        *_impact_lines(summaries, account_names),
        "",
    ]
    return _with_plans(lines, stacks, summaries)


def _count_table(summaries: Sequence[StackSummary], account_names: AccountNames) -> list[str]:
    """Resources created, updated, replaced, deleted (and imported) per group of stacks with the same counts."""
    columns = list(ACTION_ORDER) + (["import"] if any(s.counts.get("import") for s in summaries) else [])
    lines = [
        "| Stacks | " + " | ".join(c.capitalize() for c in columns) + " |",
        "| --- | " + " | ".join("---:" for _ in columns) + " |",
    ]
    for counts, names in _grouped([(tuple(s.counts.get(c, 0) for c in columns), s.name) for s in summaries]):
        row = where(names, summaries, account_names) if len(names) > 1 else f"`{names[0]}`"
        lines.append(f"| {row} | " + " | ".join(str(n) for n in counts) + " |")
    return lines


def _impact_lines(summaries: Sequence[StackSummary], account_names: AccountNames) -> list[str]:
    """The alerting impact: each line once with the stacks it is true of, losses first; then the stacks without
    impact, other changes and the state after the change."""
    single = len(summaries) == 1

    def place(names: Sequence[str]) -> str:
        return "" if single else where(names, summaries, account_names)

    def subject(names: Sequence[str]) -> str:
        return "the stack" if single else where(names, summaries, account_names)

    lines = []
    changed = [s for s in summaries if not s.unchanged]
    rank = {"⚠️": 0, "🔔": 1, "📝": 2}
    ordered = sorted(
        (
            (impact, s.name, index, position)
            for index, s in enumerate(changed)
            for position, impact in enumerate(s.impacts)
        ),
        key=lambda row: (rank[row[0].level.value], row[2], row[3]),
    )
    for impact, names in _grouped([(impact, name) for impact, name, _, _ in ordered]):
        lines.append(_impact_line(impact, place(names)))
    if not any(s.impacts for s in changed):
        lines.append("None: no change to which findings are mailed or to whom.")
    else:
        quiet = [s.name for s in changed if not s.impacts]
        if quiet:
            where_text = f" (in {where(quiet, summaries, account_names)})"
            lines.append(f"- No change to which findings are mailed or to whom{where_text}.")
    for other, names in _grouped([(", ".join(s.other_changes), s.name) for s in changed if s.other_changes]):
        lines.append(f"- Other changes, not about alerting{f' (in {p})' if (p := place(names)) else ''}: {other}.")
    for state_text, names in _grouped([(s.after_state or "", s.name) for s in changed if s.after_state]):
        plural = not single and len(names) > 1
        lines.append(f"- After this change {subject(names)} {_plural(state_text) if plural else state_text}.")
    return lines


def _with_plans(head_lines: list[str], stacks: Sequence[StackChanges], summaries: Sequence[StackSummary]) -> str:
    """The head, then one raw plan per group of stacks with the same changes, cut to the comment limit."""
    head = "\n".join(head_lines)
    if len(head) > MAX_COMMENT_CHARS - 200:
        kept = head[: MAX_COMMENT_CHARS - 400].rsplit("\n", 1)[0]
        return f"{kept}\n\n... (cut: the comment size limit; the workflow log has the whole summary)\n"
    by_name = dict(zip((s.name for s in summaries), stacks, strict=True))
    groups = _grouped(
        [
            (
                (
                    s.counts.get("create"),
                    s.counts.get("update"),
                    s.counts.get("replace"),
                    s.counts.get("delete"),
                    s.impacts,
                    s.other_changes,
                    s.after_state,
                ),
                s.name,
            )
            for s in summaries
            if not s.unchanged
        ]
    )
    budget = MAX_COMMENT_CHARS - len(head) - 300
    share = budget // max(1, len(groups)) - 200
    shown = len(groups) if share >= _MIN_PLAN_CHARS else max(0, budget // (_MIN_PLAN_CHARS + 200))
    share = max(share, _MIN_PLAN_CHARS)
    details: list[str] = []
    for _key, names in groups[:shown]:
        text = _raw_text(by_name[names[0]])
        if len(text) > share:
            kept = text[:share].rsplit("\n", 1)[0]
            text = f"{kept}\n... (cut: {len(text) - len(kept)} more characters; see the workflow log)"
        fence = _fence(text)
        others = len(names) - 1
        label = names[0] + (f" ({others} other {_stacks_noun(others)} with the same changes)" if others else "")
        details += [
            f"<details><summary>Terraform plan: {label}</summary>",
            "",
            f"{fence}text",
            text,
            fence,
            "",
            "</details>",
            "",
        ]
    hidden = sum(len(names) for _key, names in groups[shown:])
    if hidden:
        details.append(
            f"Raw plans of {hidden} more {_stacks_noun(hidden)} do not fit in a comment: see the plan "
            "files of the workflow run."
        )
        details.append("")
    return head + "\n" + "\n".join(details)

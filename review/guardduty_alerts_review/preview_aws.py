"""`main.py preview --aws`: each rule's pattern and each event put to EventBridge's own TestEventPattern.

The local preview decides with moto's pattern implementation. The pattern features only moto has vouched for
here (`exists: false`, `$or`, `anything-but` with `wildcard`, numeric ranges) are thereby confirmed by the
service itself: every (pattern, event) pair is asked once, and every answer that differs from moto's is printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from guardduty_alerts.naming import rule_name

from .alerting import StackAlerting
from .preview import pattern_matches
from .verify.aws import ACCESS_DENIED_CODES, CREDENTIAL_CODES, AwsCallFailed, call

__all__ = ["compare_with_eventbridge"]

# TestEventPattern is a control-plane call; a few at a time keeps well inside its rate limit.
WORKERS = 4


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _ask(client: Any, pattern: str, event: str) -> bool:
    answer = call(client, "test_event_pattern", EventPattern=pattern, Event=event)
    if "Result" not in answer:
        # moto's TestEventPattern is a stub that answers nothing: say so rather than count it as "no match".
        raise AwsCallFailed(
            "events:TestEventPattern",
            "NoResult",
            "the endpoint answered without a Result: an emulator that does not implement it, such as moto",
        )
    return bool(answer["Result"])


def compare_with_eventbridge(
    stacks: Sequence[StackAlerting],
    events: Sequence[tuple[Path, dict[str, Any]]],
    client: Any,
    *,
    workers: int = WORKERS,
) -> tuple[list[str], bool]:
    """Lines to print, and whether EventBridge agreed with the local preview on every pair."""
    rules_of = _rules_by_pattern(stacks)
    texts = {path: json.dumps(event, sort_keys=True) for path, event in events}
    pairs = [(pattern, path) for pattern in rules_of for path, _ in events]
    region = getattr(getattr(client, "meta", None), "region_name", "?")
    lines = [
        f"== EventBridge TestEventPattern (region {region}): {_count(len(rules_of), 'pattern')} x "
        f"{_count(len(events), 'event')} =="
    ]

    def ask(pair: tuple[str, Path]) -> bool | AwsCallFailed:
        pattern, path = pair
        try:
            return _ask(client, pattern, texts[path])
        except AwsCallFailed as failure:
            return failure

    answers: Iterator[bool | AwsCallFailed]
    if workers <= 1:
        answers = map(ask, pairs)
    else:
        pool = ThreadPoolExecutor(max_workers=workers)
        answers = pool.map(ask, pairs)
    disagreements = errors = 0
    events_by_path = dict(events)
    try:
        for (pattern, path), answer in zip(pairs, answers, strict=True):
            rules = ", ".join(rules_of[pattern])
            if isinstance(answer, AwsCallFailed):
                errors += 1
                if answer.code in ACCESS_DENIED_CODES | CREDENTIAL_CODES | {"NoResult"}:
                    lines.append(f"ERROR  {answer.sentence()}; nothing could be compared")
                    if answer.denied:
                        lines.append("       fix: allow events:TestEventPattern for the credentials in use")
                    return lines, False
                lines.append(f"ERROR  {path.name}, rule {rules}: {answer.sentence()}")
                continue
            local = pattern_matches(pattern, events_by_path[path])
            if answer != local:
                disagreements += 1
                says = "matches" if answer else "does not match"
                lines.append(
                    f"DISAGREE  {path.name}, rule {rules}: EventBridge {says}, the local preview (moto) "
                    f"{'matches' if local else 'does not match'}"
                )
    finally:
        if workers > 1:
            pool.shutdown(cancel_futures=True)
    lines.append(_verdict(len(pairs), disagreements, errors))
    return lines, not disagreements and not errors


def _rules_by_pattern(stacks: Sequence[StackAlerting]) -> dict[str, list[str]]:
    """Each distinct pattern once, with the names of the rules that use it (many stacks share patterns)."""
    rules_of: dict[str, list[str]] = {}
    for alerting in stacks:
        for rule in alerting.mail_rules():
            names = rules_of.setdefault(rule.pattern_json(), [])
            name = rule_name(alerting.alerts_name, rule.key)
            if name not in names:
                names.append(name)
    return rules_of


def _verdict(pairs: int, disagreements: int, errors: int) -> str:
    if not disagreements and not errors:
        return f"EventBridge agrees with the local preview on all {pairs} pattern and event pairs"
    return f"{_count(disagreements, 'disagreement')} and {_count(errors, 'error')} in {pairs} pattern and event pairs"

"""Wording shared by the impact lines: lists of names, counts, recipients, and what one side mails."""

from __future__ import annotations

from collections.abc import Sequence

from .matchers import FIRST_OCCURRENCE, TypeSelection, describe_severities, join_words
from .sides import VARIES, Mailed

__all__ = ["condition_words", "count", "join_names", "names_text", "recipients_text", "what", "what_text"]


def recipients_text(recipients: Sequence[str]) -> str:
    return join_words(recipients) if recipients else "nobody (no email subscription)"


def join_names(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return join_words(quoted)


def count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# Names listed in one line at most; a removed stack has dozens of rules, and the raw plan names them all.
_MAX_NAMES = 6


def names_text(noun: str, names: Sequence[str]) -> str:
    if len(names) == 1:
        return f"{noun} {names[0]}"
    shown = list(names[:_MAX_NAMES])
    if len(names) > _MAX_NAMES:
        shown.append(f"{len(names) - _MAX_NAMES} more")
    return f"{noun}s {join_words(shown)}"


def what(mailed: Mailed) -> tuple[str, list[str]]:
    """What one side mails, in two parts: the findings ('HIGH and CRITICAL findings (severity 7.0 to 10.0) of
    every type except Recon:*') and the qualifiers (['first occurrences only', 'no sample findings'])."""
    if mailed.severities.is_empty():
        return ("sample findings only" if mailed.mails_samples else "no findings"), []
    text = describe_severities(mailed.severities)
    if mailed.types is VARIES:
        text += " (the finding types differ between rules)"
    elif isinstance(mailed.types, TypeSelection):
        text += mailed.types.phrase()
    qualifiers = []
    if mailed.occurrence == FIRST_OCCURRENCE:
        qualifiers.append("first occurrences only")
    for key, words in sorted(mailed.others.items()):
        if len(words) == 1 and "" not in words:
            qualifiers.append(f"only where `{key}` {next(iter(words))}")
    if not mailed.mails_samples:
        qualifiers.append("no sample findings")
    return text, qualifiers


def what_text(mailed: Mailed) -> str:
    text, qualifiers = what(mailed)
    return ", ".join([text, *qualifiers])


def condition_words(words: frozenset[str]) -> str:
    texts = sorted("no condition" if w == "" else f"it {w}" for w in words)
    return texts[0] if len(texts) == 1 else "depending on the rule, " + join_words(texts)

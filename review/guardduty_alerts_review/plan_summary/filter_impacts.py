"""Filter impacts: what a change of the rules' finding types, occurrences, sample findings or other conditions
does to what is mailed (one line per change, however many rules carry it)."""

from __future__ import annotations

from .matchers import EVERY_OCCURRENCE, FIRST_OCCURRENCE, TypeSelection, covers, join_types, join_words
from .model import Impact, Level
from .sides import VARIES, Mailed
from .wording import condition_words

__all__ = ["filter_impacts", "types_impacts"]


_LOST, _GAINED = "(any severity)", "(at the severities mailed)"


def types_impacts(before: TypeSelection, after: TypeSelection) -> list[Impact]:
    """What a change of the finding-type filter does, in words."""
    if before == after:
        return []
    if before.every_type:
        return [_from_every_type(after)]
    if after.every_type:
        return [_to_every_type(before)]
    if before.include is not None and after.include is not None:
        return _includes_change(before.include, after.include)
    if before.include is None and after.include is None:
        return _excludes_change(before.exclude, after.exclude)
    if before.include is not None:  # only some types -> every type but some
        overlap = any(covers(e, i) or covers(i, e) for e in after.exclude for i in before.include)
        return [
            Impact(
                Level.LOSS if overlap else Level.GAIN,
                "Finding types change",
                f"until now only findings of {_of(before.include)} were mailed; after this change findings of "
                f"every type except {join_types(after.exclude)} are {_GAINED}.",
            )
        ]
    assert after.include is not None
    return [
        Impact(
            Level.LOSS,
            "Finding types change",
            f"until now findings of every type except {join_types(before.exclude)} were mailed; after this change "
            f"only findings of {_of(after.include)} are {_GAINED}.",
        )
    ]


def _from_every_type(after: TypeSelection) -> Impact:
    if after.include is not None:
        return Impact(
            Level.LOSS,
            "Only some finding types mailed",
            f"only findings of {_of(after.include)} will be mailed from now on; findings of every other type will "
            f"no longer be mailed {_LOST}.",
        )
    return Impact(
        Level.LOSS, "Finding types excluded", f"findings of {_of(after.exclude)} will no longer be mailed {_LOST}."
    )


def _to_every_type(before: TypeSelection) -> Impact:
    if before.include is not None:
        return Impact(
            Level.GAIN,
            "Every finding type mailed",
            f"findings of every type will be mailed again, not only {join_types(before.include)} {_GAINED}.",
        )
    return Impact(
        Level.GAIN, "Finding types mailed again", f"findings of {_of(before.exclude)} will be mailed again {_GAINED}."
    )


def _includes_change(before: frozenset[str], after: frozenset[str]) -> list[Impact]:
    removed, added = _not_covered(before, by=after), _not_covered(after, by=before)
    impacts = []
    if removed:
        impacts.append(
            Impact(
                Level.LOSS,
                "Finding types no longer mailed",
                f"findings of {_of(removed, keep=after)} will no longer be mailed {_LOST}.",
            )
        )
    if added:
        impacts.append(
            Impact(Level.GAIN, "Finding types added", f"findings of {_of(added)} will now be mailed too {_GAINED}.")
        )
    return impacts


def _excludes_change(before: frozenset[str], after: frozenset[str]) -> list[Impact]:
    newly, again = _not_covered(after, by=before), _not_covered(before, by=after)
    impacts = []
    if newly:
        impacts.append(
            Impact(Level.LOSS, "Finding types excluded", f"findings of {_of(newly)} will no longer be mailed {_LOST}.")
        )
    if again:
        impacts.append(
            Impact(
                Level.GAIN,
                "Finding types mailed again",
                f"findings of {_of(again, keep=after)} will be mailed again {_GAINED}.",
            )
        )
    return impacts


def _not_covered(entries: frozenset[str], *, by: frozenset[str]) -> frozenset[str]:
    return frozenset(e for e in entries if not any(covers(other, e) for other in by))


def _of(entries: frozenset[str], *, keep: frozenset[str] = frozenset()) -> str:
    """'types Recon:* and X' ('type X' for one); an entry of `keep` inside one of them is its exception."""
    noun = "type" if len(entries) == 1 else "types"
    texts = []
    for entry in sorted(entries):
        exceptions = sorted(k for k in keep if k != entry and covers(entry, k))
        texts.append(f"{entry} (except {join_words(exceptions)})" if exceptions else entry)
    return f"{noun} {join_words(texts)}"


def filter_impacts(before: Mailed, after: Mailed) -> list[Impact]:
    """Finding types, repeat occurrences, sample findings and any other condition, before and after, in words
    (one line per change, however many rules carry it)."""
    if before.severities.is_empty() or after.severities.is_empty():
        return []  # alerts start or stop: the severity lines say so
    impacts: list[Impact] = []
    if before.types is not None and after.types is not None and before.types != after.types:
        if VARIES in (before.types, after.types):
            impacts.append(
                Impact(
                    Level.NOTE,
                    "Finding types change",
                    "the rules select different finding types after this change; read the plan.",
                )
            )
        else:
            impacts += types_impacts(before.types, after.types)
    return impacts + _occurrence_impacts(before, after) + _sample_impacts(before, after) + _other_impacts(before, after)


def _occurrence_impacts(before: Mailed, after: Mailed) -> list[Impact]:
    if (before.occurrence, after.occurrence) == (EVERY_OCCURRENCE, FIRST_OCCURRENCE):
        return [
            Impact(
                Level.LOSS,
                "Repeats no longer mailed",
                "repeat occurrences of a finding will no longer be mailed; only its first occurrence is.",
            )
        ]
    if (before.occurrence, after.occurrence) == (FIRST_OCCURRENCE, EVERY_OCCURRENCE):
        return [
            Impact(
                Level.GAIN,
                "Repeats mailed again",
                "repeat occurrences of a finding will be mailed again, each time GuardDuty publishes it anew, not "
                "only its first occurrence.",
            )
        ]
    if before.occurrence != after.occurrence and None not in (before.occurrence, after.occurrence):
        return [
            Impact(
                Level.NOTE,
                "Occurrences change",
                "the rules differ in which occurrences of a finding they mail after this change; read the plan.",
            )
        ]
    return []


def _sample_impacts(before: Mailed, after: Mailed) -> list[Impact]:
    if before.mails_samples and not after.mails_samples:
        return [
            Impact(
                Level.NOTE,
                "Sample findings no longer mailed",
                'sample findings (GuardDuty\'s "Generate sample findings", the way to test the alert path) will no '
                "longer be mailed.",
            )
        ]
    if after.mails_samples and not before.mails_samples:
        return [
            Impact(
                Level.NOTE,
                "Sample findings mailed",
                'sample findings (GuardDuty\'s "Generate sample findings") will now be mailed too.',
            )
        ]
    return []


def _other_impacts(before: Mailed, after: Mailed) -> list[Impact]:
    impacts = []
    for key in sorted(set(before.others) | set(after.others)):
        was, now = before.others.get(key, frozenset({""})), after.others.get(key, frozenset({""}))
        if was != now:
            impacts.append(
                Impact(
                    Level.NOTE,
                    "Finding filter changed",
                    f"findings are filtered on `{key}`: until now {condition_words(was)}; after this change "
                    f"{condition_words(now)}.",
                )
            )
    return impacts

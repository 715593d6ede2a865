""" "Did you mean ...?": the known names closest to a misspelled one, by edit distance.

Damerau-Levenshtein distance (insert, delete, substitute, swap two neighbours: 1 each), with a substitution of
look-alike characters (l and 1, O and 0, S and 5, a letter in the other case) at half the cost: `us-east-l` is
`us-east-1` misread, not `us-east-2`. Only names within a distance that grows with the length are offered, and
every name at the smallest distance is (a tie is not broken by chance); none when nothing is close.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["closest", "did_you_mean", "distance"]

_LOOK_ALIKE = {frozenset(pair) for pair in ("l1", "I1", "i1", "O0", "o0", "S5", "s5", "Z2", "z2", "B8")}
_MOST_OFFERED = 3


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a.lower() == b.lower() or frozenset((a, b)) in _LOOK_ALIKE:
        return 0.5
    return 1.0


def distance(a: str, b: str) -> float:
    """Edit distance from `a` to `b` (optimal string alignment, look-alike substitutions at 0.5)."""
    rows = [[float(i + j) if i == 0 or j == 0 else 0.0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            rows[i][j] = min(
                rows[i - 1][j] + 1,
                rows[i][j - 1] + 1,
                rows[i - 1][j - 1] + _substitution(a[i - 1], b[j - 1]),
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


def _reach(word: str) -> float:
    # One edit for short words, two from 5 characters, three from 13: a third of a short word changed is
    # another word, not a typo.
    return 1.0 if len(word) < 5 else (2.0 if len(word) < 13 else 3.0)


def closest(word: str, known: Iterable[str]) -> list[str]:
    """The known names nearest to `word` within reach, best first and in name order at a tie (at most 3)."""
    if len(word) > 64:  # no name is that long; the table would cost more than it tells
        return []
    scored = sorted((distance(word, name), name) for name in set(known) if name != word)
    if not scored or scored[0][0] > _reach(word):
        return []
    best = scored[0][0]
    return [name for score, name in scored if score == best][:_MOST_OFFERED]


def did_you_mean(word: object, known: Iterable[str]) -> str:
    """` (did you mean X?)`, ` (did you mean X or Y?)`, or "" when nothing is close."""
    names = closest(word, known) if isinstance(word, str) else []
    if not names:
        return ""
    choices = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" (did you mean {choices}?)"

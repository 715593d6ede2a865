"""The plan summary's event-pattern reading at its edges (plan_summary/severities.py and matchers.py): which
matchers it evaluates, which it refuses (UninterpretablePattern: the summary then says "read the plan"), and the
words it gives. EventBridge's matcher syntax: EventBridge User Guide, "Creating event patterns" (numeric
matching takes one or two comparisons; `anything-but`, `prefix`, `exists`, `wildcard`).
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html"""

from __future__ import annotations

from typing import Any

import pytest
from guardduty_alerts_review.plan_summary.matchers import (
    EVERY_OCCURRENCE,
    FIRST_OCCURRENCE,
    NOT_SAMPLE,
    SAMPLE,
    SeveritySet,
    TypeSelection,
    UninterpretablePattern,
    covers,
    describe_condition,
    describe_severities,
    is_finding_pattern,
    join_words,
    occurrences,
    other_conditions,
    resource_conditions,
    sample_kinds,
    severity_filter,
    threshold_label,
    type_selection,
)


def _severity(*matchers: object) -> dict[str, Any]:
    return {"detail": {"severity": list(matchers)}}


@pytest.mark.parametrize(
    ("pattern", "ranges"),
    [
        ({}, [(1.0, True, 10.0, True)]),  # no severity condition: every score
        (_severity({"numeric": [">=", 7]}), [(7.0, True, 10.0, True)]),
        (_severity({"numeric": [">", 7]}), [(7.0, False, 10.0, True)]),
        (_severity({"numeric": ["<", 4]}), [(1.0, True, 4.0, False)]),
        (_severity({"numeric": ["<=", 4]}), [(1.0, True, 4.0, True)]),
        (_severity({"numeric": ["=", 5]}), [(5.0, True, 5.0, True)]),
        (_severity({"numeric": [">=", 4, "<", 7]}), [(4.0, True, 7.0, False)]),
        (_severity(5, 8.5), [(5.0, True, 5.0, True), (8.5, True, 8.5, True)]),
        (_severity({"exists": True}), [(1.0, True, 10.0, True)]),
        (_severity({"anything-but": 5}), [(1.0, True, 5.0, False), (5.0, False, 10.0, True)]),
        (
            _severity({"anything-but": [5, 8]}),
            [(1.0, True, 5.0, False), (5.0, False, 8.0, False), (8.0, False, 10.0, True)],
        ),
        (_severity({"numeric": [">=", 0]}), [(1.0, True, 10.0, True)]),  # clipped to GuardDuty's 1.0-10.0
        (_severity({"numeric": [">", 10]}), []),
        (_severity(), []),  # an empty list matches nothing
    ],
)
def test_severity_matchers_are_evaluated_as_ranges(pattern: dict[str, Any], ranges: list[tuple]) -> None:
    assert severity_filter(pattern).ranges() == ranges


@pytest.mark.parametrize(
    "pattern",
    [
        {"detail": {"severity": {"numeric": [">=", 7]}}},  # not a list
        _severity({"numeric": [">=", 4, "<"]}),  # three elements
        _severity({"numeric": [">=", 4, "<", 7, "<", 8]}),  # six elements
        _severity({"numeric": [4, 7, 9]}),  # numbers without operators: not a list of values to exclude
        _severity({"equals-ignore-case": [7]}),
        _severity({"numeric": ["!=", 4]}),
        _severity({"numeric": [">=", "4"]}),
        _severity({"numeric": [">=", True]}),  # a boolean is no number
        _severity({"numeric": [">=", float("inf")]}),
        _severity(float("nan")),
        _severity({"exists": False}),
        _severity({"anything-but": ["5"]}),
        _severity({"prefix": "7"}),
        _severity({"numeric": [">=", 7], "exists": True}),  # two keys in one matcher
        _severity("HIGH"),
    ],
)
def test_rejects_severity_matchers_it_does_not_evaluate(pattern: dict[str, Any]) -> None:
    with pytest.raises(UninterpretablePattern):
        severity_filter(pattern)


@pytest.mark.parametrize(
    ("matchers", "threshold"),
    [
        ([{"numeric": [">=", 7]}], 7.0),
        ([{"numeric": [">", 7]}], None),  # 7 itself excluded: not "this score and above"
        ([{"numeric": [">=", 4, "<", 7]}], None),
        ([{"numeric": [">=", 4, "<", 7]}, {"numeric": [">=", 7]}], 4.0),  # adjacent ranges merge
        ([], None),
    ],
)
def test_threshold_is_the_lowest_score_of_an_open_ended_set(matchers: list, threshold: float | None) -> None:
    assert severity_filter(_severity(*matchers)).threshold() == threshold


def test_set_algebra_and_equality() -> None:
    high = severity_filter(_severity({"numeric": [">=", 7]}))
    medium = severity_filter(_severity({"numeric": [">=", 4, "<", 7]}))
    both = high | medium
    assert both.ranges() == [(4.0, True, 10.0, True)]
    assert (both - high).same_as(medium)
    assert not both.same_as(high)
    assert (high - high).is_empty()
    assert SeveritySet.empty().is_empty() and not SeveritySet.everything().is_empty()


@pytest.mark.parametrize(
    ("matchers", "words"),
    [
        ([{"numeric": [">=", 7]}], "HIGH and CRITICAL findings (severity 7.0 to 10.0)"),
        ([{"numeric": [">=", 9]}], "CRITICAL findings (severity 9.0 to 10.0)"),
        ([{"numeric": [">=", 1]}], "LOW, MEDIUM, HIGH and CRITICAL findings (severity 1.0 to 10.0)"),
        ([{"numeric": [">", 7]}], "findings of severity above 7.0 to 10.0 (CRITICAL and part of HIGH)"),
        ([{"numeric": [">=", 7.25]}], "findings of severity 7.25 to 10.0 (CRITICAL and part of HIGH)"),
        ([5], "findings of severity exactly 5.0 (part of MEDIUM)"),
        (
            [{"numeric": ["<", 4]}, {"numeric": [">", 7]}],
            "findings of severity 1.0 to below 4.0, above 7.0 to 10.0 (LOW, CRITICAL and part of HIGH)",
        ),
        ([], "no findings"),
    ],
)
def test_severities_in_words_name_whole_and_partial_bands(matchers: list, words: str) -> None:
    assert describe_severities(severity_filter(_severity(*matchers))) == words


@pytest.mark.parametrize(
    ("score", "label"),
    [(7.0, "HIGH (7.0)"), (7.5, "7.5 (within HIGH)"), (1.0, "LOW (1.0)"), (8.95, "8.95 (within HIGH)")],
)
def test_threshold_label_names_the_band(score: float, label: str) -> None:
    assert threshold_label(score) == label


@pytest.mark.parametrize(
    ("words", "joined"), [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")]
)
def test_join_words(words: list[str], joined: str) -> None:
    assert join_words(words) == joined


@pytest.mark.parametrize(
    ("pattern", "finding"),
    [
        ({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}, True),
        ({"source": ["aws.guardduty"]}, True),  # no detail-type condition: findings included
        ({"source": ["aws.guardduty", "aws.securityhub"], "detail-type": ["GuardDuty Finding", "X"]}, True),
        ({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Malware Protection Object Scan Result"]}, False),
        ({"source": "aws.guardduty"}, False),  # not a list: not a valid pattern
        ({"source": ["aws.guardduty"], "detail-type": "GuardDuty Finding"}, False),
        ({"source": ["aws.securityhub"]}, False),
        ({}, False),
        (["aws.guardduty"], False),
        (None, False),
    ],
)
def test_is_finding_pattern(pattern: object, finding: bool) -> None:
    assert is_finding_pattern(pattern) is finding


def _types(*matchers: object) -> dict[str, Any]:
    return {"detail": {"type": list(matchers)}}


@pytest.mark.parametrize(
    ("pattern", "selection"),
    [
        ({}, TypeSelection()),
        (
            _types("Recon:EC2/PortProbeUnprotectedPort"),
            TypeSelection(include=frozenset({"Recon:EC2/PortProbeUnprotectedPort"})),
        ),
        (_types({"prefix": "Recon:"}, "X"), TypeSelection(include=frozenset({"Recon:*", "X"}))),
        (_types({"anything-but": "X"}), TypeSelection(exclude=frozenset({"X"}))),
        (_types({"anything-but": [{"prefix": "Recon:"}, "X"]}), TypeSelection(exclude=frozenset({"Recon:*", "X"}))),
        (_types({"anything-but": {"wildcard": "Recon:*"}}), TypeSelection(exclude=frozenset({"Recon:*"}))),
        (_types({"anything-but": {"wildcard": ["A*", "B"]}}), TypeSelection(exclude=frozenset({"A*", "B"}))),
    ],
)
def test_type_conditions_read_as_included_or_excluded_types(pattern: dict[str, Any], selection: TypeSelection) -> None:
    assert type_selection(pattern) == selection


@pytest.mark.parametrize(
    "pattern",
    [
        {"detail": {"type": "X"}},
        _types(),
        _types({"wildcard": "Recon:*"}),  # a wildcard reads as a type only when negated
        _types({"anything-but": {"wildcard": "Re*on:*"}}),  # a star inside is no prefix
        _types({"suffix": "/TorClient"}),
        _types({"prefix": 1}),
        _types(1),
    ],
)
def test_rejects_type_conditions_it_does_not_read(pattern: dict[str, Any]) -> None:
    with pytest.raises(UninterpretablePattern, match=r"^type$"):
        type_selection(pattern)


def test_type_selection_phrases() -> None:
    assert TypeSelection().phrase() == "" and TypeSelection().every_type
    assert TypeSelection(include=frozenset({"X"})).phrase() == " of type X only"
    assert TypeSelection(include=frozenset({"Y", "X"})).phrase() == " of types X and Y only"
    assert TypeSelection(exclude=frozenset({"Recon:*"})).phrase() == " of every type except Recon:*"
    assert not TypeSelection(exclude=frozenset({"X"})).every_type


@pytest.mark.parametrize(
    ("entry", "other", "covered"),
    [
        ("X", "X", True),
        ("Recon:*", "Recon:EC2/Port", True),
        ("Recon:*", "Recon:EC2*", True),
        ("Recon:EC2*", "Recon:*", False),
        ("Recon:EC2/Port", "Recon:*", False),
        ("Recon", "Recon:EC2/Port", False),  # no star: an exact type, not a prefix
        ("Recon:*", "Backdoor:EC2/X", False),
        # The star is dropped, not the character before it: prefix "...B!" covers the DNS variant only.
        ("CryptoCurrency:EC2/BitcoinTool.B!*", "CryptoCurrency:EC2/BitcoinTool.B!DNS", True),
        ("CryptoCurrency:EC2/BitcoinTool.B!*", "CryptoCurrency:EC2/BitcoinTool.B", False),
        # Only the other entry's trailing star is its prefix mark: prefix "Recon:*" (a literal star, as
        # {"prefix": "Recon:*"} reads) does not cover every "Recon:" type.
        ("Recon:**", "Recon:*", False),
        ("Recon:**", "Recon:**", True),
    ],
)
def test_a_prefix_covers_what_starts_with_it(entry: str, other: str, covered: bool) -> None:
    assert covers(entry, other) is covered


def _sample(*matchers: object) -> dict[str, Any]:
    return {"detail": {"service": {"additionalInfo": {"sample": list(matchers)}}}}


@pytest.mark.parametrize(
    ("pattern", "kinds"),
    [
        ({}, {SAMPLE, NOT_SAMPLE}),
        (_sample(True), {SAMPLE}),
        (_sample(False), {NOT_SAMPLE}),
        (_sample(False, {"exists": False}), {NOT_SAMPLE}),
        (_sample({"exists": True}), {SAMPLE, NOT_SAMPLE}),
        (_sample(True, False), {SAMPLE, NOT_SAMPLE}),
        (_sample(), set()),
    ],
)
def test_sample_flag_conditions(pattern: dict[str, Any], kinds: set[str]) -> None:
    assert sample_kinds(pattern) == kinds


@pytest.mark.parametrize(
    "pattern",
    [_sample("true"), _sample({"prefix": "t"}), {"detail": {"service": {"additionalInfo": {"sample": True}}}}],
)
def test_rejects_sample_conditions_it_does_not_read(pattern: dict[str, Any]) -> None:
    with pytest.raises(UninterpretablePattern, match=r"^sample flag$"):
        sample_kinds(pattern)


def _count(*matchers: object) -> dict[str, Any]:
    return {"detail": {"service": {"count": list(matchers)}}}


@pytest.mark.parametrize(
    ("pattern", "occurrence"),
    [
        ({}, EVERY_OCCURRENCE),
        (_count(1), FIRST_OCCURRENCE),
        (_count({"numeric": ["=", 1]}), FIRST_OCCURRENCE),
        (_count({"numeric": ["<", 2]}), FIRST_OCCURRENCE),
        (_count({"numeric": [">=", 1]}), EVERY_OCCURRENCE),
        (_count({"exists": True}), EVERY_OCCURRENCE),
        (_count({"numeric": [">", 0]}), EVERY_OCCURRENCE),  # counts start at 1
        (_count(1, {"numeric": [">=", 2]}), EVERY_OCCURRENCE),
        (_count({"numeric": ["<", 1.5]}), FIRST_OCCURRENCE),  # no count between 1 and 2
        (_count({"numeric": [">", 0, "<", 2]}), FIRST_OCCURRENCE),
    ],
)
def test_occurrence_conditions(pattern: dict[str, Any], occurrence: str) -> None:
    assert occurrences(pattern) == occurrence


@pytest.mark.parametrize(
    "pattern",
    [
        _count(2),  # only the second occurrence: neither every one nor the first only
        _count({"numeric": ["<", 3]}),  # first and second
        _count({"numeric": [">=", 2]}),  # repeats only
        # Each of these lets the first occurrence through and some repeats, not all: neither reading fits.
        _count(1, {"numeric": [">=", 3]}),  # all but the second
        _count(1, 2, {"numeric": [">=", 1000]}),  # not the 3rd to 999th
        _count({"numeric": [">=", 1, "<=", 1000]}),  # not past the 1000th
        _count(1, {"numeric": [">", 1000]}),  # the first and past the 1000th
        _count(1, {"numeric": ["=", 11]}),
        _count(1, {"numeric": [">", 10, "<", 12]}),  # the 11th: the one count just past a matcher number
        _count({"anything-but": 5}),  # all but the fifth
        {"detail": {"service": {"count": 1}}},
    ],
)
def test_rejects_occurrence_conditions_that_are_neither_every_nor_first(pattern: dict[str, Any]) -> None:
    with pytest.raises(UninterpretablePattern, match=r"^occurrence count$"):
        occurrences(pattern)


def test_other_and_resource_conditions_are_told_apart() -> None:
    pattern = {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "account": ["111111111111"],
        "detail": {
            "severity": [{"numeric": [">=", 7]}],
            "region": ["eu-west-1"],
            "resource": {"resourceType": ["Instance"]},
            "service": {"count": [1], "additionalInfo": {"sample": [False]}},
        },
    }
    assert other_conditions(pattern) == {"account": ["111111111111"], "detail.region": ["eu-west-1"]}
    assert resource_conditions(pattern) == '{"detail.resource.resourceType": ["Instance"]}'
    assert resource_conditions({"detail": {"region": ["x"]}}) == ""


def test_resource_conditions_read_the_same_whatever_the_key_order() -> None:
    # Rules are compared by this text: the same `$or` alternatives written in another key order are the same
    # condition (EventBridge User Guide, "Creating event patterns": `$or` takes a list of patterns).
    first = {"detail": {"resource": {"$or": [{"resourceType": ["Instance"], "accessKeyDetails": {"exists": True}}]}}}
    second = {"detail": {"resource": {"$or": [{"accessKeyDetails": {"exists": True}, "resourceType": ["Instance"]}]}}}
    expected = '{"detail.resource.$or": [{"accessKeyDetails": {"exists": true}, "resourceType": ["Instance"]}]}'
    assert resource_conditions(first) == expected
    assert resource_conditions(second) == expected


@pytest.mark.parametrize(
    ("matchers", "words"),
    [
        (["a", "b"], "is a or is b"),
        ([7, 1.5, True, None], "is 7 or is 1.5 or is true or is null"),
        ([False], "is false"),
        ([{"anything-but": [False, 0]}], "not (is false or is 0)"),
        ([{"exists": True}], "is present"),
        ([{"exists": False}], "is absent"),
        ([{"prefix": "arn:"}], "starts with arn:"),
        ([{"suffix": ".com"}], "ends with .com"),
        ([{"wildcard": "a*b"}], "matches a*b"),
        ([{"equals-ignore-case": "Prod"}], "is Prod (any case)"),
        ([{"numeric": [">", 0, "<=", 5]}], "> 0 and <= 5"),
        ([{"anything-but": ["a", "b"]}], "not (is a or is b)"),
        ([{"anything-but": {"prefix": "test-"}}], "not (starts with test-)"),
        ([{"cidr": "10.0.0.0/8"}], "uses a matcher this summary does not read"),
        ([{"prefix": "a", "suffix": "b"}], "uses a matcher this summary does not read"),
        ([], "matches nothing"),
        ("a", "uses a matcher this summary does not read"),
    ],
)
def test_any_other_condition_in_words(matchers: object, words: str) -> None:
    assert describe_condition(matchers) == words

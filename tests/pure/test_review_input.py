"""Issue 19, part 1, in the review tools: JSON nesting is bounded, and a reply that is not AWS's is one error
naming the endpoint, while a bug keeps its traceback."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.parsers import ResponseParserError
from guardduty_alerts.errors import EndpointError
from guardduty_alerts_review.json_input import MAX_JSON_DEPTH, parse_json
from guardduty_alerts_review.verify.aws import call


def test_accepts_json_nested_up_to_the_limit() -> None:
    text = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    expected: list = []
    for _ in range(MAX_JSON_DEPTH - 1):
        expected = [expected]
    # The whole structure, not merely "something": a parser that stopped early would return less.
    assert parse_json(text) == expected


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (MAX_JSON_DEPTH + 1, "nested 101 levels deep, more than 100"),
        (100_000, "nested more than 100 levels deep"),  # beyond what Python's parser can recurse
    ],
)
def test_rejects_json_nested_deeper_than_the_limit(depth: int, expected: str) -> None:
    with pytest.raises(ValueError, match=f"^{expected}$"):
        parse_json("[" * depth + "]" * depth)


class _Client:
    """Just enough of a botocore client for `call`: its endpoint, service and one operation."""

    def __init__(self, failure: Exception) -> None:
        self.meta = SimpleNamespace(
            endpoint_url="http://127.0.0.1:9",
            service_model=SimpleNamespace(service_name="guardduty"),
            method_to_api_mapping={"list_detectors": "ListDetectors"},
        )
        self._failure = failure

    def list_detectors(self) -> dict:
        raise self._failure


def test_rejects_reply_botocore_cannot_parse_naming_the_endpoint() -> None:
    with pytest.raises(EndpointError) as caught:
        call(_Client(ResponseParserError("Unable to parse response, invalid JSON")), "list_detectors")
    assert caught.value.problems == (
        "http://127.0.0.1:9 answered guardduty:ListDetectors with a reply that is not AWS's (ResponseParserError: "
        "Unable to parse response, invalid JSON); allowed: AWS, or an emulator of it (moto), as "
        "provider.endpoint_url or AWS_ENDPOINT_URL",
    )


def test_a_key_error_outside_botocores_parser_is_a_bug_and_keeps_its_traceback() -> None:
    with pytest.raises(KeyError, match="not from a reply"):
        call(_Client(KeyError("not from a reply")), "list_detectors")

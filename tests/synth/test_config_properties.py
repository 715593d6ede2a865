"""Property-based test of the configuration file (issue 19): for generated configurations, valid ones and
hostile values in every position (names, URLs, ARNs, addresses, thresholds, nested lists and maps, numbers
with nan, inf and huge values), `main.py synth` either succeeds with every generated name within AWS's limit and
unique in its scope, or exits 2 with one bounded message, no traceback, and the output folder untouched.

In-process (`guardduty_alerts_app.cli.main`) for speed; derandomized and without an example database, so CI
runs the same examples every time.

Hostile structures are generated too: keys that are not text, nesting deeper than the loader allows, YAML aliases
(a channel written twice as one object), unquoted template placeholders written into the file, and a
channel's own `finding_types`.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from generated_names import name_problems
from guardduty_alerts.regions import ALL_REGIONS
from guardduty_alerts.suppression import FILTER_FIELDS, OPERATORS
from guardduty_alerts_app.cli import main
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

# About 8 KB: one message naming every problem of a small document, never a traceback or a dump.
MAX_MESSAGE_BYTES = 8 * 1024

HOSTILE_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "\n",
            "name\n",
            "a\tb",
            "\x00",
            "\u202egnirts",
            "{{ env.NAME }}",
            "${var.secret}",
            "%(x)s",
            "../../etc/passwd",
            "null",
            "~",
            "x" * 300,
            "https://user:secret@hooks.example.com/x",
            "https://hooks.example.com:99999/x",
            "https://127.0.0.1/x",
            "http://hooks.example.com/x",
            "https://hooks.example.com/x\n",
            "arn:aws-cn:sqs:us-east-1:123456789012:q",
            "arn:aws:sqs:us-east-1:123456789012:q\n",
            "arn:aws:sqs:us-east-1:12345:q",
            "arn:aws:sns:us-east-1:123456789012:q",
            "HIGH",
            "typ",
        ]
    ),
)
HOSTILE_NUMBER = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1, 0, 10**30, 2**63, 0.1, 7.123456789]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
)
SCALAR = st.one_of(st.none(), st.booleans(), HOSTILE_TEXT, HOSTILE_NUMBER)
KEY = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
STRUCTURE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=3),
    max_leaves=8,
)


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


# Around the loader's nesting limit (32) and far beyond it.
DEEP = st.sampled_from([5, 31, 32, 33, 200]).map(_nested)


def hostile() -> st.SearchStrategy[Any]:
    return st.one_of(HOSTILE_TEXT, HOSTILE_NUMBER, STRUCTURE, DEEP)


NAME = st.from_regex(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", fullmatch=True)
CHANNEL_NAME = st.from_regex(r"[a-z][a-z0-9-]{0,30}[a-z0-9]", fullmatch=True)
ADDRESS = st.sampled_from(["security@example.com", "oncall@example.com", "SOC+alerts@example.org"])
THRESHOLD = st.one_of(st.sampled_from(["LOW", "MEDIUM", "HIGH", "CRITICAL"]), st.floats(1.0, 10.0))
URL = st.sampled_from(["https://events.pagerduty.com/integration/abc/enqueue", "https://hooks.example.com/guardduty"])


@st.composite
def documents(draw: st.DrawFn, *, hostile_values: bool) -> dict[str, Any]:
    """A configuration document; with `hostile_values`, about one value in four is replaced by anything."""

    def either(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(valid, valid, valid, hostile()) if hostile_values else valid

    regions = draw(st.lists(st.sampled_from(ALL_REGIONS), min_size=1, max_size=2, unique=True))
    queue = st.sampled_from(regions).map(lambda region: f"arn:aws:sqs:{region}:123456789012:intake")
    types = st.lists(
        st.sampled_from(["Recon:", "UnauthorizedAccess:EC2/", "Trojan:EC2/DropPoint!DNS"]), min_size=1, max_size=2
    )
    finding_types = st.sampled_from(["include", "exclude"]).flatmap(lambda key: st.fixed_dictionaries({key: types}))
    common = {
        "name": either(CHANNEL_NAME),
        "severity_threshold": either(THRESHOLD),
        "finding_types": either(finding_types),
    }
    channel = st.one_of(
        st.fixed_dictionaries({"kind": st.just("webhook"), "url": either(URL)}, optional=common),
        st.fixed_dictionaries({"kind": st.just("sqs"), "queue_arn": either(queue)}, optional=common),
        st.fixed_dictionaries(
            {
                "kind": st.just("slack_webhook"),
                "url_ssm_parameter": either(CHANNEL_NAME.map(lambda name: f"/security/{name}")),
            },
            optional=common,
        ),
        st.fixed_dictionaries(
            {"kind": st.just("email"), "addresses": st.lists(either(ADDRESS), min_size=1, max_size=2)}, optional=common
        ),
    )
    criterion = st.dictionaries(
        st.sampled_from(OPERATORS),
        st.one_of(
            THRESHOLD.filter(lambda value: not isinstance(value, str)),
            st.lists(st.text("abc:/", max_size=10), min_size=1, max_size=2),
        ),
        min_size=1,
        max_size=1,
    )
    suppression_rule = st.fixed_dictionaries(
        {
            "name": either(st.from_regex(r"[a-z][a-z0-9-]{2,63}", fullmatch=True)),
            "criteria": either(
                st.dictionaries(
                    st.one_of(st.sampled_from(sorted(FILTER_FIELDS)), HOSTILE_TEXT, KEY)
                    if hostile_values
                    else st.sampled_from(sorted(FILTER_FIELDS)),
                    either(criterion),
                    min_size=1,
                    max_size=2,
                )
            ),
        }
    )
    document: dict[str, Any] = {"regions": draw(either(st.just(regions)))}
    optional = {
        "name": either(NAME),
        "recipients": st.lists(either(ADDRESS), min_size=1, max_size=2, unique=not hostile_values),
        "severity_threshold": either(THRESHOLD),
        "channels": st.lists(channel, min_size=1, max_size=3),
        "suppression_rules": st.lists(suppression_rule, max_size=2),
        "subject_formatter": either(st.booleans()),
        "delivery": st.fixed_dictionaries(
            {},
            optional={
                "maximum_event_age_seconds": either(st.integers(60, 86400)),
                "maximum_retry_attempts": either(st.integers(0, 185)),
                "alarm_actions": either(st.just({regions[0]: [f"arn:aws:sns:{regions[0]}:123456789012:oncall"]})),
            },
        ),
        "tags": st.dictionaries(
            st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,9}", fullmatch=True), either(st.text(max_size=10)), max_size=2
        ),
    }
    for key, strategy in optional.items():
        # Valid documents always have recipients: "recipients or channels" is checked, not generated.
        if draw(st.booleans()) or (key == "recipients" and not hostile_values):
            document[key] = draw(strategy)
    if hostile_values and draw(st.integers(0, 9)) == 0:
        document[draw(st.sampled_from(["nmae", "recipient", "chanels"]))] = draw(hostile())
    if hostile_values and document.get("channels") and draw(st.integers(0, 4)) == 0:
        # The same object twice: yaml writes it once with an anchor, then an alias.
        document["channels"].append(document["channels"][0])
    return document


# Appended as written, unquoted: what a file that was meant to be rendered by a template engine holds.
RAW_TAILS = ["", "", "", "extra: {{ value }}\n", "recipients: [{{ address }}]\n", "{% if prod %}\nname: x\n"]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def _synth_and_check(root: Path, document: dict[str, Any], tail: str = "") -> int:
    """Synth `document` in-process; assert the property; the exit code."""
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True) + tail, encoding="utf-8")
    outdir = root / "cdktf.out"
    outdir.mkdir()
    (outdir / "previous-output").write_text("kept unless synth succeeds")
    before = _tree(outdir)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        # An exception escaping main() fails the test with its traceback: no input may cause one.
        code = main(["synth", "--config", str(config), "--outdir", str(outdir), "--state-dir", str(root / "state")])
    message = stderr.getvalue()
    event(f"exit {code}")
    assert code in (0, 2), message
    if code == 0:
        stacks = {
            path.parent.name: json.loads(path.read_text()) for path in sorted(outdir.glob("stacks/*/cdk.tf.json"))
        }
        assert stacks
        assert name_problems(stacks) == []
    else:
        assert message.startswith("error: ")
        assert len(message.encode()) <= MAX_MESSAGE_BYTES, message[:2000]
        assert "Traceback" not in message
        assert _tree(outdir) == before
    return code


PROFILE = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@settings(PROFILE, max_examples=40)
@given(document=documents(hostile_values=False))
def test_valid_documents_synthesize_with_every_name_within_its_limit_and_unique(
    tmp_path_factory: pytest.TempPathFactory, document: dict[str, Any]
) -> None:
    _synth_and_check(tmp_path_factory.mktemp("valid"), document)


@settings(PROFILE, max_examples=250)
@given(document=documents(hostile_values=True), tail=st.sampled_from(RAW_TAILS))
def test_hostile_documents_synthesize_or_exit_2_with_one_bounded_message(
    tmp_path_factory: pytest.TempPathFactory, document: dict[str, Any], tail: str
) -> None:
    _synth_and_check(tmp_path_factory.mktemp("hostile"), document, tail)

"""Issue 19, part 1, as a user meets it: every command given input it cannot use answers with one bounded
message and exit code 2, never a traceback, and leaves the output folder as it was."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from guardduty_alerts.errors import InvalidPropsError
from guardduty_alerts_app import cli
from helpers import EXAMPLE_CONFIG, REPO, run_main, tree_digest

BASE = "regions: [us-east-1]\nrecipients: [a@example.com]\n"
# Bounded: at most 20 problems of at most 600 characters, plus the headline and "… and N more".
MAX_STDERR = 20 * 610 + 200


def laughs(levels: int) -> str:
    lines = [BASE.rstrip("\n"), 'a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join([*lines, f"tags: *a{levels}"]) + "\n"


BAD_CONFIGS = {
    "template placeholder": (BASE + "name: {{ name }}\n", "line 3, column 8: {{ ... }} is a template placeholder"),
    "complex key": (BASE + "? [a, b]\n: 1\n", "line 3, column 3: a key is a list; allowed: keys that are text"),
    "nan threshold": (BASE + "severity_threshold: .nan\n", "severity_threshold: .nan is not a finite number"),
    "inf threshold": (BASE + "severity_threshold: .inf\n", "severity_threshold: .inf is not a finite number"),
    "deep nesting": (BASE + "tags: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 32 levels deep"),
    "billion laughs": (laughs(8), "line 12, column 7: alias *a8 stands for 435848050 values"),
    "ten megabyte list": (BASE + "".join(f"  - bad{i}\n" for i in range(1_000_000)), "larger than 1048576 bytes"),
    "user notifications only over two regions": (
        "regions: [us-east-1, eu-west-1]\nchannels: [{kind: user_notifications, addresses: [a@example.com]}]\n",
        "regions[1]: eu-west-1 has no recipients or channel of its own: user_notifications is configured in the "
        "us-east-1 stack (it notifies eu-west-1's findings from there), so the eu-west-1 stack would only run the "
        "detector, which no stack does on its own; allowed: recipients, a channel of another kind, or an sqs queue "
        "in eu-west-1; or leave eu-west-1 out of regions",
    ),
    # Checked by the construct while the stack is built, not by the configuration's schema or checks.
    "construct stage": (
        BASE
        + "subject_formatter: true\nchannels: [{kind: email, addresses: [b@example.com], severity_threshold: HIGH}]\n",
        "  - channels[0]: an email channel with its own severity_threshold or filters while subject_formatter is on",
    ),
    "sqs only over two regions": (
        "regions: [us-east-1, eu-west-1]\nchannels: [{kind: sqs, queue_arn: 'arn:aws:sqs:us-east-1:123456789012:q'}]\n",
        "regions[1]: eu-west-1 has no recipients or channel of its own: the sqs queues are in us-east-1, and a "
        "region's topic delivers to queues of its own region only; allowed: recipients, a channel of another kind, "
        "or an sqs queue in eu-west-1; or leave eu-west-1 out of regions",
    ),
}


@pytest.fixture
def previous_output(tmp_path: Path) -> Path:
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "guardduty-alerts-us-east-1").mkdir(parents=True)
    (outdir / "stacks" / "guardduty-alerts-us-east-1" / "cdk.tf.json").write_text('{"earlier": true}\n')
    (outdir / "manifest.json").write_text("{}\n")
    return outdir


def assert_bad_input(result: object, expected: str) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert len(result.stderr) < MAX_STDERR, len(result.stderr)
    assert expected in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_rejects_configuration_with_one_bounded_message(case: str, tmp_path: Path, previous_output: Path) -> None:
    text, expected = BAD_CONFIGS[case]
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    before = tree_digest(previous_output)
    result = run_main("synth", "--config", str(config), "--outdir", str(previous_output), cwd=tmp_path)
    assert_bad_input(result, expected)
    assert result.stderr.startswith(f"error: invalid configuration in {config}: 1 problem\n  - ")
    assert tree_digest(previous_output) == before


def test_rejects_list_of_twenty_thousand_bad_entries_with_twenty_problems_and_a_count(tmp_path: Path) -> None:
    config = tmp_path / "many.yaml"
    config.write_text("regions: [us-east-1]\nrecipients:\n" + "  - b\n" * 20_000)
    result = run_main("explain", "--config", str(config), cwd=tmp_path)
    assert_bad_input(result, "  … and 39979 more\n")
    assert result.stderr.count("\n  - ") == 20
    assert '  - recipients[0]: "b" is not allowed; allowed: one email address\n' in result.stderr


def test_rejects_missing_config_named_by_option_without_telling_to_pass_the_option(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    result = run_main("explain", "--config", str(missing), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: invalid configuration in {missing}: 1 problem\n"
        "  - file not found (named by --config); allowed: the path of an existing configuration file\n"
    )


def test_rejects_missing_default_config_saying_how_to_name_one(tmp_path: Path) -> None:
    result = run_main("explain", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: invalid configuration in config/guardduty-alerts.yaml: 1 problem\n"
        "  - file not found (the default path, read when neither --config nor $GUARDDUTY_ALERTS_CONFIG names a "
        "file); allowed: a configuration file there, or --config FILE or $GUARDDUTY_ALERTS_CONFIG naming one\n"
    )


def test_rejects_missing_preview_path_as_a_usage_error(tmp_path: Path) -> None:
    result = run_main("preview", str(tmp_path / "none.json"), "--config", str(EXAMPLE_CONFIG), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: invalid command line: 1 problem\n"
        f"  - {tmp_path / 'none.json'}: no such file or folder; allowed: a GuardDuty event (a JSON file) or a "
        "folder of them\n"
    )


DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_rejects_deeply_nested_event_file(tmp_path: Path) -> None:
    event = tmp_path / "deep.json"
    event.write_text(DEEP_JSON)
    result = run_main("preview", str(event), "--config", str(EXAMPLE_CONFIG), cwd=tmp_path)
    assert_bad_input(result, f"  - {event}: cannot be read as JSON (nested more than 100 levels deep)\n")


def test_rejects_deeply_nested_plan_file(tmp_path: Path) -> None:
    plan = tmp_path / "deep.json"
    plan.write_text("[" * 150 + "]" * 150)
    result = run_main("plan-summary", str(plan), cwd=tmp_path)
    assert_bad_input(
        result,
        f"  - {plan}: is not JSON (nested 150 levels deep, more than 100); allowed: the JSON that `terraform show "
        "-json PLANFILE` prints\n",
    )


def synth_output(folder: Path, terraform: str, manifest: str | None = None) -> Path:
    (folder / "stacks" / "a").mkdir(parents=True)
    default = '{"stacks": {"a": {"synthesizedStackPath": "stacks/a/cdk.tf.json"}}}'
    (folder / "manifest.json").write_text(manifest or default)
    (folder / "stacks" / "a" / "cdk.tf.json").write_text(terraform)
    return folder


def test_rejects_deeply_nested_manifest_in_changed_stacks(tmp_path: Path) -> None:
    base = synth_output(tmp_path / "base", "{}", manifest=DEEP_JSON)
    head = synth_output(tmp_path / "head", "{}")
    result = run_main("changed-stacks", "--base", str(base), "--outdir", str(head), cwd=tmp_path)
    assert_bad_input(result, f"  - --base {base}: manifest.json is not JSON (nested more than 100 levels deep)")


def test_rejects_deeply_nested_stack_in_changed_stacks(tmp_path: Path) -> None:
    base = synth_output(tmp_path / "base", "{}")
    head = synth_output(tmp_path / "head", DEEP_JSON)
    result = run_main("changed-stacks", "--base", str(base), "--outdir", str(head), cwd=tmp_path)
    assert_bad_input(result, f"{head / 'stacks' / 'a' / 'cdk.tf.json'} is not JSON (nested more than 100 levels deep)")


class _NotAws(http.server.BaseHTTPRequestHandler):
    """A web server that answers every request with a page: what a wrong endpoint_url port often reaches."""

    def do_POST(self) -> None:  # the name http.server calls
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>hello</body></html>")

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def not_aws_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotAws)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_rejects_verify_against_an_endpoint_that_is_not_aws(not_aws_endpoint: str, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(BASE + f"provider: {{endpoint_url: '{not_aws_endpoint}'}}\n")
    result = run_main(
        "verify",
        "--config",
        str(config),
        cwd=tmp_path,
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_CONFIG_FILE": "/dev/null"},
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr == (
        "error: not an AWS endpoint: 1 problem\n"
        f"  - {not_aws_endpoint} answered sts:GetCallerIdentity with a reply that is not AWS's (KeyError: "
        "'GetCallerIdentityResult'); allowed: AWS, or an emulator of it (moto), as provider.endpoint_url or "
        "AWS_ENDPOINT_URL\n"
    )


def test_construct_stage_error_names_the_configuration_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the construct refuses while stacks are built is reported as a problem of the file the props came from.
    from guardduty_alerts_app.stacks import synth

    def refuse(*args: object, **kwargs: object) -> list[str]:
        raise InvalidPropsError(["name: refused by the construct; allowed: something else"])

    monkeypatch.setattr(synth, "synth_to", refuse)
    code = cli.main(["synth", "--config", str(EXAMPLE_CONFIG), "--jobs", "2", "--outdir", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: invalid configuration in {EXAMPLE_CONFIG}: 1 problem\n"
        "  - name: refused by the construct; allowed: something else\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_bug_still_shows_its_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardduty_alerts_app.stacks import synth

    def bug(*args: object, **kwargs: object) -> list[str]:
        raise KeyError("a bug")

    monkeypatch.setattr(synth, "synth_to", bug)
    with pytest.raises(KeyError):
        cli.main(["synth", "--config", str(EXAMPLE_CONFIG), "--jobs", "2", "--outdir", str(tmp_path / "out")])


@pytest.mark.parametrize("where", ["top level", "account"])
def test_accepts_a_channels_own_finding_types(where: str, tmp_path: Path) -> None:
    # README, channels section: a channel may set finding_types for itself. main crashed on it (exit 1, a 28 KB
    # traceback ending PointerToNowhere: '/$defs/type_list').
    channel = "{kind: email, addresses: [b@example.com], finding_types: {include: ['Recon:']}}"
    config = tmp_path / "c.yaml"
    if where == "top level":
        config.write_text(BASE + f"channels: [{channel}]\n")
    else:
        config.write_text(BASE + f"accounts: [{{id: '123456789012', name: prod, channels: [{channel}]}}]\n")
    result = run_main("explain", "--config", str(config), cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("filters  finding types only Recon:*") == 1


def test_rejects_output_folders_that_are_files_before_reading_the_configuration(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("keep\n")
    result = run_main(
        "synth", "--config", str(EXAMPLE_CONFIG), "--outdir", str(a_file), "--state-dir", str(a_file), cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: invalid command line: 2 problems\n"
        f"  - --outdir {a_file}: is a file; allowed: a folder (created when missing)\n"
        f"  - --state-dir {a_file}: is a file; allowed: a folder (created when missing)\n"
    )
    assert a_file.read_text() == "keep\n"


# Terraform's JSON plan format ("JSON Output Format", developer.hashicorp.com/terraform/internals/json-format):
# resource_changes is a list of objects whose `change` is an object with an `actions` array of strings.
PLAN = '{"format_version": "1.2", "planned_values": {}, "resource_changes": %s, "configuration": %s}'


@pytest.mark.parametrize(
    ("changes", "configuration", "expected"),
    [
        ('[{"change": 5}]', "{}", "resource_changes is not a list of changes"),
        ('[{"change": {"actions": 5}}]', "{}", "resource_changes is not a list of changes"),
        ('[{"change": {"actions": ["create"]}, "type": 7}]', "{}", "resource_changes is not a list of changes"),
        ("[]", "5", "configuration is not a mapping with root_module and provider_config mappings"),
        (
            "[]",
            '{"provider_config": []}',
            "configuration is not a mapping with root_module and provider_config mappings",
        ),
    ],
)
def test_rejects_plan_of_the_wrong_shape(changes: str, configuration: str, expected: str, tmp_path: Path) -> None:
    plan = tmp_path / "stack.json"
    plan.write_text(PLAN % (changes, configuration))
    result = run_main("plan-summary", str(plan), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: unusable plan file: 1 problem\n"
        f"  - {plan}: {expected}; allowed: the JSON that `terraform show -json PLANFILE` prints\n"
    )


def test_rejects_plan_summary_output_that_cannot_be_written(tmp_path: Path) -> None:
    plan = tmp_path / "stack.json"
    plan.write_text(PLAN % ("[]", "{}"))
    # A missing folder is created; a folder that is a file cannot be.
    target = plan / "summary.md"
    result = run_main("plan-summary", str(plan), "--output", str(target), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: invalid command line: 1 problem\n"
        f"  - --output {target}: cannot be written (File exists); allowed: a file path whose folder can be created\n"
    )

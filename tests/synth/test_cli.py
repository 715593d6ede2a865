"""main.py as a user runs it: bad input is one message and exit 2, output is deterministic and matches the
committed golden file, the output folder is replaced whole or not at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from guardduty_alerts_app.config import AlertsConfig
from guardduty_alerts_app.stacks.synth import synth_to
from helpers import EXAMPLE_CONFIG, GOLDEN, REPO, run_main, tree_digest


@pytest.fixture
def previous_output(tmp_path: Path) -> Path:
    """An output folder holding an earlier synth and an initialised stack, as a user's would."""
    outdir = tmp_path / "cdktf.out"
    stack = outdir / "stacks" / "guardduty-alerts-us-east-1"
    (stack / ".terraform").mkdir(parents=True)
    (stack / "cdk.tf.json").write_text('{"earlier": true}\n')
    (stack / ".terraform" / "marker").write_text("initialised\n")
    (outdir / "manifest.json").write_text("{}\n")
    return outdir


BAD_CONFIGS = {
    "unknown key": ("regions: [us-east-1]\nrecipients: [a@example.com]\ncolour: red\n", "colour: unknown key"),
    "bad email": ("regions: [us-east-1]\nrecipients: [nobody]\n", 'recipients[0]: "nobody" is not allowed'),
    "severity 0": ("regions: [us-east-1]\nrecipients: [a@example.com]\nseverity_threshold: 0\n", "severity_threshold: 0 is not allowed"),
    "severity 11": ("regions: [us-east-1]\nrecipients: [a@example.com]\nseverity_threshold: 11\n", "severity_threshold: 11 is not allowed"),
    "severity SEVERE": ("regions: [us-east-1]\nrecipients: [a@example.com]\nseverity_threshold: SEVERE\n", 'severity_threshold: "SEVERE" is not allowed'),
    "empty recipients": ("regions: [us-east-1]\nrecipients: []\n", "recipients: the list is empty"),
    "unknown region": ("regions: [us-north-9]\nrecipients: [a@example.com]\n", 'regions[0]: "us-north-9" is not an AWS region'),
    "duplicate region": ("regions: [us-east-1, us-east-1]\nrecipients: [a@example.com]\n", 'regions[1]: "us-east-1" repeats regions[0]'),
    "bad frequency": (
        "regions: [us-east-1]\nrecipients: [a@example.com]\ndetector: {finding_publishing_frequency: DAILY}\n",
        'detector.finding_publishing_frequency: "DAILY" is not allowed; allowed: one of FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS',
    ),
    "malformed yaml": ("regions: [us-east-1\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_rejects_bad_configuration_with_one_message_and_exit_2(case: str, tmp_path: Path, previous_output: Path) -> None:
    text, expected = BAD_CONFIGS[case]
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    before = tree_digest(previous_output)
    result = run_main("--config", str(config), "--outdir", str(previous_output), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: invalid configuration in {config}: 1 problem\n  - ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(previous_output) == before, "a rejected configuration must leave cdktf.out as it was"


def test_rejects_missing_file_named_by_environment(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = run_main(cwd=tmp_path, env={"GUARDDUTY_ALERTS_CONFIG": str(missing)})
    assert result.returncode == 2
    assert result.stderr == (
        f"error: invalid configuration in {missing}: 1 problem\n"
        "  - file not found (named by $GUARDDUTY_ALERTS_CONFIG); allowed: the path of an existing configuration file\n"
    )
    assert not (tmp_path / "cdktf.out").exists()


def test_rejects_unknown_command_through_argparse(tmp_path: Path) -> None:
    result = run_main("deploy-everything", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice: 'deploy-everything'" in result.stderr
    assert "Traceback" not in result.stderr


def test_synth_matches_golden_file_and_is_byte_identical_across_processes(
    example_config: AlertsConfig, tmp_path: Path
) -> None:
    """The CLI in a fresh interpreter and `synth_to` in this one give the same bytes, equal to the golden file.

    Regenerate the golden file on purpose with UPDATE_GOLDEN=1 and review the diff: it is what Terraform sees.
    """
    (tmp_path / "cli").mkdir()
    cli_out = tmp_path / "cli" / "cdktf.out"
    result = run_main("--config", str(EXAMPLE_CONFIG), "--outdir", str(cli_out), "--state-dir", str(tmp_path / "cli"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "no banner or warning on a clean synth"
    assert result.stdout.splitlines() == [
        f"synthesized {cli_out}/stacks/guardduty-alerts-eu-west-1/cdk.tf.json",
        f"synthesized {cli_out}/stacks/guardduty-alerts-us-east-1/cdk.tf.json",
    ]
    (tmp_path / "lib").mkdir()
    lib_out = tmp_path / "lib" / "cdktf.out"
    synth_to(example_config, lib_out, state_dir=tmp_path / "lib")
    assert tree_digest(cli_out) == tree_digest(lib_out)

    produced = (cli_out / "stacks" / "guardduty-alerts-us-east-1" / "cdk.tf.json").read_text()
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(produced)
    assert produced == GOLDEN.read_text(), "synthesized stack differs from tests/golden; see the docstring"


def test_resynth_replaces_generated_files_keeps_terraform_folders_and_drops_removed_stacks(
    example_config: AlertsConfig, previous_output: Path
) -> None:
    stale = previous_output / "stacks" / "guardduty-alerts-ap-south-1"
    stale.mkdir()
    (stale / "cdk.tf.json").write_text("{}\n")
    synth_to(example_config, previous_output, state_dir=previous_output.parent)
    stack = previous_output / "stacks" / "guardduty-alerts-us-east-1"
    assert (stack / ".terraform" / "marker").read_text() == "initialised\n"
    assert '"earlier"' not in (stack / "cdk.tf.json").read_text()
    assert sorted(p.name for p in (previous_output / "stacks").iterdir()) == [
        "guardduty-alerts-eu-west-1",
        "guardduty-alerts-us-east-1",
    ]
    assert not list(previous_output.parent.glob(".synth-*")), "scratch folder left behind"


def test_state_lives_outside_the_output_folder(example_out: Path) -> None:
    # example_out is <root>/cdktf.out synthesized with state_dir=<root>
    stack = json.loads((example_out / "stacks" / "guardduty-alerts-eu-west-1" / "cdk.tf.json").read_text())
    assert stack["terraform"]["backend"] == {"local": {"path": "../../../terraform.guardduty-alerts-eu-west-1.tfstate"}}


def test_repository_folder_constructs_does_not_shadow_the_constructs_library() -> None:
    # Run from the repository root, where `constructs/` is a folder: the library must still be imported.
    result = subprocess.run(
        [sys.executable, "-c", "import constructs, guardduty_alerts; print(constructs.__file__); print(constructs.Construct.__name__)"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    assert result.returncode == 0, result.stderr
    location, name = result.stdout.splitlines()
    assert "site-packages" in location and not location.startswith(str(REPO / "constructs")), location
    assert name == "Construct"


def test_construct_package_builds_as_a_wheel_without_a_constructs_package(tmp_path: Path) -> None:
    import zipfile

    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO / "constructs")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("guardduty_alerts-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "guardduty_alerts/alerts.py" in names
    assert not [n for n in names if n.startswith("constructs/")]

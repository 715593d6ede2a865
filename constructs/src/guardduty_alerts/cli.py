"""Command line: `python main.py [synth] [--config FILE] [--outdir DIR]`.

The configuration is read and validated before cdktf or the provider bindings are imported, so a bad file
is reported in well under a second and nothing under the output folder is touched.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, config_path, load_config
from .errors import GuardDutyAlertsError

__all__ = ["EXIT_BAD_INPUT", "main"]

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Synthesize GuardDuty alerting stacks (Terraform JSON) from a YAML configuration.",
    )
    parser.add_argument(
        "command", nargs="?", default="synth", choices=["synth"], help="what to do (default: synth)"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"configuration file (default: ${CONFIG_ENV_VAR}, else {DEFAULT_CONFIG_PATH})",
    )
    parser.add_argument(
        "--outdir",
        metavar="DIR",
        help="output folder (default: $CDKTF_OUTDIR as set by the cdktf CLI, else cdktf.out)",
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        default=".",
        help="folder of the local Terraform state files (default: the current folder)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path = config_path(args.config)
    try:
        config = load_config(path)
    except GuardDutyAlertsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from .app import synth_to  # heavy: loads cdktf and the provider bindings

    outdir = Path(args.outdir or os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    try:
        names = synth_to(config, outdir, state_dir=Path(args.state_dir))
    except GuardDutyAlertsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for name in names:
        print(f"synthesized {outdir / 'stacks' / name / 'cdk.tf.json'}")
    return 0

"""Command line of main.py: `python main.py [COMMAND] [OPTIONS]`; without a command it synthesizes.

Each command is a function taking parsed arguments and returning an exit code; bad input of any kind is a
GuardDutyAlertsError, printed as one message (no traceback) with exit code 2. The configuration is read and
validated before cdktf or the provider bindings are imported, so a bad file is reported quickly and nothing
under the output folder is touched.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from guardduty_alerts.errors import GuardDutyAlertsError

from .config import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, AlertsConfig, config_path, load_config
from .review_inputs import stack_alerting

__all__ = ["EXIT_BAD_INPUT", "main"]

EXIT_BAD_INPUT = 2
DEFAULT_COMMAND = "synth"

Command = Callable[[argparse.Namespace], int]


def _load(args: argparse.Namespace) -> AlertsConfig:
    return load_config(config_path(args.config))


def _synth(args: argparse.Namespace) -> int:
    from . import stacks  # switches on the fast provider loader: cheap, nothing is loaded yet

    stacks.warm_up()  # Node starts while the configuration is read
    config = _load(args)
    from .stacks.synth import synth_to  # heavy: loads cdktf and the provider bindings

    outdir = Path(args.outdir or os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    for name in synth_to(config, outdir, state_dir=Path(args.state_dir)):
        print(f"synthesized {outdir / 'stacks' / name / 'cdk.tf.json'}")
    return 0


def _preview(args: argparse.Namespace) -> int:
    config = _load(args)
    from guardduty_alerts_review.preview import run_preview

    for line in run_preview(stack_alerting(config), Path(args.events)):
        print(line)
    return 0


def _explain(args: argparse.Namespace) -> int:
    config = _load(args)
    from guardduty_alerts_review.explain import explain

    print(explain(stack_alerting(config)))
    return 0


def _plan_summary(args: argparse.Namespace) -> int:
    from guardduty_alerts_review.plan_summary import load_plans, render_markdown  # no cdktf needed

    markdown = render_markdown(load_plans(args.plans))
    if args.output:
        Path(args.output).write_text(markdown, encoding="utf-8")
    else:
        sys.stdout.write(markdown)
    return 0


def _stacks(args: argparse.Namespace) -> int:
    from .planning import deployment_order

    for step, plan, what in deployment_order(_load(args)):
        account = plan.account.id if plan.account else "(credentials' account)"
        print(f"{step}  {plan.name}  {account}  {plan.region}  {what}")
    return 0


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"configuration file (default: ${CONFIG_ENV_VAR}, else {DEFAULT_CONFIG_PATH})",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="GuardDuty alerting as code: synthesize Terraform JSON from a YAML configuration.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    synth = commands.add_parser("synth", help="synthesize one stack per region into the output folder (default)")
    _add_config_option(synth)
    synth.add_argument(
        "--outdir",
        metavar="DIR",
        help="output folder (default: $CDKTF_OUTDIR as set by the cdktf CLI, else cdktf.out)",
    )
    synth.add_argument(
        "--state-dir",
        metavar="DIR",
        default=".",
        help="folder of the local Terraform state files (default: the current folder)",
    )
    synth.set_defaults(run=_synth)

    preview = commands.add_parser(
        "preview",
        help="show, per stack, whether each finding event would be mailed, by which rule, and the mail text",
    )
    preview.add_argument("events", metavar="EVENT_FILE_OR_DIR", help="a GuardDuty event (JSON) or a folder of them")
    _add_config_option(preview)
    preview.set_defaults(run=_preview)

    explain = commands.add_parser(
        "explain", help="print, per stack, which findings are mailed to whom, what is suppressed, the formatter"
    )
    _add_config_option(explain)
    explain.set_defaults(run=_explain)

    summary = commands.add_parser(
        "plan-summary",
        help="Markdown for a pull-request comment: what Terraform plans change about alerting",
        description="Summarize `terraform show -json PLANFILE` output of one or more stacks as Markdown. "
        "A file beside each plan with .txt instead of .json (`terraform show -no-color PLANFILE`) is "
        "included, collapsed, as the raw plan text.",
    )
    summary.add_argument(
        "plans", nargs="+", metavar="[STACK=]PLAN_JSON", help="plan JSON; STACK defaults to the file name"
    )
    summary.add_argument("--output", metavar="FILE", help="write the Markdown here (default: standard output)")
    summary.set_defaults(run=_plan_summary)

    stacks = commands.add_parser(
        "stacks", help="list the stacks in deployment order: step, stack, account, region, role"
    )
    _add_config_option(stacks)
    stacks.set_defaults(run=_stacks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Output piped into `head` and the like: stop quietly when the reader goes away, as command-line tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or (arguments[0].startswith("-") and arguments[0] not in ("-h", "--help")):
        arguments.insert(0, DEFAULT_COMMAND)
    args = _parser().parse_args(arguments)
    run: Command = args.run
    try:
        return run(args)
    except GuardDutyAlertsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT

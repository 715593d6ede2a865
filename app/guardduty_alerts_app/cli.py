"""Command line of main.py: `python main.py [COMMAND] [OPTIONS]`; without a command it synthesizes.

Each command is a function taking parsed arguments and returning an exit code (1: a check found a problem,
for verify and preview --aws); bad input of any kind is a GuardDutyAlertsError, printed as one message (no
traceback) with exit code 2. The configuration is read and
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

from guardduty_alerts.errors import GuardDutyAlertsError, UsageError

from .config import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, AlertsConfig, config_path, load_config
from .review_inputs import stack_alerting, stack_expectations

__all__ = ["EXIT_BAD_INPUT", "EXIT_CHECK_FAILED", "main"]

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
DEFAULT_SAMPLE_WAIT_SECONDS = 600
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
    from guardduty_alerts_review.preview import load_events, run_preview

    stacks = stack_alerting(config)
    for line in run_preview(stacks, Path(args.events)):
        print(line)
    if not args.aws:
        return 0
    from guardduty_alerts_review.preview_aws import compare_with_eventbridge
    from guardduty_alerts_review.verify.aws import connect

    # Credentials from the environment, the first stack's region (a pattern means the same in every region).
    client = connect(region=stacks[0].region, endpoint_url=config.endpoint_url, role_arn=None)["events"]
    lines, agreed = compare_with_eventbridge(stacks, load_events(Path(args.events)), client)
    print("\n".join(lines))
    return 0 if agreed else EXIT_CHECK_FAILED


def _verify(args: argparse.Namespace) -> int:
    from guardduty_alerts_review.verify import render_json, render_text, sample_problem, verify

    config = _load(args)
    expectations = stack_expectations(config)
    problems = []
    if args.wait is not None and not args.send_sample:
        problems.append(f"--wait: {args.wait} is given without --send-sample; allowed: only with --send-sample")
    if args.wait is not None and args.wait < 0:
        problems.append(f"--wait: {args.wait} is not allowed; allowed: a number of seconds, 0 or more")
    if args.stack:
        known = {expectation.name for expectation in expectations}
        unknown = [name for name in dict.fromkeys(args.stack) if name not in known]
        problems += [
            f"--stack: {name!r} is not a stack of this configuration; allowed: {', '.join(sorted(known))}"
            for name in unknown
        ]
        expectations = [expectation for expectation in expectations if expectation.name in args.stack]
    if args.send_sample:
        problems += [
            problem
            for expectation in expectations
            if expectation.alerting is not None
            for problem in [sample_problem(expectation.name, expectation.alerting)]
            if problem
        ]
    if problems:
        raise UsageError(problems)
    report = verify(
        expectations,
        endpoint_url=config.endpoint_url,
        send_sample=args.send_sample,
        wait_seconds=DEFAULT_SAMPLE_WAIT_SECONDS if args.wait is None else args.wait,
    )
    print(render_json(report) if args.json else render_text(report))
    return 0 if report.passed else EXIT_CHECK_FAILED


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
    preview.add_argument(
        "--aws",
        action="store_true",
        help="also ask EventBridge (TestEventPattern, credentials from the environment) about every rule and "
        "event, and print where it disagrees with the local preview (exit code 1)",
    )
    preview.set_defaults(run=_preview)

    verify = commands.add_parser(
        "verify",
        help="check the live deployment: detector, topic and key, subscriptions, rules, dead letters, alarms",
        description="Read each stack's account and region (assuming the stack's role) and print a checklist: "
        "pass or fail, what was found, and the fix. Exit code 0 when everything passes, 1 when a check fails, "
        "2 for bad usage or configuration.",
    )
    _add_config_option(verify)
    verify.add_argument(
        "--stack", action="append", metavar="NAME", help="check only this stack (repeatable; default: every stack)"
    )
    verify.add_argument(
        "--send-sample",
        action="store_true",
        help="also generate one GuardDuty sample finding per stack that mails, of a type at or above its "
        "threshold, and watch CloudWatch until it was delivered (needs guardduty:CreateSampleFindings)",
    )
    verify.add_argument(
        "--wait",
        type=int,
        metavar="SECONDS",
        help=f"with --send-sample: how long to watch (default {DEFAULT_SAMPLE_WAIT_SECONDS})",
    )
    verify.add_argument("--json", action="store_true", help="print the results as JSON (for CI)")
    verify.set_defaults(run=_verify)

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

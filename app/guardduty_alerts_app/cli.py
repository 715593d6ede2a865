"""Command line of main.py: `python main.py [COMMAND] [OPTIONS]`; without a command it synthesizes.

Each command is a function taking parsed arguments and returning an exit code (1: a check found a problem,
for verify and preview --aws; 1 also when a synthesis worker failed for a reason other than its input, a
SynthError); bad input of any kind is a GuardDutyAlertsError, printed as one message (no traceback) with exit
code 2. The configuration is read and
validated before cdktf or the provider bindings are imported, so a bad file is reported quickly and nothing
under the output folder is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from guardduty_alerts.accounts import account_in_words
from guardduty_alerts.errors import (
    ConfigError,
    GuardDutyAlertsError,
    InvalidPropsError,
    StackSelectionError,
    SynthError,
    UsageError,
)

from .config import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, AlertsConfig, config_path_and_origin, load_config
from .planning import DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE, config_account_names
from .review_inputs import stack_alerting, stack_expectations

__all__ = ["EXIT_BAD_INPUT", "EXIT_CHECK_FAILED", "EXIT_SYNTH_FAILED", "main"]

EXIT_CHECK_FAILED = 1
EXIT_SYNTH_FAILED = 1
EXIT_BAD_INPUT = 2
DEFAULT_SAMPLE_WAIT_SECONDS = 600
DEFAULT_COMMAND = "synth"
# Stacks per CI job when plans fan out (docs/review.md, "The pull-request workflow").
DEFAULT_SHARD_SIZE = 20
# Terraform plans at once within one job: each is mostly waiting on the provider and AWS.
DEFAULT_PLAN_JOBS = 4

Command = Callable[[argparse.Namespace], int]


def _load(args: argparse.Namespace) -> AlertsConfig:
    path, origin = config_path_and_origin(args.config)
    return load_config(path, origin=origin)


def _synth(args: argparse.Namespace) -> int:
    problems = []
    if args.jobs < 1:
        problems.append(
            f"--jobs {args.jobs} is not allowed; allowed: a whole number of worker processes, 1 or more "
            "(1: every stack in this process)"
        )
    if args.chunk_size is not None and args.chunk_size < 1:
        problems.append(f"--chunk-size {args.chunk_size} is not allowed; allowed: a whole number of stacks, 1 or more")
    outdir = Path(args.outdir or os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    for option, folder in (("--outdir", outdir), ("--state-dir", Path(args.state_dir))):
        if folder.exists() and not folder.is_dir():
            problems.append(f"{option} {folder}: is a file; allowed: a folder (created when missing)")
    if problems:
        raise UsageError(problems)
    from . import stacks  # switches on the fast provider loader: cheap, nothing is loaded yet

    if args.jobs == 1:
        stacks.warm_up()  # Node starts while the configuration is read (worker processes start their own)
    config = _load(args)
    from guardduty_alerts_review.progress import Progress

    # Loads cdktf and the provider bindings only where stacks are built in this process.
    from .stacks.synth import synth_to

    # A live line on a terminal (an estate with workers takes minutes); elsewhere nothing, as the lines below
    # name every stack written, and a worker's failure is one error at the end.
    with Progress() as progress:
        synthesized = synth_to(
            config,
            outdir,
            state_dir=Path(args.state_dir),
            jobs=args.jobs,
            chunk_size=args.chunk_size,
            report=progress.status if progress.live else None,
        )
    for name in synthesized:
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
    from guardduty_alerts_review.progress import Progress

    # The sample's wait (up to --wait seconds): what CloudWatch shows so far and the time left, on standard error.
    with Progress() as progress:
        report = verify(
            expectations,
            endpoint_url=config.endpoint_url,
            send_sample=args.send_sample,
            wait_seconds=DEFAULT_SAMPLE_WAIT_SECONDS if args.wait is None else args.wait,
            report=progress.status,
        )
    print(render_json(report) if args.json else render_text(report))
    return 0 if report.passed else EXIT_CHECK_FAILED


def _explain(args: argparse.Namespace) -> int:
    config = _load(args)
    from guardduty_alerts_review.explain import explain

    print(explain(stack_alerting(config)))
    return 0


def _plan_summary(args: argparse.Namespace) -> int:
    from guardduty_alerts_review.plan_summary import load_review, render_markdown  # no cdktf needed

    # The plans know an account by its id only (allowed_account_ids); the config gives its name.
    names = config_account_names(_load(args)) if args.config else {}
    plans, not_planned = load_review(args.plans, args.changed_stacks)
    markdown = render_markdown(plans, not_planned=not_planned, account_names=names)
    if args.output:
        output = Path(args.output)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(markdown, encoding="utf-8")
        except OSError as error:
            raise UsageError(
                [
                    f"--output {args.output}: cannot be written ({error.strerror or error}); allowed: a file path "
                    "whose folder can be created"
                ]
            ) from None
    else:
        sys.stdout.write(markdown)
    return 0


def _default_outdir(value: str | None) -> Path:
    return Path(value or os.environ.get("CDKTF_OUTDIR") or "cdktf.out")


def _changed_stacks(args: argparse.Namespace) -> int:
    from guardduty_alerts_review.synth_output import changed_stacks, read_synth_outputs

    problems = [] if args.shard_size >= 1 else [f"--shard-size {args.shard_size}: allowed: a whole number, 1 or more"]
    base, head = read_synth_outputs(Path(args.base), _default_outdir(args.outdir), problems=problems)
    result = changed_stacks(base, head)
    if args.json:
        print(json.dumps(result.as_json(shard_size=args.shard_size), indent=2, sort_keys=True))
    else:
        for name, how in result.selected():
            print(f"{how:<8} {name}")
    total = len(set(base.stacks) | set(head.stacks))
    print(
        f"{len(result.selected())} of {total} stacks differ: {len(result.added)} added, {len(result.changed)} "
        f"changed, {len(result.removed)} removed",
        file=sys.stderr,
    )
    return 0


def _plan(args: argparse.Namespace) -> int:
    from guardduty_alerts_review.plan_runner import PlanFailure, plan_jobs, run_plans
    from guardduty_alerts_review.synth_output import (
        changed_stacks,
        parse_shard,
        read_synth_output,
        read_synth_outputs,
    )

    problems = [] if args.jobs >= 1 else [f"--jobs {args.jobs}: allowed: a whole number, 1 or more"]
    shard = parse_shard(args.shard) if args.shard is not None else None
    if args.shard is not None and shard is None:
        problems.append(f"--shard {args.shard}: allowed: i/n with whole numbers 1 <= i <= n, e.g. 2/5")
    head_dir = _default_outdir(args.outdir)
    if args.changed_since:
        base, head = read_synth_outputs(Path(args.changed_since), head_dir, problems=problems)
        jobs = plan_jobs(head, changed_stacks(base, head), base, shard)
    else:
        head_output, head_problems = read_synth_output(head_dir, option="--outdir")
        problems += head_problems
        if problems or head_output is None:
            raise StackSelectionError(problems)
        jobs = plan_jobs(head_output, shard=shard)
    where = f" (shard {args.shard})" if args.shard else ""
    if not jobs:
        print(f"nothing to plan{where}")
        return 0
    started = time.perf_counter()
    try:
        seconds = run_plans(jobs, plans_dir=Path(args.plans_dir), parallelism=args.jobs)
    except PlanFailure as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    # One stack: "planned 1 stack in 40.4 s", without a range of one value or the jobs it did not use.
    count = f"{len(seconds)} stacks" if len(seconds) > 1 else "1 stack"
    spread = (
        f" with {args.jobs} jobs (per stack {min(seconds.values()):.1f} to {max(seconds.values()):.1f} s)"
        if len(seconds) > 1
        else ""
    )
    print(
        f"planned {count}{where} in {time.perf_counter() - started:.1f} s{spread}; "
        f"next: ./bin/app plan-summary {args.plans_dir}/*.json"
    )
    return 0


def _deploy(args: argparse.Namespace) -> int:
    from guardduty_alerts_review.plan_runner import PlanJob

    from .deploy import Action, DeployStep, render_summary, run_steps
    from .planning import deployment_order

    destroy = args.command == "destroy"
    problems = [] if args.jobs >= 1 else [f"--jobs {args.jobs}: allowed: a whole number, 1 or more"]
    outdir = _default_outdir(args.outdir)
    rows = deployment_order(_load(args))
    missing = [plan.name for _, plan, _ in rows if not (outdir / "stacks" / plan.name / "cdk.tf.json").is_file()]
    if missing:
        problems.append(
            f"--outdir {outdir}: no synthesized stack {', '.join(missing)}; allowed: the synth output of this "
            "configuration (run ./bin/synth with the same --config first)"
        )
    if problems:
        raise StackSelectionError(problems)
    steps = [
        DeployStep(number, tuple(PlanJob(p.name, outdir / "stacks" / p.name) for s, p, _ in rows if s == number))
        for number in sorted({step for step, _, _ in rows})
    ]
    action = Action.of(destroy=destroy, plan_only=args.plan)
    from guardduty_alerts_review.progress import Progress

    started = time.perf_counter()
    # A live line of the running stacks on a terminal; in CI the per-stack lines are the progress.
    with Progress() as progress:
        status = progress.status if progress.live else None
        outcomes = run_steps(steps, action, jobs=args.jobs, logs_dir=Path(args.logs_dir), status=status)
    print("\n".join(render_summary(outcomes, action, time.perf_counter() - started)))
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0


def _stacks(args: argparse.Namespace) -> int:
    from .planning import deployment_order

    for step, plan, what in deployment_order(_load(args)):
        account = account_in_words(plan.account.id, plan.account_names) if plan.account else "(credentials' account)"
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
    cores = os.cpu_count() or 1
    synth.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=cores,
        help=f"worker processes synthesizing stacks side by side (default: the number of cores, {cores} here); "
        "1 synthesizes every stack in this process",
    )
    synth.add_argument(
        "--chunk-size",
        metavar="K",
        type=int,
        help=f"with --jobs above 1, the most stacks one worker process synthesizes (default: {DEFAULT_CHUNK_SIZE}; "
        "more chunks than workers run one after another). Each worker gets at least "
        f"{MIN_CHUNK_SIZE} stacks unless this asks for fewer: smaller configurations stay in one process",
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
        "plans", nargs="*", metavar="[STACK=]PLAN_JSON", help="plan JSON; STACK defaults to the file name"
    )
    summary.add_argument(
        "--changed-stacks",
        metavar="FILE",
        help="output of `changed-stacks --json`: every stack it lists as changed must have a plan, and the "
        "comment says how many stacks are unchanged (with none changed, no plan is needed)",
    )
    summary.add_argument("--output", metavar="FILE", help="write the Markdown here (default: standard output)")
    summary.add_argument(
        "--config",
        metavar="FILE",
        help="the configuration the plans were synthesized from: its accounts are named in words "
        "(default: accounts by id; the plans alone do not name them)",
    )
    summary.set_defaults(run=_plan_summary)

    changed = commands.add_parser(
        "changed-stacks",
        help="list the stacks whose Terraform differs between two synth outputs: added, changed, removed",
        description="Compare the base branch's synth output with this branch's, stack by stack, and print "
        "every stack whose Terraform differs, one per line (`added`, `changed` or `removed`, then the name). "
        "Only the Terraform counts: key order, cdktf's `//` comments and the manifest's paths do not.",
    )
    changed.add_argument("--base", required=True, metavar="BASE_OUTDIR", help="the base branch's synth output")
    changed.add_argument(
        "--outdir", metavar="HEAD_OUTDIR", help="this branch's synth output (default: $CDKTF_OUTDIR, else cdktf.out)"
    )
    changed.add_argument(
        "--json",
        action="store_true",
        help="print JSON instead: added, changed, removed, unchanged, and shards (`i/n` for `plan --shard`)",
    )
    changed.add_argument(
        "--shard-size",
        type=int,
        default=DEFAULT_SHARD_SIZE,
        metavar="N",
        help=f"largest shard in the JSON's shards (default: {DEFAULT_SHARD_SIZE})",
    )
    changed.set_defaults(run=_changed_stacks)

    plan = commands.add_parser(
        "plan",
        help="terraform init, plan and show of the synthesized stacks, in parallel, for plan-summary",
        description="Plan every stack of the synth output (or only those that differ from a base synth "
        "output; removed stacks are planned for destruction from the base), JOBS at a time, and write "
        "PLANS_DIR/<stack>.json and .txt for plan-summary. --shard i/n plans the i-th of n near-equal slices "
        "of the selected stacks (in name order), so that n CI jobs share the work.",
    )
    plan.add_argument("--changed-since", metavar="BASE_OUTDIR", help="plan only stacks that differ from this output")
    plan.add_argument("--outdir", metavar="DIR", help="synth output to plan (default: $CDKTF_OUTDIR, else cdktf.out)")
    plan.add_argument("--plans-dir", metavar="DIR", default="plans", help="where the plans go (default: plans)")
    plan.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_PLAN_JOBS,
        metavar="N",
        help=f"stacks planned at once (default: {DEFAULT_PLAN_JOBS})",
    )
    plan.add_argument("--shard", metavar="I/N", help="plan only the I-th of N slices of the selected stacks")
    plan.set_defaults(run=_plan)

    for name, verb in (("deploy", "apply"), ("destroy", "destroy")):
        deploy = commands.add_parser(
            name,
            help=f"terraform init and {verb} of every synthesized stack, step by step"
            + (" in reverse" if name == "destroy" else "")
            + ", N at a time within a step",
            description=f"{verb.capitalize()} the synthesized stacks in the steps `stacks` prints"
            + (", last step first" if name == "destroy" else "")
            + ": the stacks of a step side by side (--jobs), the next step only when every stack of this one "
            "succeeded. Terraform's output goes to LOGS_DIR/<stack>.log. Prints one line per stack (done, failed "
            "with its log, skipped) and exits 1 when a stack failed.",
        )
        _add_config_option(deploy)
        deploy.add_argument("--outdir", metavar="DIR", help="synth output (default: $CDKTF_OUTDIR, else cdktf.out)")
        deploy.add_argument(
            "--jobs", type=int, default=DEFAULT_PLAN_JOBS, metavar="N",
            help=f"stacks at once within a step (default: {DEFAULT_PLAN_JOBS})",
        )
        deploy.add_argument(
            "--plan", action="store_true",
            help=f"terraform plan{' -destroy' if name == 'destroy' else ''} instead: change nothing",
        )
        deploy.add_argument("--logs-dir", metavar="DIR", default="logs", help="Terraform's output (default: logs)")
        deploy.set_defaults(run=_deploy)

    stacks = commands.add_parser(
        "stacks", help="list the stacks in deployment order: step, stack, account, region, role"
    )
    _add_config_option(stacks)
    stacks.set_defaults(run=_stacks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Output piped into `head` and the like: stop quietly when the reader goes away, as command-line tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # jsii prints a Node 20 end-of-life banner in every process that starts its kernel (as bin/app also says);
    # set here too for the `guardduty-alerts` entry point. Read when the kernel starts, after this.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or (arguments[0].startswith("-") and arguments[0] not in ("-h", "--help")):
        arguments.insert(0, DEFAULT_COMMAND)
    args = _parser().parse_args(arguments)
    run: Command = args.run
    try:
        try:
            return run(args)
        except InvalidPropsError as error:
            if not hasattr(args, "config"):
                raise
            # The construct checked props made from the configuration file: a configuration error of that file,
            # named as every other one is.
            raise ConfigError(error.problems, source=str(config_path_and_origin(args.config)[0])) from None
    except GuardDutyAlertsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_SYNTH_FAILED if isinstance(error, SynthError) else EXIT_BAD_INPUT

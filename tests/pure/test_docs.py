"""The documentation (README.md, ARCHITECTURE.md, docs/*.md) as a reader meets it: every relative link and anchor
resolves, every command block names files that exist and `./bin/app` subcommands and options the parser knows,
and every command block either says it needs real AWS or is run offline by a named test.

Anchors are computed as GitHub renders headings (lowercase, punctuation dropped, spaces to hyphens, a repeated
heading gets -1, -2, ...), so a link that works here works on GitHub."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from helpers import REPO

# The marker a command block puts on its first line when, as printed, it needs a real AWS account.
NEEDS_REAL_AWS = "# needs real AWS: "
SHELL_LANGUAGES = ("sh", "bash", "console")
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
# A path the commands name: a project entry point, configuration, tool, test or benchmark. Not preceded by a
# path character, so `.venv/bin/python` is not read as `bin/python`.
PROJECT_PATH = re.compile(r"(?<![\w./-])(?:\./)?((?:bin|config|tools|tests|bench)/[\w./-]*\w)")
APP_COMMAND = re.compile(r"(?<![\w./-])\./bin/app[ \t]+(\S+)([^|;&\n]*)")


def documents() -> list[Path]:
    return [REPO / "README.md", REPO / "ARCHITECTURE.md", *sorted((REPO / "docs").glob("*.md"))]


@dataclass(frozen=True)
class Block:
    document: Path
    line: int
    language: str
    text: str

    @property
    def key(self) -> tuple[str, str]:
        """(document, first command line): how the tables below name a block, stable when lines move."""
        first = next(line.strip() for line in self.text.splitlines() if line.strip())
        return (self.document.relative_to(REPO).as_posix(), first)

    @property
    def commands(self) -> str:
        """The block without its comments (a `#` after white space or at the start of a line)."""
        return "\n".join(re.split(r"(?:^|\s)#", line, maxsplit=1)[0] for line in self.text.splitlines())


def split(path: Path) -> tuple[list[str], list[Block]]:
    """The lines outside fenced blocks (blanked inside them, so line numbers stay), and the fenced blocks."""
    prose: list[str] = []
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            prose.append(lines[index])
            index += 1
            continue
        end = index + 1
        while not re.match(r"^\s*```\s*$", lines[end]):
            end += 1
        body = [line.removeprefix(opening.group(1)) for line in lines[index + 1 : end]]
        blocks.append(Block(path, index + 1, opening.group(2), "\n".join(body)))
        prose.extend([""] * (end - index + 1))
        index = end + 1
    return prose, blocks


def shell_blocks() -> Iterator[Block]:
    for path in documents():
        yield from (block for block in split(path)[1] if block.language in SHELL_LANGUAGES)


def github_anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in split(path)[0]:
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def test_github_anchors_follow_githubs_rules(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Plan review: `plan`, the CLI\n## How this is tested\n## How this is tested\n### `preview --aws`\n"
    )
    assert github_anchors(page) == {
        "plan-review-plan-the-cli",
        "how-this-is-tested",
        "how-this-is-tested-1",
        "preview---aws",
    }


def links() -> Iterator[tuple[Path, int, str]]:
    for path in documents():
        for number, line in enumerate(split(path)[0], 1):
            for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                if not re.match(r"^[a-z]+:", target):
                    yield path, number, target


def test_every_relative_link_and_anchor_resolves() -> None:
    broken = []
    checked = 0
    for path, number, target in links():
        checked += 1
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(REPO)}:{number}: {target}"
        if not destination.exists():
            broken.append(f"{where} (no such file)")
        elif anchor and anchor not in github_anchors(destination):
            broken.append(f"{where} (no heading with that anchor)")
    assert broken == []
    assert checked > 20  # the README links every page, and the pages link each other


def test_the_readme_is_short_and_links_every_page() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    linked = {target.partition("#")[0] for path, _, target in links() if path.name == "README.md"}
    pages = {f"docs/{page.name}" for page in (REPO / "docs").glob("*.md")}
    assert pages - linked == set()
    assert "ARCHITECTURE.md" in linked


def test_every_page_has_a_title_then_what_it_is_for() -> None:
    for page in sorted((REPO / "docs").glob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# "), page.name
        assert lines[1] == "" and lines[2] and not lines[2].startswith(("#", "|", "-", "```")), page.name


def app_parser() -> argparse.ArgumentParser:
    from guardduty_alerts_app import cli

    return cli._parser()


def subcommands() -> dict[str, argparse.ArgumentParser]:
    (action,) = (a for a in app_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def missing_files(where: str, commands: str) -> list[str]:
    return [f"{where}: {name}" for name in PROJECT_PATH.findall(commands) if not (REPO / name).exists()]


def wrong_app_commands(where: str, commands: str, seen: set[str] | None = None) -> list[str]:
    """Each `./bin/app COMMAND --option` that is not a subcommand, or not one of its options; the subcommands
    found go into `seen`. A line continued with a backslash is read as one line."""
    parsers = subcommands()
    wrong = []
    for command, rest in APP_COMMAND.findall(commands.replace("\\\n", " ")):
        if command not in parsers:
            wrong.append(f"{where}: ./bin/app {command}: not a subcommand (known: {', '.join(sorted(parsers))})")
            continue
        if seen is not None:
            seen.add(command)
        known = set(parsers[command]._option_string_actions)
        wrong += [
            f"{where}: ./bin/app {command}: no option {option}"
            for option in re.findall(r"--[\w-]+", rest)
            if option not in known
        ]
    return wrong


def test_every_command_block_names_files_that_exist() -> None:
    missing = []
    for block in shell_blocks():
        missing += missing_files(f"{block.document.relative_to(REPO)}:{block.line}", block.commands)
    assert missing == []


def test_every_app_command_in_a_block_is_a_subcommand_with_those_options() -> None:
    wrong = []
    seen: set[str] = set()
    for block in shell_blocks():
        wrong += wrong_app_commands(f"{block.document.relative_to(REPO)}:{block.line}", block.commands, seen)
    assert wrong == []
    # The blocks show the commands a reader runs; the parser is asked, not a list kept here.
    assert {"synth", "deploy", "verify", "preview", "explain", "plan", "plan-summary", "changed-stacks"} <= seen


def workflow_problems(path: Path) -> list[str]:
    """What is wrong with the commands of a GitHub workflow's `run:` steps: a project file that does not exist,
    a `./bin/app` subcommand or option the parser does not know, or main.py run directly instead of through
    `./bin/app`, which the docs use (and which picks the project venv's Python)."""
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems = []
    for job_name, job in workflow["jobs"].items():
        for number, step in enumerate(job.get("steps", []), 1):
            if "run" not in step:
                continue
            where = f"{path.name}: job {job_name}, step {step.get('name', number)!r}"
            # Comments dropped as in the docs' blocks; ${{ }} expressions are left, they name no project file.
            commands = "\n".join(re.split(r"(?:^|\s)#", line, maxsplit=1)[0] for line in step["run"].splitlines())
            problems += missing_files(where, commands)
            problems += wrong_app_commands(where, commands)
            problems += [
                f"{where}: runs {run.strip()}; allowed: ./bin/app COMMAND, as the docs print it"
                for run in re.findall(r"(?:^|[\s;&|(])((?:\S*python\S*\s+)?(?:\./)?main\.py\b)", commands)
            ]
    return problems


def test_every_workflow_runs_files_and_app_commands_that_exist() -> None:
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    assert workflows
    assert [problem for path in workflows for problem in workflow_problems(path)] == []


def test_fails_a_workflow_naming_a_missing_subcommand_option_file_or_main_py(tmp_path: Path) -> None:
    workflow = tmp_path / "broken.yml"
    workflow.write_text(
        yaml.safe_dump(
            {
                "on": "pull_request",
                "jobs": {
                    "prepare": {
                        "runs-on": "ubuntu-latest",
                        "steps": [
                            {"uses": "actions/checkout@v4"},
                            {"name": "Synthesize", "run": "./bin/app synth --outdir cdktf.out  # fine\n./bin/sinth"},
                            {"name": "Changed", "run": "./bin/app changed-stack --base base.out"},
                            {"run": "./bin/app plan --changed-since base.out \\\n  --plan-dir plans"},
                            {"name": "Old", "run": "pipenv run python main.py synth\n(cd base && python3 main.py)"},
                        ],
                    }
                },
            }
        )
    )
    known = ", ".join(sorted(subcommands()))
    assert workflow_problems(workflow) == [
        "broken.yml: job prepare, step 'Synthesize': bin/sinth",
        f"broken.yml: job prepare, step 'Changed': ./bin/app changed-stack: not a subcommand (known: {known})",
        "broken.yml: job prepare, step 4: ./bin/app plan: no option --plan-dir",
        "broken.yml: job prepare, step 'Old': runs python main.py; allowed: ./bin/app COMMAND, as the docs print it",
        "broken.yml: job prepare, step 'Old': runs python3 main.py; allowed: ./bin/app COMMAND, as the docs print it",
    ]


# Every command block without the marker runs offline; each is run by the test named here (or by this module).
# Keyed by (document, first line of the block).
RUN_OFFLINE_BY = {
    ("README.md", "./bin/synth     # installs pipenv and the locked dependencies, then synthesizes config/guardduty-alerts.yaml"): ".ci/run",
    ("README.md", "./bin/emulator --port 4566      # leave it running; Ctrl-C stops it (without --port: any free port, printed)"): "tests/terraform/test_readme_try_it.py",
    ("README.md", "export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1"): "tests/terraform/test_readme_try_it.py",
    ("docs/development.md", './bin/test                       # everything (Terraform tests included)'): ".ci/run",
    ("docs/development.md", "./bin/docs          # site/index.html and a page per file; strict: a broken link or anchor fails the build"): "tests/pure/test_docs_site.py",
    ("docs/many-accounts.md", "./bin/app synth                          # --jobs defaults to the number of cores"): "tests/synth/test_parallel_synth.py",
    ("docs/many-accounts.md", './bin/app explain --config config/accounts-routing.example.yaml   # the "accounts" block: whose findings reach whom'): "tests/pure/test_explain_account_routing.py",
    ("docs/notifications.md", "./bin/app preview EVENT_FILE_OR_DIR [--config FILE]   # per stack: mailed or not, by which rule, the text"): "tests/pure/test_docs.py",
    ("docs/review.md", "./bin/app changed-stacks --base base.out [--outdir cdktf.out] [--json] [--shard-size 20]"): "tests/terraform/test_plan_runner_terraform.py",
    ("docs/verify.md", "./bin/app verify [--config FILE] [--stack NAME ...] [--send-sample [--wait SECONDS]] [--json]"): "tests/terraform/test_verify_terraform.py",
}  # fmt: skip
# Offline, but no test runs them: what each costs or lacks is said here (the checks above still apply).
NOT_RUN_BECAUSE = {
    ("docs/construct.md", 'pip install "git+https://<your git host>/<org>/guardduty-alerts.git#subdirectory=constructs"'): "a placeholder for your own git host",
    ("docs/delivery.md", "./bin/demo      # synthesize the example, apply it to a local emulator (moto) on 127.0.0.1, send findings, destroy"): "minutes of apply and destroy; test_readme_try_it covers the same path",
    ("docs/development.md", "./bin/bench                          # example configuration, 5 alternating runs of each variant"): "a benchmark: npm and minutes",
    ("docs/many-accounts.md", ".venv/bin/python bench/estate_scale.py        # options: --sizes 17 --runs 5 --severity CRITICAL --chunk-sizes 85 --validate 3"): "a benchmark: minutes",
}  # fmt: skip


def test_every_command_block_needs_real_aws_or_is_run_offline() -> None:
    unmarked = {block.key for block in shell_blocks() if not block.text.lstrip().startswith(NEEDS_REAL_AWS)}
    assert unmarked == set(RUN_OFFLINE_BY) | set(NOT_RUN_BECAUSE)
    assert [runner for runner in RUN_OFFLINE_BY.values() if not (REPO / runner).exists()] == []


def test_the_marked_blocks_say_why() -> None:
    marked = [block for block in shell_blocks() if block.text.lstrip().startswith(NEEDS_REAL_AWS)]
    assert len(marked) >= 8
    for block in marked:
        reason = block.text.lstrip().splitlines()[0].removeprefix(NEEDS_REAL_AWS)
        assert len(reason.split()) >= 3, block.key


def test_the_notifications_commands_run_as_printed(capsys: pytest.CaptureFixture[str]) -> None:
    from guardduty_alerts_app.cli import main

    # docs/notifications.md's two commands, with the placeholders filled by files of the repository.
    assert main(["explain", "--config", str(REPO / "config/channels.example.yaml")]) == 0
    assert "stack guardduty-alerts-" in capsys.readouterr().out
    assert (
        main(["preview", str(REPO / "tests/fixtures/findings"), "--config", str(REPO / "config/guardduty-alerts.yaml")])
        == 0
    )
    assert "mailed" in capsys.readouterr().out


def test_the_readme_smallest_configuration_is_valid(tmp_path: Path) -> None:
    from guardduty_alerts_app.config import parse_config

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## The smallest configuration\n", 1)[1].split("\n## ", 1)[0]
    (yaml_block,) = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    config = parse_config(yaml.safe_load(yaml_block))
    assert (config.regions, config.recipients) == (("us-east-1",), ("security@example.com",))

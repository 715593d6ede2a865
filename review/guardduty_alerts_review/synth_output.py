"""Two synth outputs compared: which stacks' Terraform differs between the base branch and this branch, and
how to split them into shards for parallel plans.

A synth output is the cdktf.out layout: `manifest.json` lists the stacks, each with the path of its
`cdk.tf.json`. Two stacks count as the same when their Terraform is the same: the JSON is compared parsed,
with keys sorted, without cdktf's `//` comment properties (construct paths, unique ids, checkov skips, the
stack's name and output map), which Terraform ignores in block bodies. The manifest's own paths and the
order of keys in the files do not count. Only the Terraform JSON is compared: an asset (the formatter's
archive) is part of it through its hash in the JSON.

Bad input raises StackSelectionError (a GuardDutyAlertsError) listing every problem: the CLI exits 2.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardduty_alerts.errors import StackSelectionError

from .json_input import parse_json

__all__ = [
    "StackChangeSet",
    "SynthOutput",
    "changed_stacks",
    "parse_shard",
    "read_synth_output",
    "read_synth_outputs",
    "shard_of",
    "shard_specs",
    "terraform_text",
]

_ALLOWED_OUTPUT = "a synth output folder (cdktf.out layout: manifest.json and stacks/<name>/cdk.tf.json)"
# Top-level Terraform JSON sections whose entries are block bodies: `//` there is a comment, not a key.
_BLOCKS_BY_TYPE_AND_NAME = ("resource", "data")
_BLOCKS_BY_NAME = ("output", "module", "variable")


@dataclass(frozen=True)
class SynthOutput:
    """A synth output folder: the stack names and the file each stack's Terraform JSON is in."""

    folder: Path
    stacks: Mapping[str, Path]

    def stack_dir(self, name: str) -> Path:
        return self.stacks[name].parent


def read_synth_output(folder: Path, *, option: str) -> tuple[SynthOutput | None, list[str]]:
    """The synth output in `folder` and the problems found (each naming `option` and the path), never raising:
    the caller collects the problems of every folder into one error."""
    where = f"{option} {folder}"
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "no such folder"
        return None, [f"{where}: {what}; allowed: {_ALLOWED_OUTPUT}"]
    manifest_path = folder / "manifest.json"
    try:
        manifest = parse_json(manifest_path.read_text(encoding="utf-8"))
    except OSError as error:
        return None, [f"{where}: manifest.json cannot be read ({error.strerror or error}); allowed: {_ALLOWED_OUTPUT}"]
    except ValueError as error:
        return None, [f"{where}: manifest.json is not JSON ({error}); allowed: {_ALLOWED_OUTPUT}"]
    entries = manifest.get("stacks") if isinstance(manifest, dict) else None
    if not isinstance(entries, dict):
        return None, [f"{where}: manifest.json has no `stacks` mapping; allowed: {_ALLOWED_OUTPUT}"]
    stacks: dict[str, Path] = {}
    problems: list[str] = []
    root = folder.resolve()
    for name, entry in sorted(entries.items()):
        relative = entry.get("synthesizedStackPath") if isinstance(entry, dict) else None
        path = (folder / relative).resolve() if isinstance(relative, str) else None
        if path is None or not path.is_relative_to(root):
            problems.append(
                f"{where}: stack {name} has no synthesizedStackPath inside the folder; allowed: {_ALLOWED_OUTPUT}"
            )
        elif not path.is_file():
            problems.append(f"{where}: stack {name}: {relative} is missing; allowed: {_ALLOWED_OUTPUT}")
        else:
            stacks[name] = path
    return SynthOutput(folder=folder, stacks=stacks), problems


def read_synth_outputs(
    base: Path, head: Path, *, problems: Sequence[str] = ()
) -> tuple[SynthOutput, SynthOutput]:
    """Both synth outputs (`--base`, `--outdir`); one StackSelectionError with every problem found in either,
    and with the caller's own `problems` (bad options) first."""
    found = list(problems)
    base_output, base_problems = read_synth_output(base, option="--base")
    head_output, head_problems = read_synth_output(head, option="--outdir")
    found += base_problems + head_problems
    if found or base_output is None or head_output is None:
        raise StackSelectionError(found)
    return base_output, head_output


def _without_comments(document: Any) -> Any:
    """The Terraform JSON without cdktf's `//` comments: at the top level and in every block body."""
    if not isinstance(document, dict):
        return document
    result = {key: value for key, value in document.items() if key != "//"}
    for section in _BLOCKS_BY_TYPE_AND_NAME:
        blocks = result.get(section)
        if isinstance(blocks, dict):
            result[section] = {
                kind: {name: _body(body) for name, body in named.items()} if isinstance(named, dict) else named
                for kind, named in blocks.items()
            }
    for section in _BLOCKS_BY_NAME:
        blocks = result.get(section)
        if isinstance(blocks, dict):
            result[section] = {name: _body(body) for name, body in blocks.items()}
    providers = result.get("provider")
    if isinstance(providers, dict):
        result["provider"] = {
            name: [_body(body) for body in bodies] if isinstance(bodies, list) else _body(bodies)
            for name, bodies in providers.items()
        }
    return result


def _body(body: Any) -> Any:
    return {key: value for key, value in body.items() if key != "//"} if isinstance(body, dict) else body


def terraform_text(path: Path) -> str:
    """A stack's Terraform in canonical form: parsed, comments removed, keys sorted. Raises ValueError for a
    file that is not JSON (the caller names the file)."""
    try:
        document = parse_json(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(str(error)) from error
    return json.dumps(_without_comments(document), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class StackChangeSet:
    """Stacks by what this branch does to them, each list sorted by name."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]

    def selected(self) -> list[tuple[str, str]]:
        """(stack, how) of every stack to plan, in name order: `added`/`changed` from this branch's output,
        `removed` (planned for destruction) from the base's."""
        rows = [(name, "added") for name in self.added] + [(name, "changed") for name in self.changed]
        rows += [(name, "removed") for name in self.removed]
        return sorted(rows)

    def as_json(self, *, shard_size: int) -> dict[str, Any]:
        count = len(self.selected())
        return {
            "added": list(self.added),
            "changed": list(self.changed),
            "removed": list(self.removed),
            "unchanged": list(self.unchanged),
            "shards": shard_specs(count, shard_size),
        }


def changed_stacks(base: SynthOutput, head: SynthOutput) -> StackChangeSet:
    """Compare two synth outputs stack by stack; raise StackSelectionError naming every unreadable file."""
    problems: list[str] = []

    def text(output: SynthOutput, name: str, option: str) -> str | None:
        try:
            return terraform_text(output.stacks[name])
        except (OSError, ValueError) as error:
            problems.append(f"{option} {output.folder}: {output.stacks[name]} is not JSON ({error}); allowed: "
                            "the Terraform JSON cdktf synthesizes")
            return None

    added = sorted(set(head.stacks) - set(base.stacks))
    removed = sorted(set(base.stacks) - set(head.stacks))
    changed, unchanged = [], []
    for name in sorted(set(base.stacks) & set(head.stacks)):
        before, after = text(base, name, "--base"), text(head, name, "--outdir")
        (unchanged if before == after else changed).append(name)
    if problems:
        raise StackSelectionError(problems)
    return StackChangeSet(tuple(added), tuple(changed), tuple(removed), tuple(unchanged))


def shard_specs(count: int, shard_size: int) -> list[str]:
    """`i/n` for each shard of at most `shard_size` of `count` stacks (none when there is nothing to plan)."""
    shards = math.ceil(count / shard_size) if count else 0
    return [f"{index}/{shards}" for index in range(1, shards + 1)]


def parse_shard(text: str) -> tuple[int, int] | None:
    """(i, n) from "i/n" with 1 <= i <= n; None when `text` is not that."""
    index_text, sep, count_text = text.partition("/")
    if not (sep and index_text.isdigit() and count_text.isdigit()):
        return None
    index, count = int(index_text), int(count_text)
    return (index, count) if 1 <= index <= count else None


def shard_of(items: Sequence[Any], index: int, count: int) -> list[Any]:
    """The `index`-th (1-based) of `count` contiguous, near-equal slices of `items`: sizes differ by at most
    one, so `count` = ceil(len / size) shards never exceed `size`; consecutive stacks (one account's regions)
    stay together."""
    start = (index - 1) * len(items) // count
    end = index * len(items) // count
    return list(items[start:end])

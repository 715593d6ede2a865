"""Reading `terraform show -json PLANFILE` output into the plan model; anything else is a PlanFileError."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from guardduty_alerts.errors import PlanFileError

from .model import Change, StackChanges

_PLAN_ALLOWED = "the JSON that `terraform show -json PLANFILE` prints"


def _stack_name(path: Path) -> str:
    name = path.name
    for suffix in (".json", ".tfplan", ".plan"):
        name = name.removesuffix(suffix)
    return name


def load_plans(arguments: Iterable[str]) -> list[StackChanges]:
    """Read plan files given as `PATH` or `STACK=PATH`; raise one PlanFileError listing every bad file.

    The stack name defaults to the file name without `.json` / `.tfplan`. A file beside the plan with the
    same name and `.txt` instead of `.json` (`terraform show -no-color PLANFILE`) becomes the raw plan text.
    """
    plans: list[StackChanges] = []
    problems: list[str] = []
    for argument in arguments:
        name, sep, path_text = argument.partition("=")
        path = Path(path_text if sep else argument)
        name = name if sep else _stack_name(path)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            problems.append(f"{path}: cannot be read ({error.strerror or error}); allowed: {_PLAN_ALLOWED}")
            continue
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            problems.append(f"{path}: is not JSON ({error}); allowed: {_PLAN_ALLOWED}")
            continue
        problem = _plan_problem(document)
        if problem:
            problems.append(f"{path}: {problem}; allowed: {_PLAN_ALLOWED}")
            continue
        text_path = path.with_suffix(".txt")
        text = text_path.read_text(encoding="utf-8") if text_path != path and text_path.is_file() else None
        plans.append(StackChanges(name=name, plan=document, source=str(path), text=text))
    if not plans and not problems:
        problems.append(f"no plan files given; allowed: one or more files holding {_PLAN_ALLOWED}")
    if problems:
        raise PlanFileError(problems)
    return plans


def _plan_problem(document: object) -> str | None:
    if not isinstance(document, dict) or "format_version" not in document:
        kinds = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
        kind = kinds.get(type(document), "null")
        return f"a JSON {kind} without format_version is not a Terraform plan"
    if "planned_values" not in document:
        if "values" in document:
            return "is a Terraform state (terraform show -json without a plan file), not a plan"
        return "has no planned_values: not a Terraform plan"
    if document.get("errored") is True:
        return "Terraform reported errors while planning (errored: true); this plan is incomplete"
    changes = document.get("resource_changes", [])
    if not isinstance(changes, list) or not all(isinstance(c, dict) and "change" in c for c in changes):
        return "resource_changes is not a list of changes"
    return None


def plan_changes(plan: Mapping[str, Any]) -> list[Change]:
    result = []
    for item in plan.get("resource_changes", []):
        if item.get("mode", "managed") != "managed":
            continue
        change = item["change"]
        result.append(
            Change(
                address=item.get("address", "?"),
                type=item.get("type", "?"),
                actions=tuple(change.get("actions", ())),
                before=change.get("before") if isinstance(change.get("before"), dict) else None,
                after=change.get("after") if isinstance(change.get("after"), dict) else None,
                after_unknown=change.get("after_unknown") if isinstance(change.get("after_unknown"), dict) else {},
            )
        )
    return result



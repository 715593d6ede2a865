"""Reading `terraform show -json PLANFILE` output into the plan model; anything else is a PlanFileError."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from guardduty_alerts.errors import PlanFileError

from ..json_input import parse_json
from ..redaction import redact_plan
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
    plans, _not_planned = load_review(arguments)
    return plans


def load_review(arguments: Iterable[str], changed_stacks: str | None = None) -> tuple[list[StackChanges], int]:
    """The plans (as `load_plans`) and, with the output of `changed-stacks --json` (`changed_stacks`), the
    number of stacks it found unchanged, which were not planned. Every stack it lists as added, changed or
    removed must have a plan: a missing one means a plan job failed or its files were not collected. One
    PlanFileError lists every problem of every file."""
    plans, problems = _read_plans(arguments)
    not_planned = 0
    if changed_stacks is not None:
        not_planned, changed_problems = _check_changed_stacks(Path(changed_stacks), plans, problems)
        problems += changed_problems
    elif not plans and not problems:
        problems.append(f"no plan files given; allowed: one or more files holding {_PLAN_ALLOWED}")
    if problems:
        raise PlanFileError(problems)
    return plans, not_planned


def _read_plans(arguments: Iterable[str]) -> tuple[list[StackChanges], list[str]]:
    plans: list[StackChanges] = []
    problems: list[str] = []
    for argument in arguments:
        name, sep, path_text = argument.partition("=")
        path = Path(path_text if sep else argument)
        name = name if sep else _stack_name(path)
        try:
            document = parse_json(path.read_text(encoding="utf-8"))
        except OSError as error:
            problems.append(f"{path}: cannot be read ({error.strerror or error}); allowed: {_PLAN_ALLOWED}")
            continue
        except ValueError as error:
            problems.append(f"{path}: is not JSON ({error}); allowed: {_PLAN_ALLOWED}")
            continue
        problem = _plan_problem(document)
        if problem:
            problems.append(f"{path}: {problem}; allowed: {_PLAN_ALLOWED}")
            continue
        text_path = path.with_suffix(".txt")
        text = text_path.read_text(encoding="utf-8") if text_path != path and text_path.is_file() else None
        # `main.py plan` writes plans already redacted; a plan made by hand (`terraform show -json`) is not,
        # and the comment must not show its secrets either.
        redaction = redact_plan(document, in_place=True)
        text = redaction.text(text) if text is not None else None
        account, region = provider_identity(redaction.plan)
        plans.append(
            StackChanges(name=name, plan=redaction.plan, source=str(path), text=text, account=account, region=region)
        )
    return plans, problems


_CHANGED_ALLOWED = "the JSON that `main.py changed-stacks --json` prints"
_CHANGE_KEYS = ("added", "changed", "removed", "unchanged")


def _names_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(name, str) for name in value)


def _check_changed_stacks(
    path: Path, plans: Sequence[StackChanges], plan_problems: Sequence[str]
) -> tuple[int, list[str]]:
    try:
        document = parse_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        return 0, [f"{path}: cannot be read ({error.strerror or error}); allowed: {_CHANGED_ALLOWED}"]
    except ValueError as error:
        return 0, [f"{path}: is not JSON ({error}); allowed: {_CHANGED_ALLOWED}"]
    lists = {key: document.get(key) if isinstance(document, dict) else None for key in _CHANGE_KEYS}
    bad = [key for key, names in lists.items() if not _names_list(names)]
    if bad:
        return 0, [f"{path}: {', '.join(bad)}: not a list of stack names; allowed: {_CHANGED_ALLOWED}"]
    if plan_problems:
        return 0, []  # which plans are missing is unknown while some cannot be read
    planned = {plan.name for plan in plans}
    problems = [
        f"{path}: stack {name} is {key}, but no plan of it is given; allowed: a plan file for every stack that "
        "changed-stacks lists as added, changed or removed"
        for key in ("added", "changed", "removed")
        for name in sorted(lists[key])
        if name not in planned
    ]
    return len(lists["unchanged"]), problems


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
    if not isinstance(changes, list) or not all(_is_change(c) for c in changes):
        return "resource_changes is not a list of changes"
    configuration = document.get("configuration", {})
    if not isinstance(configuration, dict) or not all(
        isinstance(configuration.get(key, {}), dict) for key in ("root_module", "provider_config")
    ):
        return "configuration is not a mapping with root_module and provider_config mappings"
    return None


def _is_change(item: object) -> bool:
    """Shaped as Terraform writes a resource change (what the summary reads of it), whatever the values."""
    if not isinstance(item, dict) or not isinstance(item.get("change"), dict):
        return False
    actions = item["change"].get("actions", [])
    texts = all(isinstance(item.get(key, ""), str) for key in ("address", "type", "mode"))
    return texts and isinstance(actions, list) and all(isinstance(action, str) for action in actions)


def provider_identity(plan: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(account, region) of the plan's default AWS provider, from its configuration: the one account of
    `allowed_account_ids` and `region`, when they are constants (None otherwise)."""
    providers = (plan.get("configuration") or {}).get("provider_config") or {}
    config = providers.get("aws") if isinstance(providers, dict) else None
    expressions = config.get("expressions") if isinstance(config, dict) else None
    if not isinstance(expressions, dict):
        return None, None

    def constant(key: str) -> Any:
        value = expressions.get(key)
        return value.get("constant_value") if isinstance(value, dict) else None

    accounts, region = constant("allowed_account_ids"), constant("region")
    one_account = isinstance(accounts, list) and len(accounts) == 1 and isinstance(accounts[0], str)
    return (accounts[0] if one_account else None), (region if isinstance(region, str) else None)


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
                importing=isinstance(change.get("importing"), dict),
            )
        )
    return result

"""Which resource each expression of a plan references: how the summary links resources whose ARNs are not known
until they are created (the plan's `configuration` section)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["configuration_references"]


def configuration_references(plan: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Resource address (without instance keys) -> attribute -> the addresses its expression references,
    from the plan's `configuration` section (root module and module calls)."""
    found: dict[str, dict[str, list[str]]] = {}

    def walk(module: object, prefix: str) -> None:
        if not isinstance(module, Mapping):
            return
        for resource in module.get("resources") or []:
            if not isinstance(resource, Mapping) or not isinstance(resource.get("address"), str):
                continue
            expressions = resource.get("expressions")
            if not isinstance(expressions, Mapping):
                continue
            found[prefix + resource["address"]] = {
                key: [prefix + ref for ref in value["references"] if isinstance(ref, str)]
                for key, value in expressions.items()
                if isinstance(value, Mapping) and isinstance(value.get("references"), list)
            }
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, Mapping):
                walk(call.get("module"), f"{prefix}module.{name}.")

    walk((plan.get("configuration") or {}).get("root_module"), "")
    return found

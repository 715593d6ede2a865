"""cdktf's manifest.json, merged from the manifests of several synthesis workers and written as cdktf writes it.

cdktf 0.21.0 writes `{"stacks": {<name>: {...}}, "version": "0.21.0"}` with the npm package
json-stable-stringify (`stringify(manifest, {space: 2})`): keys sorted, two-space indentation, an empty list or
object still broken over two lines (`[` newline, indentation, `]`), no newline at the end. Each stack's entry
depends on that stack alone, so the manifest of a one-process synth is the union of the workers' entries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from guardduty_alerts.errors import SynthError

__all__ = ["merge_manifests", "render_manifest"]

_INDENT = "  "


def merge_manifests(manifests: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One manifest holding every stack of `manifests` (each a parsed manifest.json of one worker)."""
    versions = sorted({str(manifest.get("version")) for manifest in manifests})
    if len(versions) != 1:
        raise SynthError([f"the workers' manifests name different cdktf versions ({', '.join(versions)})"])
    stacks: dict[str, Any] = {}
    for manifest in manifests:
        for name, entry in manifest["stacks"].items():
            if name in stacks:
                raise SynthError([f"stack {name} was synthesized by two workers"])
            stacks[name] = entry
    return {"stacks": stacks, "version": versions[0]}


def render_manifest(manifest: Mapping[str, Any]) -> str:
    """The text cdktf writes for `manifest` (see the module docstring), byte for byte."""
    return _render(manifest, 0)


def _render(value: Any, level: int) -> str:
    indent = "\n" + _INDENT * level
    if isinstance(value, Mapping):
        # JavaScript's default sort compares UTF-16 code units, which orders astral characters differently
        # from Python's code points.
        keys = sorted(value, key=lambda key: str(key).encode("utf-16-be"))
        items = [f"{indent}{_INDENT}{_string(str(key))}: {_render(value[key], level + 1)}" for key in keys]
        return "{" + ",".join(items) + indent + "}"
    if isinstance(value, (list, tuple)):
        items = [f"{indent}{_INDENT}{_render(item, level + 1)}" for item in value]
        return "[" + ",".join(items) + indent + "]"
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    # cdktf's manifest holds no fractional numbers; JavaScript and Python write some of them differently.
    raise TypeError(f"{value!r} ({type(value).__name__}) is not written here as JavaScript would write it")


def _string(value: str) -> str:
    # JSON.stringify escapes quotes, backslashes and control characters (lowercase \u00xx), nothing else.
    return json.dumps(value, ensure_ascii=False)


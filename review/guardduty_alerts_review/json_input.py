"""JSON files given to the review commands (events, plans, synth output), parsed with a bound on nesting.

Python's parser recurses once per level and stops with a RecursionError near a thousand levels, and the code
that walks a document afterwards recurses as well. No file these commands read nests deeper than a few dozen
levels (a Terraform plan of this project: under 20), so anything deeper than MAX_JSON_DEPTH is refused as
not what was asked for, with a ValueError the caller reports beside the file's name, like any other JSON
that cannot be used.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "parse_json"]

MAX_JSON_DEPTH = 100


def parse_json(text: str) -> Any:
    """`json.loads(text)`; ValueError (json.JSONDecodeError for bad syntax) when it is not JSON or nests deeper
    than MAX_JSON_DEPTH levels."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    depth = _depth(document)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested {depth} levels deep, more than {MAX_JSON_DEPTH}")
    return document


def _depth(document: Any) -> int:
    # Iterative: the depth is what is being measured.
    deepest = 0
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
    return deepest

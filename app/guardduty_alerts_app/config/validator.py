"""The JSON Schema validator of the configuration file: draft 2020-12, with two keywords made strict.

- `pattern`: JSON Schema searches (`re.search`), and Python's `$` also matches before a final line break, so
  `^...$` accepted "name\n", which YAML's `|` and `>` blocks produce. Here a string must match whole.
- `type`: YAML's `.nan` and `.inf` are floats, which every `minimum`/`maximum` comparison lets through (a nan
  compares false both ways). Here a number must be finite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, ValidationError

__all__ = ["ConfigValidator"]


def _whole_pattern(validator: Any, pattern: str, instance: object, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if isinstance(instance, str) and re.search(pattern, instance) and instance == instance.rstrip("\n"):
        return
    if isinstance(instance, str):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _is_finite_number(checker: object, instance: object) -> bool:
    return Draft202012Validator.TYPE_CHECKER.is_type(instance, "number") and not (
        isinstance(instance, float) and not math.isfinite(instance)
    )


ConfigValidator = jsonschema.validators.extend(
    Draft202012Validator,
    {"pattern": _whole_pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("number", _is_finite_number),
)

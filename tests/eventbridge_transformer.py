"""EventBridge's input transformer as AWS documents it, for tests: what a target receives for an event.

Written from the EventBridge user guide, "Amazon EventBridge input transformation" (its examples and the
section "Common Issues with transforming input") and the API reference of InputTransformer:

- each `<name>` of the template whose name is a key of InputPathsMap becomes the value at that JSON path;
- "EventBridge doesn't escape values extracted by Input Path, when populating the Input Template": a string
  value is inserted as it is, quotes, backslashes and line breaks included;
- a placeholder outside quotes in a JSON template (one surrounded by curly braces) takes the value as a JSON value: the guide's example turns
  `{"instance": <instance>}` into `{"instance": "i-0123456789"}`, so a string gets quotes around it (still
  unescaped, by the rule above) and a number stays a number;
- "If a JSON path references a JSON object or array, but the variable is referenced in a string, EventBridge
  removes any internal quotes to ensure a valid string";
- "If you specify a variable to match a JSON path that doesn't exist in the event, then that variable isn't
  created and won't appear in the output": nothing is inserted.

The escaping rule is what makes a JSON body break on a finding's free text; nothing here is more forgiving
than the guide, so a template that renders to valid JSON here for hostile values does so on AWS as well.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MISSING", "json_path", "render"]

MISSING = object()
_STEP = re.compile(r"\.([A-Za-z0-9_\-/]+)|\[(\d+)\]")


def json_path(event: Any, path: str) -> Any:
    """The value at `$.a.b[0].c` in `event`, or MISSING."""
    if not path.startswith("$"):
        raise ValueError(path)
    value = event
    position = 1
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            raise ValueError(f"unsupported path {path!r}")
        key, index = step.groups()
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                return MISSING
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return MISSING
            value = value[int(index)]
        position = step.end()
    return value


def _text(value: Any, *, in_string: bool, json_template: bool) -> str:
    if value is MISSING:
        return ""
    if isinstance(value, str):
        # Unescaped, in either position; quoted when it stands for a JSON value of a JSON template.
        return value if in_string or not json_template else f'"{value}"'
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False)
        return text.replace('"', "") if in_string else text
    return json.dumps(value)


def render(template: str, paths: dict[str, str], event: Any) -> str:
    """The target's input for `event`. Whether a placeholder is inside a JSON string is read from the
    template's own quotes, as written (escaped quotes in the template do not end a string). A template that
    is a JSON object or array (the API reference: "If InputTemplate is a JSON object (surrounded by curly
    braces)") gives unquoted string placeholders quotes; a text template takes them as they are."""
    json_template = template.lstrip().startswith(("{", "["))
    out: list[str] = []
    in_string = False
    position = 0
    while position < len(template):
        char = template[position]
        if char == "\\" and in_string:
            out.append(template[position : position + 2])
            position += 2
            continue
        if char == '"':
            in_string = not in_string
        elif char == "<":
            end = template.find(">", position)
            name = template[position + 1 : end] if end != -1 else ""
            if name in paths:
                out.append(_text(json_path(event, paths[name]), in_string=in_string, json_template=json_template))
                position = end + 1
                continue
        out.append(char)
        position += 1
    return "".join(out)

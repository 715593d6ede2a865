"""The one way the configuration file is read: PyYAML's safe loader, bounded, with YAML's surprises explained.

Bounds, each reported as one problem with the file's name:

- the file: at most MAX_CONFIG_BYTES (1 MiB; the largest example is a few KB, an estate of a thousand accounts
  about 200 KB);
- nesting: at most MAX_DEPTH levels, as written and as expanded through aliases (the deepest setting,
  a value in `accounts[0].suppression_rules[0].criteria.type.equals`, is at level 9);
- aliases: at most MAX_ALIAS_NODES nodes reached through `*alias` beyond what is written, so that a kilobyte
  of nested aliases (the "billion laughs") is refused instead of expanding to gigabytes; an alias inside the
  node it names is refused too.

What YAML 1.1 reads differently from what was meant:

- merge keys (`<<: *defaults`) are supported, a key written next to `<<` wins over the merged one;
- timestamps (`2026-01-01T00:00:00Z` unquoted) stay the text written, the form the settings take;
- a key that is not text (a number, `true`, a list, a mapping) is a problem naming its line; a mapping used
  as a key where the text starts with `{{` is an unrendered template placeholder and is called that;
- a number keeps the text it was written as (`WrittenInt.written`), so that a message can say that an
  unquoted `012345670123` was read as the octal number 1402433619 and should be quoted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from guardduty_alerts.errors import ConfigError

__all__ = ["MAX_ALIAS_NODES", "MAX_CONFIG_BYTES", "MAX_DEPTH", "WrittenInt", "read_yaml"]

MAX_CONFIG_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_ALIAS_NODES = 10_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class WrittenInt(int):
    """An integer read from the file, with the text it was written as (`0o17`, `012`, `1_000`, `1:30`)."""

    written: str

    def __new__(cls, value: int, written: str) -> WrittenInt:
        number = super().__new__(cls, value)
        number.written = written
        return number


def _where(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


class _LoadRefused(Exception):
    """A bound was exceeded while reading: one problem, raised before anything else is looked at."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with the bounds and explanations of this module's docstring. Problems with keys are
    collected (every one is reported); a bound stops the reading at once."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[str] = []
        self._depth = 0
        # Every alias as written: its name, where, and the node it stands for.
        self._aliases: list[tuple[str, yaml.Mark, yaml.Node]] = []

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = super().compose_node(parent, index)
            self._aliases.append((str(event.anchor), event.start_mark, node))
            return node
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _LoadRefused(
                    f"{_where(self.peek_event().start_mark)}nested more than {MAX_DEPTH} levels deep; allowed: at "
                    f"most {MAX_DEPTH} levels (a configuration needs fewer than 10)"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        self._check_aliases(node)
        return self.construct_document(node)

    def _check_aliases(self, root: yaml.Node) -> None:
        """Refuse an alias inside the node it names, and documents that aliases make too large or too deep."""
        if not self._aliases:
            return
        sizes = _expanded_sizes(root, self._aliases)
        written = len(sizes)
        total, depth = sizes[id(root)]
        if total - written > MAX_ALIAS_NODES:
            name, mark, node = max(self._aliases, key=lambda alias: sizes[id(alias[2])][0])
            raise _LoadRefused(
                f"{_where(mark)}alias *{name} stands for {sizes[id(node)][0]} values, and the aliases of the file "
                f"add {total - written} in all; allowed: at most {MAX_ALIAS_NODES} values added through aliases"
            )
        if depth > MAX_DEPTH:
            name, mark, _ = self._aliases[0]
            raise _LoadRefused(
                f"{_where(mark)}through its aliases (*{name}, ...) the file is nested {depth} levels deep; allowed: "
                f"at most {MAX_DEPTH} levels"
            )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _expanded_sizes(root: yaml.Node, aliases: list[tuple[str, yaml.Mark, yaml.Node]]) -> dict[int, tuple[int, int]]:
    """For every node (by id): how many values it stands for with every alias expanded, and how deep it is.
    Iterative, since the expanded depth is what is being measured; a node met again while it is being
    expanded is an alias inside the node it names."""
    sizes: dict[int, tuple[int, int]] = {}
    expanding: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            expanding.discard(key)
            children = [sizes[id(child)] for child in _children(node)]
            sizes[key] = (1 + sum(size for size, _ in children), 1 + max((depth for _, depth in children), default=0))
            continue
        if key in sizes:
            continue
        if key in expanding:
            name, mark = next(((name, mark) for name, mark, target in aliases if target is node), ("?", None))
            raise _LoadRefused(
                f"{_where(mark)}alias *{name} is inside the value it names, which would make it endless; allowed: "
                "an alias of a value defined before it and outside it"
            )
        expanding.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes


def _key_problem(key_node: yaml.Node, key: object, parent: yaml.MappingNode) -> str:
    where = _where(key_node.start_mark)
    if isinstance(key_node, yaml.MappingNode) and _text_at(parent.start_mark, 2) == "{{":
        return (
            f"{where}{{{{ ... }}}} is a template placeholder that was not filled in (YAML reads it as a mapping "
            "inside a mapping); the file looks like a template: render it first, or quote the value; allowed: "
            "a configuration file"
        )
    if isinstance(key_node, (yaml.MappingNode, yaml.SequenceNode)):
        kind = "mapping" if isinstance(key_node, yaml.MappingNode) else "list"
        return f"{where}a key is a {kind}; allowed: keys that are text"
    written = key_node.value
    if isinstance(key, bool):
        read = f"the boolean {str(key).lower()}"
    elif isinstance(key, (int, float)):
        read = f"the number {int(key) if isinstance(key, int) else key}"
    elif key is None:
        read = "null (no key)"
    else:
        read = f"a {type(key).__name__}"  # binary, a set: tags YAML has beyond these
    return (
        f"{where}the key {written or '(empty)'} is read as {read}, not as text; allowed: keys that are text (write "
        f'it in quotes: "{written}")'
    )


def _text_at(mark: yaml.Mark | None, length: int) -> str:
    buffer = getattr(mark, "buffer", None)
    return buffer[mark.pointer : mark.pointer + length] if isinstance(buffer, str) and mark is not None else ""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    # Keys written in this mapping (not merged ones): each at most once, each text. A merged key that is also
    # written here is overridden, as YAML's merge keys specify.
    seen: set[str] = set()
    kept = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            kept.append((key_node, value_node))
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            loader.problems.append(_key_problem(key_node, key, node))
            continue
        if key in seen:
            loader.problems.append(
                f"{_where(key_node.start_mark)}key {key!r} is given twice in one mapping; allowed: each key once"
            )
            continue
        seen.add(key)
        kept.append((key_node, value_node))
    node.value = kept
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str):  # merged mappings' keys were checked when those were read
            mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    return WrittenInt(yaml.SafeLoader.construct_yaml_int(loader, node), node.value)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> str:
    # The settings take timestamps as text (GuardDuty filter criteria, for one): keep what was written.
    return str(node.value)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def read_yaml(path: Path, *, not_found: str) -> object:
    """The document in `path`, read with every bound and check of this module; ConfigError otherwise, with the
    problem `not_found` when there is no such file."""
    source = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([not_found], source=source) from None
    except OSError as error:
        raise ConfigError([f"cannot read the file: {error.strerror or error}"], source=source) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            [f"the file is larger than {MAX_CONFIG_BYTES} bytes (1 MiB); allowed: a file of at most 1 MiB"],
            source=source,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            [f"byte offset {error.start} is not UTF-8 text; allowed: a UTF-8 encoded YAML file"], source=source
        ) from None
    loader = _Loader(text)
    try:
        document = loader.get_single_data()
    except _LoadRefused as refused:
        raise ConfigError([str(refused)], source=source) from None
    except yaml.YAMLError as error:
        raise ConfigError([_yaml_problem(error)], source=source) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise ConfigError(sorted(set(loader.problems), key=_line_order), source=source)
    return document


def _line_order(problem: str) -> tuple[int, int, str]:
    # "line 12, column 3: ..." sorts by line number, not as text (line 12 after line 9).
    head = problem.split(":", 1)[0].replace("line ", "").replace(" column ", "").split(",")
    try:
        return int(head[0]), int(head[1]), problem
    except (ValueError, IndexError):
        return 0, 0, problem


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    detail = f"{problem} ({context})" if context else problem
    line = _line_at(mark)
    if "{%" in line or "{{" in line:
        detail += "; the line looks like a template ({{ ... }}, {% ... %}): render the file first"
    return f"{_where(mark)}not valid YAML: {detail}"


def _line_at(mark: yaml.Mark | None) -> str:
    buffer = getattr(mark, "buffer", None)
    if not isinstance(buffer, str) or mark is None:
        return ""
    start = buffer.rfind("\n", 0, mark.pointer) + 1
    end = buffer.find("\n", mark.pointer)
    return buffer[start : end if end >= 0 else len(buffer)]

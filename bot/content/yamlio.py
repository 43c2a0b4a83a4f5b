"""A YAML loader fit for hand-edited content.

Two changes from PyYAML's SafeLoader, both because content authors are not YAML experts:
- YAML 1.2 booleans: only true/false are booleans, so `yes`, `no`, `on`, `off` stay words
  (PyYAML follows YAML 1.1, where a lexicon list `[はい, yes]` would silently hold True).
- a key repeated in one mapping is an error with its line, instead of the last one silently winning.
- a `ja:` text written as a folded block (`>`/`>-`) is an error: folding joins lines with a space,
  which Japanese does not have (「…影響と、 どのくらいで…」). Use one quoted line or `|-`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentYamlError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class ContentLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


# Drop the YAML 1.1 bool resolver and put back one that knows only true/false.
ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.copy().items()
}
ContentLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise ContentYamlError(
                f"duplicate key {key!r} (line {key_node.start_mark.line + 1})",
                key_node.start_mark.line + 1,
            )
        if key == "ja" and isinstance(value_node, yaml.ScalarNode) and value_node.style == ">":
            line = value_node.start_mark.line + 1
            raise ContentYamlError(
                f"Japanese text folded with '>' (line {line}): folding puts a space at every line break; "
                "write it on one quoted line", line,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


ContentLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Load one content file; raise ContentYamlError with the line for a syntax or key error."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentYamlError(f"not UTF-8 text: {exc}") from None
    try:
        return yaml.load(text, Loader=ContentLoader)  # noqa: S506 - ContentLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ContentYamlError(f"YAML syntax: {exc.problem} (line {line})", line) from None

"""YAML loading that remembers the line of every mapping, so problems can point at it.

Whatever the text, loading raises nothing but `yaml.YAMLError`: an impossible date
(`2026-02-30`, which PyYAML's own constructor lets escape as `ValueError`) and nesting too
deep to build become YAML errors with a line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.knowledge.problems import Problem

LINE = "__line__"
MAX_FLOW_DEPTH = 64  # PyYAML's scanner is quadratic in [ { nesting: 5,000 levels take seconds
_BRACKET = re.compile(r"[\[\]{}]")


class _SafeLoader(yaml.SafeLoader):
    pass


class _LineLoader(_SafeLoader):
    pass


def _timestamp(loader: _SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a valid date ({exc})", node.start_mark
        ) from None


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _load(text: str, loader: type[_SafeLoader]) -> Any:
    if _flow_depth(text) > MAX_FLOW_DEPTH:
        raise yaml.YAMLError(f"brackets nested more than {MAX_FLOW_DEPTH} levels deep")
    try:
        return yaml.load(text, Loader=loader)
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None


def _flow_depth(text: str) -> int:
    """How deep `[` and `{` nest (quotes ignored: a bracket in a string only over-counts)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


def safe_load(text: str) -> Any:
    """`yaml.safe_load` that raises nothing but `yaml.YAMLError`."""
    return _load(text, _SafeLoader)


def load_yaml(path: str, text: str) -> tuple[Any, list[Problem]]:
    """Parse YAML; a syntax error becomes one problem with its line."""
    try:
        return _load(text, _LineLoader), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = str(getattr(exc, "problem", None) or exc).strip()
        return None, [Problem(path, (mark.line + 1) if mark else 1, f"invalid YAML: {reason}")]


def line_of(record: Any, default: int = 1) -> int:
    return record.get(LINE, default) if isinstance(record, dict) else default

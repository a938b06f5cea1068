"""YAML loading that remembers the line of every mapping, so problems can point at it."""

from __future__ import annotations

from typing import Any

import yaml

from bot.knowledge.problems import Problem

LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    pass


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_yaml(path: str, text: str) -> tuple[Any, list[Problem]]:
    """Parse YAML; a syntax error becomes one problem with its line."""
    try:
        return yaml.load(text, Loader=_LineLoader), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = str(getattr(exc, "problem", None) or exc).strip()
        return None, [Problem(path, (mark.line + 1) if mark else 1, f"invalid YAML: {reason}")]


def line_of(record: Any, default: int = 1) -> int:
    return record.get(LINE, default) if isinstance(record, dict) else default

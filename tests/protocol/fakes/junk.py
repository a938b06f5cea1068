"""Hypothesis strategies for malformed request bodies: raw bytes, any JSON, deep nesting,
and well-formed payloads with some of their fields removed or replaced by wrong values."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

# Strings as JSON can carry them: any code point, lone surrogates included (`\ud800`).
texts = st.text(st.characters(codec=None, exclude_categories=()), max_size=40) | st.sampled_from(
    ["\ud800", "a\udfffb", "", " ", "\x00", "NaN", "9" * 400, "<at>bot</at>"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**300), max_value=10**300)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


nested = st.builds(
    lambda depth, opener: (opener * depth).encode(),  # unterminated
    st.integers(min_value=30, max_value=50_000),
    st.sampled_from(["[", '{"a":']),
) | st.integers(min_value=30, max_value=5_000).map(lambda n: ("[" * n + "]" * n).encode())
raw_bodies = (
    st.binary(max_size=200)
    | json_values.map(dumps)
    | nested
    | st.sampled_from(
        [b"", b"null", b"[]", b"{}", b"NaN", b'{"type": NaN}', b"\xff\xfe", b'{"a": 1e999}']
    )
)


Path = tuple[str | int, ...]  # keys of objects, indexes of lists


@st.composite
def mutated(
    draw: st.DrawFn, bases: Sequence[dict[str, Any]], paths: Sequence[Path]
) -> dict[str, Any]:
    """One of `bases` with one to three fields (at `paths`) removed or replaced."""
    body = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths))
        parent: Any = body
        for key in path[:-1]:
            parent = _child(parent, key)
        last, remove = path[-1], draw(st.booleans())
        if isinstance(parent, dict) and isinstance(last, str):
            if remove:
                parent.pop(last, None)
            else:
                parent[last] = draw(json_values)
        elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
            if remove:
                del parent[last]
            else:
                parent[last] = draw(json_values)
    return body


def _child(node: Any, key: str | int) -> Any:
    if isinstance(node, dict) and isinstance(key, str):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None

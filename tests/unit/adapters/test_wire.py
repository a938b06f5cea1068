"""Reading an untrusted body: plain JSON within bounds, or one clear reason why not."""

from __future__ import annotations

import pytest

from adapters.wire import MAX_DEPTH, MalformedBody, parse_json


def test_a_well_formed_body_reads_as_plain_json() -> None:
    assert parse_json(b'{"type": "message", "text": "caf\\u00e9", "n": [1, 2.5, null]}') == {
        "type": "message",
        "text": "café",
        "n": [1, 2.5, None],
    }


def test_nesting_up_to_the_bound_is_fine() -> None:
    depth = MAX_DEPTH
    assert parse_json("[" * depth + "]" * depth) is not None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), f"deeper than {MAX_DEPTH}"),
        (b"[" * 100_000 + b"]" * 100_000, f"deeper than {MAX_DEPTH}"),
        (b'{"a": ' * 100_000, "JSON"),
        (b'{"text": "\\ud800"}', "lone surrogate"),
        (b'{"\\udfff": 1}', "lone surrogate"),
        (b'{"amount": NaN}', "NaN is not a JSON number"),
        (b"[Infinity]", "Infinity is not a JSON number"),
        (b"9" * 5000, "not valid JSON"),
    ],
)
def test_a_malformed_body_is_refused_with_a_one_line_reason(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedBody, match=reason) as refused:
        parse_json(body)
    assert "\n" not in str(refused.value)

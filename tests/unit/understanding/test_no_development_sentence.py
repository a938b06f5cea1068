"""No development sentence is copied into what the bot learns or is written from.

The development conversations (../shared/data/conversations-dev and conversations-dev2) measure
the bot; an example, a counter-example or a code string or comment that is a near-copy of one
of their sentences makes that measure flatter the bot. This test reads every customer/agent
turn of both sets, normalises case, accents and punctuation, and compares word sets: a
sentence of six words or more whose word-Jaccard with a candidate is 0.8 or more is an
offender. Candidates are every string of the intent examples (bot/understanding/examples),
the sample escalation file (knowledge/escalation.yaml) and every string literal and comment
of bot/ and adapters/, whole, sentence by sentence and each quoted fragment.

Tests may quote development sentences (regression tests); they are not scanned. Knowledge
articles' FAQ headings may match a question and are not scanned either.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SHARED_DATA

DEV_SETS = (
    SHARED_DATA / "conversations-dev" / "conversations.jsonl",
    SHARED_DATA / "conversations-dev2" / "conversations.jsonl",
)
MIN_WORDS = 6
THRESHOLD = 0.8

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n|\s*\n(?=\s*[-*•])")
# A quotation may wrap over comment lines.
_QUOTED = re.compile(r"\"([^\"]{1,300})\"|“([^”]+)”|«([^»]+)»|(?<![\w])'([^'\n]{8,}?)'(?![\w])")


def words(text: str) -> frozenset[str]:
    """Lower case, accents dropped, anything but letters and digits a separator."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return frozenset(re.findall(r"[^\W_]+", plain))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def fragments(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece): the text, each of its sentences and each quoted fragment."""
    yield 0, text
    start = 0
    for match in _SENTENCE_END.finditer(text):
        yield start, text[start : match.start()]
        start = match.end()
    yield start, text[start:]
    for match in _QUOTED.finditer(text):
        yield match.start(), next(g for g in match.groups() if g is not None)


def dev_sentences(path: Path) -> Iterator[tuple[str, str]]:
    """(where, sentence) for every turn and every sentence of a turn of six words or more."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        for number, turn in enumerate(record["turns"], 1):
            where = f"{path.parent.name} {record.get('id')} #{number}"
            for _, piece in fragments(str(turn["say"])):
                if len(words(piece)) >= MIN_WORDS:
                    yield where, piece


def _yaml_strings(path: Path) -> Iterator[tuple[int, str]]:
    stack = [yaml.compose(path.read_text(encoding="utf-8"))]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if isinstance(node.value, str):
                yield node.start_mark.line + 1, node.value
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))


def _python_strings(path: Path) -> Iterator[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
    # Comments: consecutive comment lines are one text (a sentence may wrap).
    block: list[tuple[int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            line = token.start[0]
            if block and block[-1][0] != line - 1:
                yield from _comment_block(block)
                block = []
            block.append((line, token.string.lstrip("#").strip()))
    yield from _comment_block(block)


def _comment_block(block: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    if block:
        yield block[0][0], "\n".join(text for _, text in block)


def candidates() -> Iterator[tuple[str, int, str]]:
    """(file, line, text) of every string the scan covers."""
    sources: list[tuple[Path, Iterator[tuple[int, str]]]] = []
    for path in [*sorted((ROOT / "bot").rglob("*.yaml")), ROOT / "knowledge" / "escalation.yaml"]:
        sources.append((path, _yaml_strings(path)))
    for folder in ("bot", "adapters"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            sources.append((path, _python_strings(path)))
    for path, strings in sources:
        for line, text in strings:
            yield str(path.relative_to(ROOT)), line, text


def offenders() -> list[str]:
    dev: dict[frozenset[str], tuple[str, str]] = {}
    for path in DEV_SETS:
        for where, sentence in dev_sentences(path):
            dev.setdefault(words(sentence), (where, sentence))
    by_size: dict[int, list[frozenset[str]]] = {}
    for bag in dev:
        by_size.setdefault(len(bag), []).append(bag)
    found: dict[tuple[str, int], tuple[float, str]] = {}  # the closest pair per place
    for file, line, text in candidates():
        for offset, piece in fragments(text):
            bag = words(piece)
            if len(bag) < MIN_WORDS * THRESHOLD:
                continue
            for score, other in _near(bag, by_size):
                where, sentence = dev[other]
                at = line + text[:offset].count("\n")
                said = " ".join(piece.split())
                report = f"{file}:{at}: {said!r} ~ {sentence!r} ({where}, {score:.2f})"
                if score > found.get((file, at), (0.0, ""))[0]:
                    found[(file, at)] = (score, report)
    return [report for _, (_, report) in sorted(found.items())]


def _near(
    bag: frozenset[str], by_size: dict[int, list[frozenset[str]]]
) -> Iterator[tuple[float, frozenset[str]]]:
    """(score, development bag) of every bag at least THRESHOLD-similar to `bag`."""
    # Jaccard >= t needs t*|a| <= |b| <= |a|/t.
    low, high = int(len(bag) * THRESHOLD), int(len(bag) / THRESHOLD) + 1
    for size in range(max(low, MIN_WORDS), high + 1):
        for other in by_size.get(size, ()):
            score = jaccard(bag, other)
            if score >= THRESHOLD:
                yield score, other


def test_words_are_normalised() -> None:
    assert words("¿Cuándo VENCE la factura?") == {"cuando", "vence", "la", "factura"}
    assert jaccard(words("a b c d e f"), words("a b c d e g")) == pytest.approx(5 / 7)


@pytest.mark.skipif(
    not all(path.is_file() for path in DEV_SETS),
    reason=f"the development conversations are not at {SHARED_DATA} (shared data folder absent)",
)
def test_no_development_sentence_in_examples_or_code() -> None:
    found = offenders()
    assert not found, (
        f"{len(found)} near-copies (word-Jaccard >= {THRESHOLD}) of development sentences; "
        "rephrase them:\n" + "\n".join(found)
    )

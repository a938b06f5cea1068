"""Markdown articles: optional YAML front matter, then one passage per heading section.

Real-world Markdown (Microsoft Learn's front matter, tables, `> [!NOTE]` blocks, includes,
HTML comments) is reduced to readable text; structure that carries no words is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from bot.knowledge.problems import Problem, Severity
from bot.knowledge.yaml_lines import safe_load
from bot.types import Audience, Passage

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_INCLUDE = re.compile(r"\[!INCLUDE[^\]]*\]\([^)]*\)", re.IGNORECASE)
_ALERT = re.compile(r"^\s*>\s*\[!(NOTE|TIP|IMPORTANT|CAUTION|WARNING)\]\s*$", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
MAX_PASSAGE_WORDS = 180

_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    title: str | None
    audience: Audience
    tags: tuple[str, ...]
    language: str
    updated: str | None


def parse_markdown(path: str, text: str) -> tuple[list[Passage], list[Problem]]:
    """Split one article into passages; problems name the file and line."""
    problems: list[Problem] = []
    lines = text.splitlines()
    meta, body_start = _front_matter(path, lines, problems)
    sections = _sections(lines, body_start)
    title = meta.title or next((h for level, h, _, _ in sections if level == 1), None)
    if not title:
        title = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ").capitalize()
    passages: list[Passage] = []
    for _level, heading, line, body in sections:
        content = clean_text(body)
        if len(content.split()) < 3:
            continue  # a heading with nothing under it but sub-headings
        for chunk in split_long(content):
            passages.append(
                Passage(
                    id=f"{path}#{len(passages)}",
                    path=path,
                    title=title,
                    section=clean_text([heading]) if heading else title,
                    text=chunk,
                    audience=meta.audience,
                    line=line,
                    tags=meta.tags,
                    language=meta.language,
                )
            )
    if not passages:
        problems.append(Problem(path, 1, "article has no text to answer from", Severity.WARNING))
    return passages, problems


def split_long(text: str, max_words: int = MAX_PASSAGE_WORDS) -> list[str]:
    """Cut a long section at line boundaries into pieces the embedding model reads whole
    (all-MiniLM-L6-v2 truncates at 256 word pieces)."""
    lines: list[str] = []
    for line in text.splitlines():
        tokens = line.split()  # a single huge line (a wide table) is cut by words too
        lines.extend(" ".join(tokens[i : i + max_words]) for i in range(0, len(tokens), max_words))
    pieces: list[list[str]] = [[]]
    words = 0
    for line in lines:
        count = len(line.split())
        if pieces[-1] and words + count > max_words:
            pieces.append([])
            words = 0
        pieces[-1].append(line)
        words += count
    return ["\n".join(piece) for piece in pieces if piece]


def _front_matter(path: str, lines: list[str], problems: list[Problem]) -> tuple[FrontMatter, int]:
    default = FrontMatter(None, Audience.CUSTOMER, (), language_of_path(path), None)
    if not lines or lines[0].strip() != "---":
        return default, 0
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        problems.append(Problem(path, 1, "front matter is not closed with '---'"))
        return default, 0
    try:
        data = safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + (mark.line if mark else 0)
        problems.append(Problem(path, line, f"front matter is not valid YAML: {_yaml_reason(exc)}"))
        return default, end + 1
    if not isinstance(data, dict):
        problems.append(Problem(path, 2, "front matter must be a mapping of fields"))
        return default, end + 1
    audience_raw = str(data.get("audience", "customer")).strip().lower()
    try:
        audience = Audience(audience_raw)
    except ValueError:
        problems.append(
            Problem(
                path,
                _field_line(lines, end, "audience"),
                f"audience must be 'customer' or 'agent', not {audience_raw!r}",
            )
        )
        audience = Audience.AGENT  # unknown audiences stay internal: never leak by mistake
    tags = data.get("tags") or ()
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, (list, tuple)):
        problems.append(Problem(path, _field_line(lines, end, "tags"), "tags must be a list"))
        tags = ()
    title = data.get("title")
    return (
        FrontMatter(
            title=str(title).strip() if title else None,
            audience=audience,
            tags=tuple(str(t) for t in tags),
            language=_language(data, default.language),
            updated=str(data["updated"]) if data.get("updated") else None,
        ),
        end + 1,
    )


def language_of_path(path: str) -> str:
    """`refunds.es.md` is the Spanish version of `refunds.md`; anything else is English."""
    parts = path.rsplit("/", 1)[-1].split(".")
    code = parts[-2].lower() if len(parts) >= 3 else ""
    return code if len(code) == 2 and code.isalpha() else "en"


def _language(data: dict[str, Any], default: str) -> str:
    """`language: es`, else Microsoft Learn's `ms.contentlocale: es-ES`, else the file name's."""
    raw = data.get("language") or data.get("ms.contentlocale") or default
    return str(raw).strip().lower().split("-")[0] or default


def _field_line(lines: list[str], end: int, name: str) -> int:
    return next((i + 1 for i in range(1, end) if lines[i].startswith(f"{name}:")), 2)


def _yaml_reason(exc: yaml.YAMLError) -> str:
    return str(getattr(exc, "problem", None) or exc).strip()


def _sections(lines: list[str], start: int) -> list[tuple[int, str, int, list[str]]]:
    """(level, heading, 1-based line, body lines) per heading; text before any heading is
    the article's introduction (heading "")."""
    sections: list[tuple[int, str, int, list[str]]] = [(0, "", start + 1, [])]
    in_fence = False
    for index in range(start, len(lines)):
        line = lines[index]
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            sections.append((len(match.group(1)), match.group(2), index + 1, []))
        else:
            sections[-1][3].append(line)
    # The H1 section and the untitled introduction are one passage: the article's opening.
    if len(sections) > 1 and sections[1][0] == 1 and not "".join(sections[0][3]).strip():
        sections.pop(0)
    return sections


def clean_text(lines: list[str]) -> str:
    """Markdown to plain prose: links to their text, tables to `a; b` rows, no markup."""
    text = _COMMENT.sub("", "\n".join(lines))
    out: list[str] = []
    for raw in text.splitlines():
        if _FENCE.match(raw) or _TABLE_RULE.match(raw):
            continue
        if _ALERT.match(raw):
            out.append(raw.strip(" >[]!").capitalize() + ":")
            continue
        line = _INCLUDE.sub("", raw)
        line = _LINK.sub(r"\1", line)
        line = _TAG.sub("", line)
        line = _EMPHASIS.sub("", line)
        line = line.strip().lstrip(">").strip()
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            line = "- " + "; ".join(c for c in cells if c)  # a row reads as a list item
        line = re.sub(r"^([-*+]|\d+\.)\s+", "- ", line)
        out.append(line)
    paragraphs = re.split(r"\n\s*\n", "\n".join(out))
    return "\n".join(_join_paragraph(p) for p in paragraphs if p.strip())


def _join_paragraph(paragraph: str) -> str:
    """Wrapped lines become one line; list items (and table rows) keep a line each."""
    joined: list[str] = []
    for line in paragraph.splitlines():
        line = " ".join(line.split())
        if joined and not line.startswith("- "):
            joined[-1] = f"{joined[-1]} {line}".strip()
        elif line:
            joined.append(line)
    return "\n".join(joined)

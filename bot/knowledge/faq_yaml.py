"""Microsoft Learn's YAML FAQ pages (`### YamlMime:FAQ`): one passage per question."""

from __future__ import annotations

from typing import Any

from bot.knowledge.markdown import clean_text, split_long
from bot.knowledge.problems import Problem
from bot.types import Audience, Passage

FAQ_MARKER = "### YamlMime:FAQ"


def is_faq(text: str) -> bool:
    return text.lstrip().startswith(FAQ_MARKER)


def parse_faq(path: str, data: Any, text: str) -> tuple[list[Passage], list[Problem]]:
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        return [], [Problem(path, 1, "FAQ file has no 'sections' list")]
    metadata = data.get("metadata")
    title = str(
        data.get("title") or (metadata.get("title") if isinstance(metadata, dict) else "") or path
    )
    lines = text.splitlines()
    passages: list[Passage] = []
    problems: list[Problem] = []
    for section in data["sections"]:
        questions = section.get("questions") if isinstance(section, dict) else None
        for item in questions if isinstance(questions, list) else []:
            item = item if isinstance(item, dict) else {}
            question = " ".join(str(item.get("question", "")).split())
            answer = clean_text(str(item.get("answer", "")).splitlines())
            if not question or not answer:
                problems.append(Problem(path, 1, "FAQ entry without question or answer"))
                continue
            first = len(passages)
            passages.extend(
                Passage(
                    id=f"{path}#{first + index}",
                    path=path,
                    title=title,
                    section=question,
                    text=chunk,
                    audience=Audience.CUSTOMER,
                    line=_line_of(lines, question),
                )
                for index, chunk in enumerate(split_long(answer))
            )
    return passages, problems


def _line_of(lines: list[str], needle: str) -> int:
    probe = needle[:40]
    return next((i + 1 for i, line in enumerate(lines) if probe in line), 1)

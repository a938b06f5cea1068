"""`billing-bot eval`: retrieval quality per mode and the assistant's decisions, on labelled
questions `{"question", "gold_paths": [file names], "in_scope"}` (one JSON object a line).

Each question is read as the bot reads a customer's message: in the language it is written
in (`language_of`, the bot's detector), searched with that language's index and stemming,
its articles first and the others when the folder has none in it."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.answering.decide import Answerer
from bot.errors import BotError
from bot.retrieval.index import Mode
from bot.types import ReplyKind


@dataclass(frozen=True, slots=True)
class Question:
    question: str
    gold_paths: tuple[str, ...]
    in_scope: bool


def _records(
    path: Path, what: str, read: Callable[[dict[str, Any]], Question | None]
) -> list[Question]:
    """`read` applied to each JSON line of `path` (None: the line is left out); a line it
    cannot read is an error naming the file and line."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            question = read(json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BotError(f"{path}:{number}: not a {what} record ({exc})") from None
        if question is not None:
            questions.append(question)
    return questions


def load_questions(path: Path) -> list[Question]:
    def read(record: dict[str, Any]) -> Question:
        return Question(
            str(record["question"]),
            tuple(record.get("gold_paths") or ()),
            bool(record.get("in_scope", True)),
        )

    return _records(path, "question", read)


def load_out_of_scope(path: Path) -> list[Question]:
    """Messages the folder must not answer (`{"text"}` a line), as questions with no gold
    file. Lines marked for validation (a `split` ending in "val") are what tests measure and
    are left out, as are lines of another `intent` than "oos" (CLINC's banking intents)."""

    def read(record: dict[str, Any]) -> Question | None:
        text = str(record["text"])
        held = str(record.get("split", "")).endswith("val")
        return None if held or record.get("intent", "oos") != "oos" else Question(text, (), False)

    return _records(path, "message", read)


def file_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


LanguageOf = Callable[[str], str]


def _english(_text: str) -> str:
    return "en"


def score_retrieval(
    answerer: Answerer,
    questions: Sequence[Question],
    mode: Mode,
    language_of: LanguageOf = _english,
) -> dict[str, float]:
    """hit@1, hit@5 and MRR of the first passage from a gold file, over answerable questions."""
    answerable = [q for q in questions if q.gold_paths]
    hit1 = hit5 = reciprocal = 0.0
    for q in answerable:
        language = language_of(q.question)
        index = answerer.indexes.get(language, answerer.index)
        hits = index.search(q.question, k=50, mode=mode, include_agent=True, language=language)
        files = list(dict.fromkeys(file_of(h.passage.path) for h in hits))
        rank = next((i for i, f in enumerate(files) if f in q.gold_paths), None)
        if rank is not None:
            hit1 += rank == 0
            hit5 += rank < 5
            reciprocal += 1 / (rank + 1)
    n = max(len(answerable), 1)
    return {
        "hit@1": hit1 / n,
        "hit@5": hit5 / n,
        "mrr": reciprocal / n,
        "questions": len(answerable),
    }


def score_decisions(
    answerer: Answerer,
    questions: Sequence[Question],
    today: date,
    language_of: LanguageOf = _english,
) -> dict[str, Any]:
    """answered_precision: answers citing a gold file among all answers; coverage: answers
    citing a gold file among answerable questions; escalation_recall: questions with no gold
    file that were not answered; wrong: the answers that cite no gold file."""
    answered = correct = unanswerable = declined = 0
    wrong: list[dict[str, str]] = []
    for q in questions:
        language = language_of(q.question)
        reply = answerer.decide(q.question, None, today=today, language=language).reply
        is_answer = reply.kind is ReplyKind.ANSWER
        if is_answer:
            answered += 1
            right = any(file_of(c.path) in q.gold_paths for c in reply.citations)
            correct += right
            if not right:
                cited = ", ".join(file_of(c.path) for c in reply.citations) or "nothing"
                why = (
                    "answered a question with no answer in the folder"
                    if not q.gold_paths
                    else (f"cited {cited}, not {', '.join(q.gold_paths)}")
                )
                wrong.append({"question": q.question, "why": why})
        if not q.gold_paths:
            unanswerable += 1
            declined += not is_answer
    answerable = len(questions) - unanswerable
    return {
        "answered_precision": correct / answered if answered else 1.0,
        "coverage": correct / answerable if answerable else 1.0,
        "escalation_recall": declined / unanswerable if unanswerable else 1.0,
        "answered": answered,
        "total": len(questions),
        "wrong": wrong,
    }


def evaluate(
    answerer: Answerer,
    questions: Sequence[Question],
    today: date,
    language_of: LanguageOf = _english,
) -> dict[str, Any]:
    language_of = functools.cache(language_of)  # each question detected once, not per pass
    report: dict[str, Any] = {
        mode.value: score_retrieval(answerer, questions, mode, language_of) for mode in Mode
    }
    report["decisions"] = score_decisions(answerer, questions, today, language_of)
    report["languages"] = dict(Counter(language_of(q.question) for q in questions))
    return report

"""The labelled rows the answer gate learns from (`billing-bot train-gate`), and the gate fit
again without a fold's conversations (`eval --folds`).

A row is one time `decide` asked whether its best passage answers: the signals it measured,
and whether answering from that passage was right, which the labelled data says:
- a conversation turn: the turn accepts an answer, citing the article it names if it names
  one (a turn that wants a look-up, a ticket or "not sure" is wrong to answer);
- a labelled question: its best passage is from one of its gold files (a question with none
  is wrong to answer).
The rows are collected with the threshold rule deciding (`ThresholdRule`), so they do not
depend on an earlier fit of the gate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date

from bot.answering.decide import Answerer
from bot.answering.gate import AnswerGate, Gate, Recorder, Row, ThresholdRule
from bot.evaluation.conversations import Conversation, Expect, TurnResult
from bot.evaluation.questions import Question, file_of


def right_in_conversation(expect: Expect, path: str) -> bool:
    """Answering from `path` is right for a turn that accepts an answer citing it."""
    return "answer" in expect.kinds and (expect.cites is None or expect.cites in path)


def right_for_question(question: Question, path: str) -> bool:
    return question.in_scope and file_of(path) in question.gold_paths


@contextmanager
def gated(answerer: Answerer, gate: AnswerGate) -> Iterator[None]:
    """`answerer` deciding with `gate` for the length of the block."""
    before = answerer.gate
    answerer.gate = gate
    try:
        yield
    finally:
        answerer.gate = before


TurnsOf = Callable[[Conversation], Iterator[TurnResult]]


def conversation_rows(
    answerer: Answerer, turns_of: TurnsOf, conversations: Sequence[Conversation], source: str
) -> list[Row]:
    """The rows of every turn that asked the gate, grouped by conversation."""
    recorder = Recorder(ThresholdRule())
    rows: list[Row] = []
    with gated(answerer, recorder):
        for conversation in conversations:
            for result in turns_of(conversation):
                rows.extend(
                    Row(
                        signals,
                        right_in_conversation(result.expect, path),
                        conversation.id,
                        source,
                    )
                    for signals, path in recorder.take()
                )
    return rows


def question_rows(
    answerer: Answerer,
    questions: Sequence[Question],
    today: date,
    language_of: Callable[[str], str],
    source: str,
) -> list[Row]:
    """The rows of labelled questions asked with no customer, each its own group."""
    recorder = Recorder(ThresholdRule())
    rows: list[Row] = []
    with gated(answerer, recorder):
        for number, question in enumerate(questions, 1):
            language = language_of(question.question)
            answerer.decide(question.question, None, today=today, language=language)
            rows.extend(
                Row(signals, right_for_question(question, path), f"{source}:{number}", source)
                for signals, path in recorder.take()
            )
    return rows


def held_out(gate: AnswerGate, held: Sequence[Conversation]) -> AnswerGate:
    """The gate fit again without the `held` conversations' rows; a gate with no rows (the
    threshold rule) is the same gate."""
    if isinstance(gate, Gate) and gate.rows:
        return gate.without({conversation.id for conversation in held})
    return gate

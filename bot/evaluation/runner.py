"""The one evaluation runner: `billing-bot eval`, the model tests and the benchmarks run
questions and conversations through it, so they all measure the same bot.

The assistant is built once, on a throwaway database (`scratch`), and its answerer, language
detector and knowledge serve every conversation. Each conversation then gets its own clock,
pinned to the conversation's `today`, over that database: a run never touches real tickets,
and no copy of this loop can forget a part of the bot (the detector, the tenant).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.app import Assistant
from bot.evaluation.conversations import (
    Conversation,
    Handler,
    TurnResult,
    pinned_clock,
    run_conversation,
)
from bot.evaluation.folds import CrossValidation, fold_of
from bot.evaluation.gate_rows import gated, held_out
from bot.evaluation.questions import Question, evaluate
from bot.evaluation.summary import Summary
from bot.storage.database import Database
from bot.storage.stores import Storage

# Builds the assistant under evaluation on the storage it is given (the scratch database).
Build = Callable[[Storage], Assistant]
# Wraps a conversation's handler, e.g. to time each turn.
Wrap = Callable[[Handler], Handler]


@contextmanager
def scratch_storage() -> Iterator[Storage]:
    """A throwaway SQLite database (tickets, invoices), deleted when the block ends."""
    with tempfile.TemporaryDirectory(prefix="billing-eval-") as scratch:
        storage = Storage.from_url(f"sqlite:///{Path(scratch) / 'eval.db'}")
        try:
            yield storage
        finally:
            storage.close()


@dataclass(frozen=True, slots=True)
class ConversationRun:
    """Every turn of a run: `results[i]` are the turns of `conversations[i]`."""

    conversations: Sequence[Conversation]
    results: Sequence[Sequence[TurnResult]]

    def summary(self) -> Summary:
        whole = Summary()
        for results in self.results:
            whole.add_conversation(results)
        return whole

    def languages(self) -> dict[str, Summary]:
        """One summary per conversation language, in the order of the languages' codes."""
        parts: dict[str, Summary] = {}
        for conversation, results in zip(self.conversations, self.results, strict=True):
            parts.setdefault(conversation.language, Summary()).add_conversation(results)
        return dict(sorted(parts.items()))

    def cross_validated(self, folds: int) -> CrossValidation:
        return CrossValidation.of(self.conversations, self.results, folds)

    def to_json(self, held: CrossValidation | None = None) -> dict[str, Any]:
        """`eval --conversations --json`: the turns, the summary, one summary per language,
        and the held folds' figures when given."""
        report: dict[str, Any] = {
            "turns": [r.to_json() for results in self.results for r in results],
            "summary": self.summary().to_json(),
            "languages": {language: s.to_json() for language, s in self.languages().items()},
        }
        if held is not None:
            report["cross_validated"] = held.to_json()
        return report


class Runner:
    """Runs questions and conversations against one built assistant (`assistant`)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    @classmethod
    @contextmanager
    def scratch(cls, build: Build) -> Iterator[Runner]:
        """A runner whose assistant `build` makes on a throwaway database."""
        with scratch_storage() as storage:
            yield cls(build(storage))

    @classmethod
    @contextmanager
    def on(cls, url: str, build: Build) -> Iterator[Runner]:
        """A runner whose assistant `build` makes on the database at `url` (kept)."""
        with Storage.from_url(url) as storage:
            yield cls(build(storage))

    def turns(
        self, conversation: Conversation, wrap: Wrap | None = None, run: str = "eval"
    ) -> Iterator[TurnResult]:
        """One conversation, turn by turn, in a fresh conversation id (named after `run`)
        with its own clock."""
        built = self.assistant
        clock = pinned_clock(conversation.today)
        storage = Storage(Database(built.storage.db.engine, clock=clock))
        assistant = Assistant(built.settings, built.answerer, storage, clock, built.detector)
        customer = built.knowledge.customer(conversation.customer or "")
        tenant = customer.tenant_ids[0] if customer and customer.tenant_ids else None
        handle = wrap(assistant.handle) if wrap else assistant.handle
        # Every ticket of the database: one opened by this turn shows as one more.
        yield from run_conversation(
            conversation, handle, lambda: len(storage.tickets.find()), tenant, run
        )

    def conversations(
        self,
        conversations: Sequence[Conversation],
        *,
        progress: bool = False,
        on_turn: Callable[[TurnResult], None] | None = None,
        run: str = "eval",
    ) -> ConversationRun:
        """Every conversation in order; `on_turn` sees each turn as it is checked,
        `progress` shows a bar on stderr (when it is a terminal)."""
        each: Iterable[Conversation] = conversations
        if progress:
            from tqdm import tqdm

            each = tqdm(conversations, desc="conversations", file=sys.stderr, disable=None)
        results = []
        for conversation in each:
            turns = []
            for result in self.turns(conversation, run=run):
                turns.append(result)
                if on_turn is not None:
                    on_turn(result)
            results.append(turns)
        return ConversationRun(conversations, results)

    def held_folds(
        self, conversations: Sequence[Conversation], folds: int, *, progress: bool = False
    ) -> ConversationRun:
        """Every conversation run by a bot whose learned parts were fit without its fold
        (the answer gate, fit again on its rows less the fold's conversations): the run
        whose folds `eval --folds` reports as cross-validated."""
        held = fold_of(conversations, folds)
        answerer = self.assistant.answerer
        results: list[Sequence[TurnResult]] = [[] for _ in conversations]
        for fold in range(folds):
            members = [n for n, f in enumerate(held) if f == fold]
            gate = held_out(answerer.gate, [conversations[n] for n in members])
            with gated(answerer, gate):
                run = self.conversations(
                    [conversations[n] for n in members], progress=progress, run=f"held{fold}"
                )
            for n, turns in zip(members, run.results, strict=True):
                results[n] = turns
        return ConversationRun(conversations, results)

    def questions(self, questions: Sequence[Question], today: date) -> dict[str, Any]:
        """`eval --questions`: retrieval and decisions, each question read in the language
        the bot's detector finds in it."""
        return evaluate(
            self.assistant.answerer, questions, today, self.assistant.detector.language_of
        )

"""Serving knowledge-folder changes while running: load, build, swap one reference.

`KnowledgeReloader.reload()` reads the folder again and, when the new copy is servable,
builds its search index and answerer (only changed passages are embedded: the embedding
cache holds the rest) and swaps the assistant's `answerer`, which carries the knowledge it
answers from, in one assignment: a turn sees the old snapshot or the new one, never a mix
of the two. A broken change (a fatal problem, or a failure while building) keeps the last
good snapshot serving, and says so in the log and in `status` (the server's /healthz).

`watch(folder, reload, stop)` calls `reload` after every change watchfiles reports; the
server runs `reload` in its core pool, off the event loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.answering.decide import Answerer
from bot.answering.gate import shipped as shipped_gate
from bot.answering.multilingual import Reader
from bot.config import Settings
from bot.errors import BotError
from bot.knowledge.folder import Knowledge, load_knowledge
from bot.knowledge.report import consequences, counts, require_servable
from bot.retrieval.cache import EmbeddingCache
from bot.retrieval.embedder import Embedder
from bot.retrieval.index import SearchIndex
from bot.understanding.intents import Example, IntentClassifier, load_examples
from bot.understanding.spelling import folder_speller
from bot.understanding.vocabulary import known_words

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class Serving(Protocol):
    """What the reloader swaps: the assistant's answerer (and with it, its knowledge)."""

    answerer: Answerer


@dataclass(frozen=True, slots=True)
class KnowledgeStatus:
    loaded_at: datetime  # when the snapshot being served was loaded
    problems: int  # problems of the snapshot being served
    withheld: tuple[str, ...]  # invoices of it withheld from customers
    stale: bool = False  # the folder changed since, and the change could not be loaded
    error: str | None = None  # why not

    def to_json(self) -> dict[str, Any]:
        return {
            "loaded_at": self.loaded_at.isoformat(),
            "problems": self.problems,
            "withheld": list(self.withheld),
            "stale": self.stale,
            "error": self.error,
        }


def build_answerer(
    settings: Settings,
    knowledge: Knowledge,
    embedder: Embedder,
    progress: Callable[[int], None] | None = None,
    others: Mapping[str, Embedder] | None = None,
) -> Answerer:
    """The index, intent classifier and answerer over `knowledge`: what start-up and every
    reload build. `embedder` serves English and intents; `others` maps another language
    ("es") to its own model's embedder. Vectors already in the embedding cache are not
    computed again."""
    cache = EmbeddingCache(settings.embedding_cache)
    try:
        index = SearchIndex(knowledge.passages, embedder, cache, progress)
        examples = load_examples(knowledge.rules)
        intents = IntentClassifier(examples, embedder, cache, fits=settings.intent_fits)
        indexes = {
            language: SearchIndex(knowledge.passages, other, cache, progress)
            for language, other in (others or {}).items()
            if other.name != embedder.name
        }
        reader = _reader(settings, examples, indexes, cache)
    finally:
        cache.close()
    return Answerer(
        knowledge,
        index,
        intents,
        settings.answer_threshold,
        known_words(knowledge, examples),
        escalate_at=settings.escalation_threshold,
        indexes=indexes,
        thresholds={lang: settings.answer_threshold_for(lang) for lang in indexes},
        across_threshold=settings.answer_threshold_across,
        reader=reader,
        gate=shipped_gate(),
        speller=folder_speller(
            knowledge, {lang: load_examples(knowledge.rules, (lang,)) for lang in ("en", "es")}
        ),
    )


def _reader(
    settings: Settings,
    examples: list[Example],
    indexes: Mapping[str, SearchIndex],
    cache: EmbeddingCache,
) -> Reader | None:
    """The languages the bot reads but does not write are read by the Spanish questions'
    model when it has one of its own (multilingual USE by default: 16 languages in one space),
    with an intent classifier fit on that model's vectors (saved apart from the English one's,
    which a fit removes the others of); else by the English model (None). That classifier
    reads meaning only: spelling learned from English and Spanish examples says little about
    German or Dutch (on a probe of 16 sentences of our own in five languages, meaning alone
    read as many right and was surer of the look-ups)."""
    index = indexes.get("es")
    if index is None:
        return None
    fits = settings.intent_fits / "reader"
    intents = IntentClassifier(examples, index.embedder, cache, lexical_weight=0.0, fits=fits)
    return Reader(index, intents)


class KnowledgeReloader:
    def __init__(
        self, settings: Settings, serving: Serving, clock: Clock = lambda: datetime.now(UTC)
    ) -> None:
        self._settings = settings
        self._serving = serving
        self._clock = clock
        self._lock = threading.Lock()  # one reload at a time; turns never wait on it
        self.status = _status_of(serving.answerer.knowledge, clock())

    def reload(self) -> KnowledgeStatus:
        """Load the folder again; swap it in if it can be served, else keep the last good."""
        with self._lock:
            folder = self._settings.knowledge_dir
            try:
                serving = self._serving.answerer
                # Invoices load where they were loaded from (the database, when serving).
                knowledge = require_servable(
                    load_knowledge(folder, serving.knowledge.invoice_source)
                )
                answerer = build_answerer(
                    self._settings,
                    knowledge,
                    serving.index.embedder,
                    others={lang: index.embedder for lang, index in serving.indexes.items()},
                )
            except Exception as exc:  # whatever broke, the last good snapshot keeps serving
                return self._keep_last_good(exc)
            self._serving.answerer = answerer  # the swap: one reference
            self.status = _status_of(knowledge, self._clock())
            log.info(
                "knowledge folder reloaded: %s (%d passage(s) embedded, the rest from cache)",
                counts(knowledge),
                answerer.index.stats.embedded,
            )
            for sentence in consequences(knowledge):
                log.warning("knowledge folder: %s", sentence)
            return self.status

    def _keep_last_good(self, exc: Exception) -> KnowledgeStatus:
        self.status = KnowledgeStatus(
            self.status.loaded_at, self.status.problems, self.status.withheld, True, str(exc)
        )
        log.error(
            "knowledge folder change NOT loaded, still serving the copy loaded at %s: %s",
            self.status.loaded_at.isoformat(timespec="seconds"),
            exc,
            exc_info=not isinstance(exc, BotError),  # our own errors say all there is to say
        )
        return self.status


def _status_of(knowledge: Knowledge, loaded_at: datetime) -> KnowledgeStatus:
    return KnowledgeStatus(
        loaded_at, len(knowledge.problems), tuple(w.number for w in knowledge.withheld)
    )


async def watch(
    folder: Path,
    reload: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    *,
    debounce_ms: int = 500,
) -> None:
    """Call `reload` after each batch of changes to visible files in `folder`, until `stop`
    is set. A failing reload is logged; watching goes on."""
    from watchfiles import Change, awatch

    root = Path(folder).resolve()

    def visible(_change: Change, path: str) -> bool:
        try:
            parts = Path(path).resolve().relative_to(root).parts
        except ValueError:
            return True  # a path reported through a link: let the reload decide
        return not any(part.startswith(".") for part in parts)

    log.info("watching %s for knowledge changes", folder)
    async for _changes in awatch(
        folder, watch_filter=visible, stop_event=stop, debounce=debounce_ms, recursive=True
    ):
        try:
            await reload()
        except Exception:
            log.exception("reloading the knowledge folder failed")

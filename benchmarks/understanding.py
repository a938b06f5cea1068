"""Understanding benchmark: conversations, the questions eval, intents, and turn latency.

    .venv/bin/python benchmarks/understanding.py [--conversations FILE] [--skip-corpus]

(the data is ../shared/data beside the checkout, or the folder the SHARED_DATA variable names)

Prints, in one run with the real model:
1. the development conversations (../shared/data/conversations-dev) per language: turns
   passed, follow-ups, tickets nobody expected, answerable turns declined;
2. the questions eval on the real corpus (../shared/data/partner-center-docs with
   questions-dev.jsonl): answered precision and coverage (answered-and-correct among
   answerable questions); targets 0.9 and 0.7;
3. a confusion matrix of intent groups on the first turns of the conversations whose
   expected kind is a single one (escalations by category);
4. the p50 of one whole turn (`Assistant.handle`) against the p50 of one query embedding,
   measured in the same run (target: at most 1.3x);
5. start-up: fitting the intent classifier against loading its saved fit.

The assistant is built as the CLI builds it: all-MiniLM-L6-v2 for English and intents,
EMBEDDING_MODEL_ES (multilingual USE) for Spanish; the conversations run through the runner
`billing-bot eval` uses (`bot.evaluation.runner`), on a throwaway database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import Assistant, build_assistant  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.evaluation.conversations import (  # noqa: E402
    Conversation,
    load_conversations,
    pinned_clock,
)
from bot.evaluation.questions import load_questions, score_decisions  # noqa: E402
from bot.evaluation.runner import Runner  # noqa: E402
from bot.retrieval.cache import EmbeddingCache  # noqa: E402
from bot.retrieval.embedder import SentenceTransformerEmbedder, make_embedder  # noqa: E402
from bot.storage.stores import Storage  # noqa: E402
from bot.types import Message, ReplyKind  # noqa: E402
from bot.understanding import intents as I  # noqa: E402
from bot.understanding.intents import IntentClassifier, load_examples  # noqa: E402

DATA = Path(os.environ.get("SHARED_DATA") or ROOT.parent / "shared" / "data")


# A first turn's expected kind of reply -> the intent group the classifier should give it.
_GOLD = {
    ReplyKind.INVOICE: I.INVOICE_GROUP,
    ReplyKind.ANSWER: I.POLICY,
    ReplyKind.GREETING: I.GREETING,
    ReplyKind.OUT_OF_SCOPE: I.NOT_BILLING,
}


def expected_group(conversation: Conversation) -> str | None:
    expect = conversation.turns[0].expect
    if len(expect.kinds) != 1:
        return None
    kind = expect.kinds[0]
    if kind == ReplyKind.ESCALATE:
        return I.escalate_intent(expect.category) if expect.category else None
    return _GOLD.get(ReplyKind(kind)) if kind in set(ReplyKind) else None


def _short(group: str) -> str:
    """A column's name: an escalation category as `esc.<id>`, at most 14 characters."""
    category = I.escalation_category(I.parse_intent(group))
    name = f"esc.{category}" if category is not None else group
    return name.replace("microsoft_", "ms_")[:14]


def confusion(built: Assistant, conversations: list[Conversation]) -> None:
    answerer = built.answerer
    matrix: Counter[tuple[str, str]] = Counter()
    for conversation in conversations:
        gold = expected_group(conversation)
        if gold is None:
            continue
        text = conversation.turns[0].say
        guess = answerer.intents.classify(text, answerer.index.embed_query(text))
        got: str = guess.intent or "(abstain)"
        if guess.intent is not None and I.escalation_category(guess.intent) is None:
            got = I.group_of(guess.intent)
        matrix[(gold, got)] += 1
    golds = sorted({g for g, _ in matrix})
    gots = sorted({g for _, g in matrix})
    short = {g: _short(g) for g in set(golds) | set(gots)}
    print("gold \\ predicted".ljust(24) + "".join(short[g].rjust(15) for g in gots))
    for gold in golds:
        print(short[gold].ljust(24) + "".join(str(matrix[(gold, g)]).rjust(15) for g in gots))
    right = sum(n for (g, p), n in matrix.items() if g == p)
    print(f"first turns classified right: {right}/{sum(matrix.values())}")


def latency(built: Assistant, texts: list[str], db: Path) -> None:
    store = Storage.from_url(f"sqlite:///{db}")
    clock = pinned_clock(date(2026, 11, 24))
    assistant = Assistant(built.settings, built.answerer, store, clock)
    customer = built.knowledge.customer("contoso")
    assert customer is not None
    embed, turn = [], []
    if built.answerer.speller is not None:
        built.answerer.speller.forget()  # these texts were corrected by the runs above
    for n, text in enumerate(texts):
        started = time.perf_counter()
        built.answerer.index.embed_query(text)
        embed.append(time.perf_counter() - started)
        started = time.perf_counter()
        assistant.handle(
            Message(text, channel="bench", conversation=f"b{n}", tenant_id=customer.tenant_ids[0])
        )
        turn.append(time.perf_counter() - started)
    e, t = statistics.median(embed) * 1000, statistics.median(turn) * 1000
    print(f"turn p50 {t:.1f} ms vs one query embedding p50 {e:.1f} ms: {t / e:.2f}x (target 1.3x)")
    store.close()


def start_up(built: Assistant, scratch: Path) -> None:
    """Fit the classifier (its examples' vectors come from the embedding cache, as at any
    start after the first), then load the fit just saved."""
    examples = load_examples(built.knowledge.rules)
    embedder = built.answerer.index.embedder
    cache = EmbeddingCache(built.settings.embedding_cache)
    try:
        started = time.perf_counter()
        IntentClassifier(examples, embedder, cache, fits=scratch)
        fit = time.perf_counter() - started
        started = time.perf_counter()
        loaded = IntentClassifier(examples, embedder, cache, fits=scratch)
        load = time.perf_counter() - started
    finally:
        cache.close()
    assert loaded.loaded
    print(
        f"intent classifier ({len(examples)} examples): fit {fit:.2f} s, "
        f"saved fit loaded {load * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--conversations", type=Path, default=DATA / "conversations-dev" / "conversations.jsonl"
    )
    parser.add_argument("--skip-corpus", action="store_true")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    settings = load_settings(knowledge_dir=ROOT / "knowledge", data_dir=ROOT / ".billing-bot")
    others = {"es": make_embedder(settings.embedding_model_es)}

    def build(storage: Storage) -> Assistant:
        return build_assistant(settings, embedder=embedder, others=others, storage=storage)

    with tempfile.TemporaryDirectory() as scratch, Runner.scratch(build) as runner:
        built = runner.assistant
        conversations = load_conversations(args.conversations)

        print("== conversations (development set)")
        for language, summary in runner.conversations(conversations).languages().items():
            print(f"-- {language}")
            for line in summary.lines()[:6]:
                print("   " + line)

        print("== intents: confusion matrix of the first turns")
        confusion(built, conversations)

        print("== latency")
        texts = [c.turns[0].say for c in conversations if c.customer][:120]
        latency(built, texts, Path(scratch) / "l.db")

        print("== start-up")
        start_up(built, Path(scratch) / "fits")

        if not args.skip_corpus:
            print("== questions eval on the real corpus")
            corpus = load_settings(
                knowledge_dir=DATA / "partner-center-docs", data_dir=ROOT / ".billing-bot"
            )

            def build_corpus(storage: Storage) -> Assistant:
                return build_assistant(corpus, embedder=embedder, others=others, storage=storage)

            with Runner.scratch(build_corpus) as on_corpus:
                report = score_decisions(
                    on_corpus.assistant.answerer,
                    load_questions(DATA / "questions-dev.jsonl"),
                    date.today(),
                )
            print(
                f"answered precision {report['answered_precision']:.3f} (target 0.9), coverage "
                f"{report['coverage']:.3f} (target 0.7), {report['answered']} of "
                f"{report['total']} answered"
            )


if __name__ == "__main__":
    main()

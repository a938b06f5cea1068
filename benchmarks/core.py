"""Core benchmark: retrieval and decision quality, turn latency, indexing speed, start-up.

    .venv/bin/python benchmarks/core.py [--corpus DIR] [--questions FILE]

Prints, on this machine, with the real all-MiniLM-L6-v2 model:
- the eval figures (lexical / dense / hybrid hit@1, hit@5, MRR; answered precision and
  escalation recall) on the real Partner Center corpus, and hybrid vs the others on the
  questions whose text is not a heading of the corpus;
- per-turn latency p50/p95 of `Assistant.respond` on the sample folder after warm-up, each
  turn as Teams delivers it (tenant id and event id: the inbound-event write included) and
  its reply settled as delivered, as after the inline send; next to one encode of the
  question (the turn's floor);
- indexing throughput (passages/s, cold cache) and the time to re-index after one file edit;
- the start-up CPU time of `billing-bot check` and `billing-bot --help` next to a bare
  `python -c pass` measured in the same run (no torch import on those paths).
Every figure is measured here; nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_assistant  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.evaluation.questions import evaluate, load_questions  # noqa: E402
from bot.knowledge.folder import load_knowledge  # noqa: E402
from bot.retrieval.cache import EmbeddingCache  # noqa: E402
from bot.retrieval.embedder import SentenceTransformerEmbedder  # noqa: E402
from bot.retrieval.index import SearchIndex  # noqa: E402
from bot.types import Message  # noqa: E402

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
# Beside the checkout (../shared/data); a worktree (../wt/<name>) finds it further up.
SHARED = next(
    (up / "shared" / "data" for up in ROOT.parents if (up / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
TURNS = [
    ("fabrikam", "When is my invoice due?"),
    ("adatum", "Why is my bill higher than last month?"),
    ("contoso", "What is your cancellation policy?"),
    ("contoso", "What are your support hours?"),
    ("contoso", "Do you charge VAT?"),
    ("fabrikam", "Are we overdue?"),
    ("contoso", "What is on invoice NW-2026-0463?"),
    ("tailspin", "How much do we owe?"),
    ("contoso", "What's the weather today?"),
    ("wingtip", "How do I request a refund?"),
]


def section(title: str) -> None:
    print(f"\n== {title}")


def quality(corpus: Path, questions: Path, embedder, state: Path) -> None:
    settings = load_settings(knowledge_dir=corpus, data_dir=state / "corpus")
    assistant = build_assistant(settings, embedder=embedder, clock=lambda: NOW)
    labelled = load_questions(questions)
    report = evaluate(assistant.answerer, labelled, NOW.date())
    section(f"eval on {corpus.name} with {questions.name} ({len(labelled)} questions)")
    for mode in ("lexical", "dense", "hybrid"):
        m = report[mode]
        print(f"{mode:8} hit@1 {m['hit@1']:.3f}  hit@5 {m['hit@5']:.3f}  mrr {m['mrr']:.3f}")
    d = report["decisions"]
    print(
        f"decisions: answered precision {d['answered_precision']:.3f}, escalation recall "
        f"{d['escalation_recall']:.3f}, answered {d['answered']} of {d['total']}"
    )
    headings = {p.section.strip().lower() for p in assistant.knowledge.passages}
    fresh = [q for q in labelled if q.question.strip().lower() not in headings]
    report = evaluate(
        assistant.answerer,
        fresh,
        NOW.date(),
    )
    section(
        f"the {len(fresh)} questions not copied from headings "
        f"({report['hybrid']['questions']} answerable)"
    )
    for mode in ("lexical", "dense", "hybrid"):
        print(f"{mode:8} hit@1 {report[mode]['hit@1']:.3f}  mrr {report[mode]['mrr']:.3f}")


def latency(embedder, state: Path) -> None:
    settings = load_settings(knowledge_dir=ROOT / "knowledge", data_dir=state / "sample")
    assistant = build_assistant(settings, embedder=embedder, clock=lambda: NOW)
    tenants = {c.id: c.tenant_ids[0] for c in assistant.knowledge.customers if c.tenant_ids}

    def teams_turn(customer: str, text: str, conversation: str) -> Message:
        """As the Teams adapter hands it over: a tenant to resolve, an event id to record."""
        return Message(
            text,
            channel="teams",
            conversation=conversation,
            tenant_id=tenants[customer],
            event_id=str(uuid.uuid4()),
        )

    def turn(message: Message) -> None:
        """The core's share of a Teams turn: the turn's commit, then its reply settled as
        delivered (what the adapter does after the inline send)."""
        handled = assistant.respond(message)
        if handled.delivery is not None:
            assistant.storage.outbox.delivered(handled.delivery, None, now=NOW)

    for customer, text in TURNS:  # warm-up
        turn(teams_turn(customer, text, "warm"))
    timings, encodes = [], []
    for round_ in range(20):
        for customer, text in TURNS:
            started = time.perf_counter()
            turn(teams_turn(customer, text, f"c{round_}"))
            timings.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            embedder.embed([text])
            encodes.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    encode = statistics.median(encodes)
    section(f"turn latency on the sample folder ({len(timings)} Teams turns after warm-up)")
    print(
        f"p50 {statistics.median(timings):.1f} ms  p95 {p95:.1f} ms  max {timings[-1]:.1f} ms; "
        f"one encode p50 {encode:.1f} ms: turn p50 = {statistics.median(timings) / encode:.2f}x "
        "one encode"
    )


def indexing(corpus: Path, embedder, state: Path) -> None:
    copy = state / "corpus-copy"
    shutil.copytree(corpus, copy)
    cache = EmbeddingCache(state / "corpus" / "embeddings.sqlite")  # reused by quality()
    knowledge = load_knowledge(copy)
    started = time.perf_counter()
    index = SearchIndex(knowledge.passages, embedder, cache)
    cold = time.perf_counter() - started
    section(
        f"indexing {corpus.name}: {len(knowledge.passages)} passages, "
        f"{index.stats.embedded} vectors (passages + headings)"
    )
    print(f"cold: {cold:.1f} s, {len(knowledge.passages) / cold:.1f} passages/s")

    started = time.perf_counter()
    SearchIndex(load_knowledge(copy).passages, embedder, cache)
    warm = time.perf_counter() - started
    edited = copy / "billing-basics.md"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace(
            "## Invoices", "## Invoices\n\nInvoices are available for download every month."
        ),
        encoding="utf-8",
    )
    started = time.perf_counter()
    knowledge = load_knowledge(copy)
    after_edit = SearchIndex(knowledge.passages, embedder, cache)
    edit = time.perf_counter() - started
    print(
        f"re-index, nothing changed: {warm:.2f} s; after editing one file: {edit:.2f} s "
        f"(load + {after_edit.stats.embedded} vectors re-embedded + BM25 rebuild)"
    )


def startup() -> None:
    exe = ROOT / ".venv" / "bin" / "billing-bot"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "adapters.cli"]

    def best_of(args: list[str], runs: int = 5) -> float:
        """CPU seconds (user + system) of the child, best of `runs`: less noisy than wall time
        on a shared machine."""
        times = []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(args, cwd=ROOT, capture_output=True, check=False)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        return min(times)

    baseline = best_of([sys.executable, "-c", "pass"])
    check = best_of([*command, "check", str(ROOT / "knowledge")])
    helper = best_of([*command, "--help"])
    section("start-up CPU time (best of 5)")
    print(
        f"python -c pass {baseline:.2f} s; billing-bot --help {helper:.2f} s "
        f"({helper / baseline:.1f}x); billing-bot check knowledge {check:.2f} s "
        f"({check / baseline:.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "partner-center-docs")
    parser.add_argument("--questions", type=Path, default=SHARED / "questions-dev.jsonl")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        startup()
        indexing(args.corpus, embedder, state)
        quality(args.corpus, args.questions, embedder, state)
        latency(embedder, state)


if __name__ == "__main__":
    main()

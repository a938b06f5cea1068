"""Scope-gate benchmark on CLINC's billing-like intents vs out-of-scope queries.

    .venv/bin/python benchmarks/scope_gate.py [--data FILE]

The gate is fitted on the `train` (in-domain) and `oos_train` (off-topic) splits and
scored on `val` and `oos_val`. For each method it picks the threshold that keeps at least
95% (then 98%) of the billing queries and prints the share of out-of-scope queries it
declines there. The baseline, measured in the same run, is the plain nearest-neighbour
embedding score (the same gate with no off-topic examples).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.retrieval.cache import EmbeddingCache, embed_cached  # noqa: E402
from bot.retrieval.embedder import SentenceTransformerEmbedder  # noqa: E402


class DomainGate:
    """Nearest-neighbour contrast: similarity to the nearest in-domain example, less `weight`
    times the similarity to the nearest off-topic example (none: the plain baseline)."""

    def __init__(
        self, inside: np.ndarray, outside: np.ndarray | None = None, weight: float = 0.5
    ) -> None:
        self.inside = inside
        self.outside = outside if outside is not None and len(outside) else None
        self.weight = weight

    def score(self, vectors: np.ndarray) -> np.ndarray:
        """One score per row of `vectors` (unit-length embeddings)."""
        vectors = np.atleast_2d(vectors)
        if not len(self.inside):
            return np.zeros(len(vectors), dtype=np.float32)
        score = (vectors @ self.inside.T).max(axis=1)
        if self.outside is not None:
            score = score - self.weight * (vectors @ self.outside.T).max(axis=1)
        return score


def declined_at(
    gate: DomainGate, billing: np.ndarray, off_topic: np.ndarray, keep: float
) -> tuple[float, float]:
    inside, outside = gate.score(billing), gate.score(off_topic)
    threshold = float(np.quantile(inside, 1 - keep, method="lower"))
    return float((outside < threshold).mean()), float((inside >= threshold).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared/data/clinc-billing-oos-dev.jsonl"
    )
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        vectors, _ = embed_cached(
            SentenceTransformerEmbedder(),
            [r["text"] for r in rows],
            EmbeddingCache(Path(tmp) / "clinc.sqlite"),
        )
    split = np.array([r["split"] for r in rows])
    train, oos_train = vectors[split == "train"], vectors[split == "oos_train"]
    val, oos_val = vectors[split == "val"], vectors[split == "oos_val"]
    print(
        f"fitted on {len(train)} billing + {len(oos_train)} off-topic examples; scored on "
        f"{len(val)} billing + {len(oos_val)} off-topic queries"
    )
    methods = {
        "baseline: nearest neighbour": DomainGate(train),
        "gate: neighbour contrast (w=0.5)": DomainGate(train, oos_train, 0.5),
        "gate: neighbour contrast (w=1.0)": DomainGate(train, oos_train, 1.0),
    }
    for keep in (0.95, 0.98):
        print(f"\nkeeping >= {keep:.0%} of billing queries:")
        for name, gate in methods.items():
            declined, kept = declined_at(gate, val, oos_val, keep)
            print(f"  {name:34} declines {declined:.3f} of out-of-scope (keeps {kept:.3f})")


if __name__ == "__main__":
    main()

"""Language detection on the development conversations: accuracy, load time, memory, speed.

    .venv/bin/python benchmarks/language.py [--conversations FILE]

Every turn of ../shared/data/conversations-dev/conversations.jsonl is labelled with its
conversation's `language`. For lingua's low- and high-accuracy modes it prints:
- `lingua alone`: the detector's best guess among the seven known languages;
- `bot, customer en`: `LanguageDetector.language_of` as the bot uses it, turn after turn, the
  conversation's language being what it decided on the turn before and the customer's being
  English (the five sample customers of the development set have no `language`);
- `bot, customer's language known`: the same, with the customer's `language` set to the
  conversation's (a customer like `coho`, `language: es`);
per language, for short messages (3 words or fewer) and longer ones apart. Then the time to
build the detector, the memory it adds, and the p50 time per message.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.understanding.language import LanguageDetector  # noqa: E402

# Beside the checkout (../shared/data); a worktree (../wt/<name>) finds it further up.
SHARED = next(
    (up / "shared" / "data" for up in ROOT.parents if (up / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
CONVERSATIONS = SHARED / "conversations-dev" / "conversations.jsonl"


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def group(language: str, text: str) -> str:
    return f"{language} {'short' if len(text.split()) <= 3 else 'long'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=Path, default=CONVERSATIONS)
    args = parser.parse_args()
    conversations = [json.loads(line) for line in args.conversations.open(encoding="utf-8")]
    turns = [(t["say"], c["language"]) for c in conversations for t in c["turns"]]
    groups = sorted({group(language, text) for text, language in turns})

    rows: list[tuple[str, Counter[str], Counter[str]]] = []
    costs: list[tuple[str, float, float, float]] = []
    for low in (True, False):
        mode = "low accuracy" if low else "high accuracy"
        detector = LanguageDetector(low_accuracy=low)
        before, start = rss_mb(), time.perf_counter()
        detector.load()
        detector.guess("warm up the models")
        load, memory = time.perf_counter() - start, rss_mb() - before

        right: Counter[str] = Counter()
        total: Counter[str] = Counter()
        times = []
        for text, language in turns:
            started = time.perf_counter()
            guessed = detector.guess(text)
            times.append(time.perf_counter() - started)
            total[group(language, text)] += 1
            right[group(language, text)] += guessed is not None and guessed[0] == language
        rows.append((f"{mode}, lingua alone", right, total))
        costs.append((mode, load, memory, statistics.median(times)))

        for known in (False, True):
            right, total = Counter(), Counter()
            for conversation in conversations:
                truth = conversation["language"]
                customer = truth if known else "en"
                current: str | None = None
                for turn in conversation["turns"]:
                    text = turn["say"]
                    current = detector.language_of(text, conversation=current, customer=customer)
                    total[group(truth, text)] += 1
                    right[group(truth, text)] += current == truth
            label = "customer's language known" if known else "customer en"
            rows.append((f"{mode}, bot, {label}", right, total))

    print("| detector | " + " | ".join(groups) + " | en all | es all |")
    print("| --- |" + " ---: |" * (len(groups) + 2))
    for label, right, total in rows:
        cells = [f"{right[g] / total[g]:.3f} ({right[g]}/{total[g]})" for g in groups]
        for language in ("en", "es"):
            r = sum(right[g] for g in groups if g.startswith(language))
            n = sum(total[g] for g in groups if g.startswith(language))
            cells.append(f"{r / n:.3f}")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\n| mode | build + first guess (s) | memory added (MB) | p50 per message (ms) |")
    print("| --- | ---: | ---: | ---: |")
    for mode, load, memory, p50 in costs:
        print(f"| {mode} | {load:.2f} | {memory:.0f} | {p50 * 1000:.2f} |")


if __name__ == "__main__":
    main()

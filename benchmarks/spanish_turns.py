"""Spanish-speaking customers: untranslated sentences shown to them, and a Spanish turn's time
next to an English one's.

    .venv/bin/python benchmarks/spanish_turns.py [--conversations FILE] [--show]

Runs every customer conversation of ../shared/data/conversations-dev/ through the runner of
`billing-bot eval --conversations` (a throwaway ticket store, the clock pinned to each
conversation's day, the real models) and prints:
- for the Spanish ones, every sentence shown to the customer that reads as English: the
  reply's text and everything its Teams card adds (table headings and status cells, ticket
  facts, buttons, "was this helpful?"), judged by `bot.locale.audit` (lingua, with invoice
  product names, names, numbers and paths taken out). Counted apart: the turns the bot took
  for English (language detection, `Reply.language`), whose replies are English throughout,
  and the passages of an English article quoted when no Spanish one answers (said first);
- the p50 and p95 time of `Assistant.handle` per customer turn, Spanish and English, measured
  in the same run after a warm-up, and their ratio (target: Spanish p50 <= 1.5x English).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.teams.cards import reply_card, shown_texts  # noqa: E402
from bot.cli import assistant_with_progress  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.evaluation.conversations import Conversation, Handler, load_conversations  # noqa: E402
from bot.evaluation.runner import Runner  # noqa: E402
from bot.locale.audit import english_sentences, quoted_names  # noqa: E402
from bot.types import Message, Reply, Role  # noqa: E402

CONVERSATIONS = ROOT.parent / "shared" / "data" / "conversations-dev" / "conversations.jsonl"


def timed_turns(
    conversations: list[Conversation], runner: Runner
) -> Iterator[tuple[Conversation, str, Reply, float]]:
    """(conversation, what the customer said, the reply, seconds) for every turn."""
    seconds: list[float] = []

    def timed(handle: Handler) -> Handler:
        def handle_timed(message: Message) -> Reply:
            started = time.perf_counter()
            reply = handle(message)
            seconds.append(time.perf_counter() - started)
            return reply

        return handle_timed

    for conversation in conversations:
        for result in runner.turns(conversation, wrap=timed):
            say = conversation.turns[result.index].say
            yield conversation, say, result.reply, seconds[-1]


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=Path, default=CONVERSATIONS)
    parser.add_argument("--show", action="store_true", help="print every English sentence")
    args = parser.parse_args()

    settings = load_settings()
    conversations = [c for c in load_conversations(args.conversations) if c.role is Role.CUSTOMER]
    times: dict[str, list[float]] = {"en": [], "es": []}
    english: list[tuple[str, str]] = []
    fallback: list[tuple[str, str]] = []
    taken_for_english: list[tuple[str, str]] = []
    spanish_turns = 0
    with Runner.scratch(lambda s: assistant_with_progress(settings, storage=s)) as runner:
        built = runner.assistant
        built.warm_up()
        names = quoted_names(built.knowledge)
        for conversation, say, reply, seconds in timed_turns(conversations, runner):
            times.setdefault(conversation.language, []).append(seconds)
            if conversation.language != "es":
                continue
            spanish_turns += 1
            if reply.language != "es":
                taken_for_english.append((conversation.id, say))
                continue
            quoted = reply.citations and not reply.citations[0].path.endswith(".es.md")
            # A quoted English article is shown after a sentence saying so: counted apart.
            shown = shown_texts(reply_card(reply, say))
            body, rest = (shown[0], shown[1:]) if quoted else ("", shown)
            english += [
                (conversation.id, s) for s in english_sentences(rest, names, built.detector)
            ]
            fallback += [
                (conversation.id, s) for s in english_sentences([body], names, built.detector)
            ]

    print(f"Spanish customer turns: {spanish_turns}")
    print(f"untranslated sentences shown to a Spanish-speaking customer: {len(english)}")
    print(f"sentences quoted from an English article (declared fallback): {len(fallback)}")
    print(f"turns the bot took for English (answered in English): {len(taken_for_english)}")
    if args.show:
        for where, said in taken_for_english:
            print(f"  {where} (taken for English): {said!r}")
        for where, sentence in english:
            print(f"  {where}: {sentence}")
        for where, sentence in fallback:
            print(f"  {where} (English article): {sentence}")
    en, es = times["en"], times["es"]
    print(
        f"turn time, English: p50 {statistics.median(en) * 1000:.0f} ms, "
        f"p95 {p(en, 95) * 1000:.0f} ms ({len(en)} turns)"
    )
    print(
        f"turn time, Spanish: p50 {statistics.median(es) * 1000:.0f} ms, "
        f"p95 {p(es, 95) * 1000:.0f} ms ({len(es)} turns)"
    )
    print(f"Spanish p50 / English p50: {statistics.median(es) / statistics.median(en):.2f}x")


if __name__ == "__main__":
    main()

"""How much of the bot survives how people type: the development conversations with seeded
typos, next to the same conversations as written.

    .venv/bin/python benchmarks/typos.py [--seed 17] [--share 0.3] [--conversations FILE ...]
        [--show] [--lost]

In every turn of both development sets (../shared/data/conversations-dev/ and
conversations-dev2/), 30% of the words of three letters or more get one or two character
edits (half each; an edit deletes, inserts, replaces or swaps letters), drawn from a seeded
generator, so every run types the same typos. Numbers, amounts, invoice numbers and ids
(anything with a digit, or joined to one by a hyphen) are left alone. Both versions run as
`billing-bot eval --conversations` runs them (a throwaway ticket store, the clock pinned to
each conversation's day, the real models), and the benchmark prints the share of turns
passed clean, with typos read without the spelling correction (bot/understanding/spelling.py)
and with it, and the gaps to clean in points (target: within 5). `--lost` lists the turns
passed clean but failed with typos: the typed text, the text as corrected, and the failures.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import string
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.cli import assistant_with_progress  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.evaluation.conversations import Conversation, load_conversations  # noqa: E402
from bot.evaluation.runner import ConversationRun, Runner  # noqa: E402
from bot.evaluation.summary import Summary  # noqa: E402
from bot.understanding.spelling import Speller  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SETS = (
    DATA / "conversations-dev" / "conversations.jsonl",
    DATA / "conversations-dev2" / "conversations.jsonl",
)
# A word: letters only, not glued to a digit or a hyphenated id ("NW-2026-0477", "A100").
_WORD = re.compile(r"(?<![\w-])[^\W\d_]{3,}(?![\w-]*\d)")


def typo(word: str, rng: random.Random) -> str:
    """One character edit: delete, insert, replace or swap two neighbours."""
    at = rng.randrange(len(word))
    letter = rng.choice(string.ascii_lowercase)
    edit = rng.choice(("delete", "insert", "replace", "swap"))
    if edit == "delete" and len(word) > 2:
        return word[:at] + word[at + 1 :]
    if edit == "insert":
        return word[:at] + letter + word[at:]
    if edit == "swap" and at + 1 < len(word):
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + letter + word[at + 1 :]


def misspell(text: str, rng: random.Random, share: float) -> str:
    """`text` with `share` of its words given one or two edits."""

    def edit(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= share:
            return word
        for _ in range(rng.choice((1, 2))):
            word = typo(word, rng)
        return word

    return _WORD.sub(edit, text)


def with_typos(
    conversations: Sequence[Conversation], seed: int, share: float
) -> list[Conversation]:
    rng = random.Random(seed)
    return [
        dataclasses.replace(
            c,
            turns=tuple(dataclasses.replace(t, say=misspell(t.say, rng, share)) for t in c.turns),
        )
        for c in conversations
    ]


def renamed(conversations: Sequence[Conversation], run: str) -> list[Conversation]:
    """The conversations under ids of their own: the runs share one database, where a turn
    whose event id was seen already is a redelivery (answered with the stored reply)."""
    return [dataclasses.replace(c, id=f"{c.id}~{run}") for c in conversations]


def share(passed: int, total: int) -> float:
    return 100 * passed / max(total, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=Path, nargs="*", default=list(SETS))
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--share", type=float, default=0.3, help="share of words misspelt")
    parser.add_argument("--show", action="store_true", help="print every misspelt turn")
    parser.add_argument(
        "--lost",
        action="store_true",
        help="print the turns passed clean but failed with typos (typed and corrected text)",
    )
    args = parser.parse_args()

    settings = load_settings()
    runs = ("clean", "typos without spelling", "typos")
    totals = {name: [0, 0] for name in runs}
    with Runner.scratch(lambda s: assistant_with_progress(settings, storage=s)) as runner:
        answerer = runner.assistant.answerer
        speller = answerer.speller
        for path in args.conversations:
            clean = load_conversations(path)
            typed = with_typos(clean, args.seed, args.share)
            if args.show:
                print("\n".join(f"  {c.id}: {t.say}" for c in typed for t in c.turns))
            clean_run = runner.conversations(clean)
            figures = {"clean": clean_run.summary()}
            answerer.speller = None  # the same typos, read as written
            figures["typos without spelling"] = runner.conversations(
                renamed(typed, "raw")
            ).summary()
            answerer.speller = speller
            typed_run = runner.conversations(renamed(typed, "spelt"))
            figures["typos"] = typed_run.summary()
            if args.lost:
                _print_lost(clean_run, typed_run, speller)
            for name, summary in figures.items():
                totals[name][0] += summary.turns.passed
                totals[name][1] += summary.turns.total
            print(f"{path.parent.name}: " + _line({n: _tally(f) for n, f in figures.items()}))
    print("both sets: " + _line({n: (p, t) for n, (p, t) in totals.items()}))
    print(f"(seed {args.seed}, {args.share:.0%} of the words of 3 letters or more misspelt)")


def _print_lost(clean: ConversationRun, typed: ConversationRun, speller: Speller | None) -> None:
    """Every turn passed as written and failed with typos: what was typed, what the
    spelling correction read, and why the turn failed."""
    for before, after in zip(clean.results, typed.results, strict=True):
        for was, now in zip(before, after, strict=True):
            if not was.passed or now.passed:
                continue
            say = now.conversation.turns[now.index].say
            language = now.reply.language  # as the bot read the typed turn
            read = speller.correct(say, language) if speller is not None else say
            print(
                f"  lost {was.conversation.id} turn {now.index + 1}"
                f" (read as {language}, clean as {was.reply.language})"
            )
            print(f"    clean: {was.conversation.turns[was.index].say}")
            print(f"    typed: {say}")
            print(f"    read:  {read}")
            print(f"    failed: {'; '.join(now.failed)}")


def _line(figures: dict[str, tuple[int, int]]) -> str:
    """clean, without and with spelling correction, and the gaps to clean in points."""
    clean = share(*figures["clean"])
    return ", ".join(
        f"{name} {p}/{t} ({share(p, t):.1f}%"
        + ("" if name == "clean" else f", gap {clean - share(p, t):.1f} points")
        + ")"
        for name, (p, t) in figures.items()
    )


def _tally(summary: Summary) -> tuple[int, int]:
    return summary.turns.passed, summary.turns.total


if __name__ == "__main__":
    main()

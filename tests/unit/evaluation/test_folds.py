"""Held folds: GroupKFold by conversation."""

from datetime import date

from bot.evaluation.conversations import Conversation, Expect, Turn
from bot.evaluation.folds import CrossValidation, fold_of
from bot.evaluation.summary import Summary, Tally
from bot.types import Role


def test_folds_keep_each_conversation_whole_and_balance_turns():
    def conversation(name: str, turns: int) -> Conversation:
        return Conversation(
            name, None, Role.CUSTOMER, "en", date(2026, 11, 24), (Turn("x", Expect()),) * turns
        )

    conversations = [conversation("long", 4)] + [conversation(f"c{n}", 1) for n in range(4)]
    held = fold_of(conversations, 2)
    # a conversation is one group; the folds hold as many turns: the 4-turn one alone
    assert held.count(held[0]) == 1
    turns = [
        sum(len(c.turns) for c, f in zip(conversations, held, strict=True) if f == k)
        for k in (0, 1)
    ]
    assert turns == [4, 4]


def test_a_language_no_fold_has_is_said_so_not_printed_as_nan():
    english = Summary()
    english.turns.add(True)
    english.by_language["en"] = Tally()
    english.by_language["en"].add(True)
    lines = CrossValidation([english, english]).lines()
    assert any(line.split() == ["other", "no", "such", "turns"] for line in lines)
    assert not any("nan" in line for line in lines)

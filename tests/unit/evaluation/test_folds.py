"""Held folds: GroupKFold by conversation."""

from datetime import date

from bot.evaluation.conversations import Conversation, Expect, Turn
from bot.evaluation.folds import fold_of
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

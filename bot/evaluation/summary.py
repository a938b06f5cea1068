"""What a run of conversations measured: turns and conversations passed, by expected kind
and language, follow-ups, tickets nobody expected, answerable turns declined; and one turn
as `eval --conversations` prints it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.evaluation.conversations import TurnResult
from bot.types import ReplyKind

# Kinds where the bot declined to answer: counted against turns that had an answer.
DECLINED = frozenset({ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE})


@dataclass(slots=True)
class Tally:
    passed: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.passed += ok
        self.total += 1

    def __str__(self) -> str:
        share = self.passed / self.total if self.total else 1.0
        return f"{self.passed}/{self.total} ({share:.0%})"

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "total": self.total}


@dataclass(slots=True)
class Summary:
    turns: Tally = field(default_factory=Tally)
    conversations: Tally = field(default_factory=Tally)
    by_kind: dict[str, Tally] = field(default_factory=dict)
    by_language: dict[str, Tally] = field(default_factory=dict)
    follow_ups: Tally = field(default_factory=Tally)
    unexpected_tickets: int = 0
    answerable: int = 0
    answerable_declined: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    def add_conversation(self, results: Sequence[TurnResult]) -> None:
        self.conversations.add(all(r.passed for r in results))
        for r in results:
            self.turns.add(r.passed)
            kind = "|".join(r.expect.kinds) or "(none)"
            self.by_kind.setdefault(kind, Tally()).add(r.passed)
            self.by_language.setdefault(r.conversation.language, Tally()).add(r.passed)
            if r.follow_up:
                self.follow_ups.add(r.passed)
            if r.ticket_opened and "escalate" not in r.expect.kinds:
                self.unexpected_tickets += 1
            if r.expect.answerable:
                self.answerable += 1
                self.answerable_declined += r.reply.kind in DECLINED
            for failure in r.failed:
                self.failures[failure.split(" ", 1)[0]] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "turns": self.turns.to_json(),
            "conversations": self.conversations.to_json(),
            "by_kind": {k: t.to_json() for k, t in sorted(self.by_kind.items())},
            "by_language": {k: t.to_json() for k, t in sorted(self.by_language.items())},
            "follow_ups": self.follow_ups.to_json(),
            "unexpected_tickets": self.unexpected_tickets,
            "answerable": self.answerable,
            "answerable_declined": self.answerable_declined,
        }

    def lines(self) -> list[str]:
        turns = max(self.turns.total, 1)
        answerable = max(self.answerable, 1)
        out = [
            f"turns passed: {self.turns}",
            f"conversations fully passed: {self.conversations}",
            "by language: " + ", ".join(f"{k} {t}" for k, t in sorted(self.by_language.items())),
            f"follow-up turns: {self.follow_ups}",
            f"tickets opened that were not expected: {self.unexpected_tickets} "
            f"({self.unexpected_tickets / turns:.1%} of turns)",
            f"answerable turns declined: {self.answerable_declined}/{self.answerable} "
            f"({self.answerable_declined / answerable:.1%})",
            "by expected kind:",
        ]
        out += [f"  {k:24} {t}" for k, t in sorted(self.by_kind.items())]
        return out

    def brief(self) -> str:
        """The figures the targets are set on, in one line (one language's)."""
        turns, answerable = max(self.turns.total, 1), max(self.answerable, 1)
        return (
            f"turns {self.turns}, follow-ups {self.follow_ups}, tickets not expected "
            f"{self.unexpected_tickets} ({self.unexpected_tickets / turns:.1%}), answerable "
            f"declined {self.answerable_declined}/{self.answerable} "
            f"({self.answerable_declined / answerable:.1%})"
        )


def format_turn(result: TurnResult) -> list[str]:
    reply = result.reply
    mark = "PASS" if result.passed else "FAIL"
    head = f"{mark} {result.conversation.id} #{result.index + 1} [{result.conversation.language}]"
    lines = [f"{head} {result.conversation.turns[result.index].say!r}"]
    category = f" ({reply.ticket.category})" if reply.ticket else ""
    cites = ", ".join(c.path for c in reply.citations)
    lines.append(f"    -> {reply.kind}{category}{' cites ' + cites if cites else ''}")
    text = " ".join(reply.text.split())
    lines.append(f"    {text[:300]}{'…' if len(text) > 300 else ''}")
    lines += [f"    ✗ {f}" for f in result.failed]
    return lines

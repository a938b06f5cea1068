"""Scripted conversations: their format, and one conversation run against a handler with
each turn checked (`billing-bot eval --conversations`; `runner` builds the handler).

The format is `conversations-dev/FORMAT.md`: one conversation a line, each turn a message and
what the reply must do (`kind`, `category`, `cites`, `contains`, `not_contains`, `no_ticket`).
Every conversation runs in a fresh conversation id against a throwaway ticket store, with the
clock pinned to the conversation's `today`, so a run never touches real tickets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.errors import BotError
from bot.types import Message, Reply, ReplyKind, Role

ANSWERS = frozenset({"answer", "invoice"})
_EXPECT_KEYS = {"kind", "category", "cites", "contains", "not_contains", "no_ticket"}


@dataclass(frozen=True, slots=True)
class Expect:
    kinds: tuple[str, ...] = ()
    category: str | None = None
    cites: str | None = None
    contains: tuple[tuple[str, ...], ...] = ()
    not_contains: tuple[str, ...] = ()
    no_ticket: bool = False

    @property
    def answerable(self) -> bool:
        """The folder answers this turn: every acceptable kind is an answer."""
        return bool(self.kinds) and set(self.kinds) <= ANSWERS


@dataclass(frozen=True, slots=True)
class Turn:
    say: str
    expect: Expect


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    customer: str | None
    role: Role
    language: str
    today: date
    turns: tuple[Turn, ...]


@dataclass(frozen=True, slots=True)
class TurnResult:
    conversation: Conversation
    index: int
    reply: Reply
    ticket_opened: bool
    failed: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def expect(self) -> Expect:
        return self.conversation.turns[self.index].expect

    @property
    def follow_up(self) -> bool:
        return self.index > 0

    def to_json(self) -> dict[str, Any]:
        reply = self.reply
        return {
            "id": self.conversation.id,
            "turn": self.index + 1,
            "say": self.conversation.turns[self.index].say,
            "kind": str(reply.kind),
            "category": reply.ticket.category if reply.ticket else None,
            "text": reply.text,
            "table": None
            if reply.table is None
            else {
                "columns": list(reply.table.columns),
                "rows": [list(r) for r in reply.table.rows],
            },
            "citations": [c.path for c in reply.citations],
            "ticket_opened": self.ticket_opened,
            "passed": self.passed,
            "failed": list(self.failed),
        }


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise BotError(f"{where}: expected a string or a list of strings, got {value!r}")


def _expect(raw: Mapping[str, Any], where: str) -> Expect:
    unknown = set(raw) - _EXPECT_KEYS
    if unknown:
        named = "expectation" if len(unknown) == 1 else "expectations"
        raise BotError(f"{where}: unknown {named} {', '.join(sorted(unknown))}")
    kinds = _strings(raw["kind"], f"{where}.kind") if "kind" in raw else ()
    known = {str(k) for k in ReplyKind}
    for kind in kinds:
        if kind not in known:
            raise BotError(f"{where}.kind: unknown reply kind {kind!r}")
    return Expect(
        kinds=kinds,
        category=raw.get("category"),
        cites=raw.get("cites"),
        contains=tuple(_strings(g, f"{where}.contains") for g in raw.get("contains", ())),
        not_contains=_strings(raw.get("not_contains", []), f"{where}.not_contains"),
        no_ticket=bool(raw.get("no_ticket", False)),
    )


def load_conversations(path: Path, today: date | None = None) -> list[Conversation]:
    """Read a conversations file; a bad line is a `BotError` naming the file and line."""
    conversations = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
            turns = tuple(
                Turn(str(t["say"]), _expect(t.get("expect", {}), f"{where} turn {i}"))
                for i, t in enumerate(record["turns"], 1)
            )
            day = today or date.fromisoformat(record.get("today") or date.today().isoformat())
            conversations.append(
                Conversation(
                    id=str(record.get("id", f"line-{number}")),
                    customer=record.get("customer"),
                    role=Role(record.get("role", "customer")),
                    language=str(record.get("language", "en")),
                    today=day,
                    turns=turns,
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BotError(f"{where}: not a conversation ({exc})") from None
    return conversations


def _reply_text(reply: Reply) -> str:
    parts = [reply.text]
    if reply.table:
        parts.append(" ".join(reply.table.columns))
        parts.extend(" ".join(row) for row in reply.table.rows)
    return "\n".join(parts).lower()


def check(expect: Expect, reply: Reply, ticket_opened: bool) -> tuple[str, ...]:
    """The expectations this reply breaks, as short phrases."""
    failed = []
    if expect.kinds and str(reply.kind) not in expect.kinds:
        failed.append(f"kind {reply.kind} not {'|'.join(expect.kinds)}")
    if expect.category is not None:
        got = reply.ticket.category if reply.ticket else None
        if got != expect.category:
            failed.append(f"category {got} not {expect.category}")
    if expect.cites is not None and not any(expect.cites in c.path for c in reply.citations):
        failed.append(f"no citation of {expect.cites}")
    text = _reply_text(reply)
    for group in expect.contains:
        if not any(option.lower() in text for option in group):
            failed.append(f"missing {' / '.join(group)}")
    for forbidden in expect.not_contains:
        if forbidden.lower() in text:
            failed.append(f"contains {forbidden}")
    if expect.no_ticket and ticket_opened:
        failed.append("opened a ticket")
    return tuple(failed)


# One conversation's assistant: a message in, its reply out.
Handler = Callable[[Message], Reply]


def run_conversation(
    conversation: Conversation,
    handle: Handler,
    ticket_count: Callable[[], int],
    tenant: str | None,
    run: str = "eval",
) -> Iterator[TurnResult]:
    """`run` names the run in the conversation's id, so that a second run over the same
    database starts each conversation afresh."""
    conversation_id = f"{run}-{conversation.id}"
    for index, turn in enumerate(conversation.turns):
        before = ticket_count()
        agent = conversation.role is Role.AGENT
        reply = handle(
            Message(
                turn.say,
                channel="eval",
                conversation=conversation_id,
                user_id="eval",
                tenant_id=None if agent else tenant,
                role=conversation.role,
                event_id=f"{conversation_id}-{index}",
            )
        )
        opened = ticket_count() > before or (
            reply.kind is ReplyKind.ESCALATE and reply.ticket is not None
        )
        yield TurnResult(conversation, index, reply, opened, check(turn.expect, reply, opened))


def pinned_clock(today: date) -> Callable[[], datetime]:
    """13:00 UTC on `today`: inside the sample partner's support hours on a weekday."""
    moment = datetime(today.year, today.month, today.day, 13, 0, tzinfo=UTC)
    return lambda: moment

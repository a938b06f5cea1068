"""An agent's thread reply with U+0000 in it (PostgreSQL text refuses the character) is
relayed to the customer without it, on SQLite and PostgreSQL alike, instead of a 500 that
every retry of the event meets again."""

from __future__ import annotations

import json

import pytest
from slack_desk import DeskServer, eventually

from bot.config import Settings


@pytest.fixture
def settings(on_both_databases: Settings) -> Settings:
    return on_both_databases


async def test_a_thread_reply_with_nul_characters_reaches_the_customer(desk: DeskServer) -> None:
    customer = desk.bot.user()
    ticket = await desk.posted(await desk.open_ticket())

    answer = await desk.thread_reply(ticket, "The credit\x00 note is on its way.")

    assert answer.status == 200
    relayed = await eventually(
        lambda: [
            c
            for c in desk.bot.cloud.sent(customer.conversation)
            if "credit note is on its way" in json.dumps(c.body)
        ]
    )
    assert "\\u0000" not in json.dumps(relayed[0].body)
    (entry,) = [e for e in desk.store.get(ticket.number).transcript if e.author.startswith("agent")]
    assert entry.text == "The credit note is on its way."

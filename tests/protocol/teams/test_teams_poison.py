"""Messages PostgreSQL would refuse as written (U+0000 in the text, an activity id over 200
characters, a conversation id over 500) are answered like any other, once, on SQLite and
PostgreSQL alike; the customer's words never reach a log line."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from fakes.cards import texts
from fakes.harness import BotServer, eventually

from bot.config import Settings

SECRET_WORDS = "my accountant Siobhán said"


@pytest.fixture
def settings(on_both_databases: Settings) -> Settings:
    return on_both_databases


async def test_a_message_with_nul_characters_is_answered(
    bot: BotServer, caplog: pytest.LogCaptureFixture
) -> None:
    user = bot.user()
    activity = user.message("When is my\x00 invoice\x00 due?")

    answer = await bot.post(activity)
    again = await bot.post(activity)  # a redelivery: nothing new

    assert (answer.status, again.status) == (201, 201)
    (reply,) = bot.cloud.sent(user.conversation)
    assert "NW-2026-0507" in texts(reply.card)[0]
    state = bot.assistant.storage.conversations.state("teams", user.conversation)
    assert state.transcript[0] == ("customer", "When is my invoice due?")
    assert not [r for r in caplog.records if "invoice" in r.getMessage() + str(r.exc_text)]


async def test_an_activity_id_over_its_column_is_answered_once(bot: BotServer) -> None:
    user = bot.user()
    activity = user.message("When is my invoice due?")
    activity["id"] = "f:" + "7" * 300

    first = await bot.post(activity)
    again = await bot.post(activity)

    assert (first.status, again.status) == (201, 201)
    (reply,) = bot.cloud.sent(user.conversation)
    assert "NW-2026-0507" in texts(reply.card)[0]


async def test_a_conversation_id_over_its_column_is_answered_and_reached_later(
    bot: BotServer,
) -> None:
    user = bot.user(conversation="a:1" + "x" * 600)

    answer = await bot.post(user.message("I want to dispute invoice NW-2026-0507"))

    assert answer.status == 201
    (reply,) = bot.cloud.sent(user.conversation)
    assert reply.conversation == user.conversation
    # The reference and the ticket share one key: an agent's reply reaches the same chat.
    stored = bot.assistant.storage.conversations.reference("teams", user.conversation)
    assert stored is not None and stored["conversation"]["id"] == user.conversation
    (ticket,) = bot.assistant.tickets.find()
    with bot.assistant.tickets.database.write() as session:
        bot.assistant.tickets.add_agent_reply_in(
            session, ticket.number, "Maeve", "The amount is on hold."
        )
    await eventually(
        lambda: [c for c in bot.cloud.sent(user.conversation) if "on hold" in str(c.body)]
    )


def test_a_database_error_does_not_carry_the_customer_text(settings: Settings) -> None:
    """Tracebacks of failed statements, as the adapters log them, leave the values out."""
    from sqlalchemy.exc import IntegrityError

    from bot.logsafe import loggable
    from bot.storage.database import make_engine
    from bot.storage.models import InboundEventRow

    engine = make_engine(settings.database)
    try:
        InboundEventRow.__table__.create(engine, checkfirst=True)
        row = {
            "source": "teams",
            "event_id": f"{SECRET_WORDS} twice",
            "received_at": datetime.now(UTC),
            "result": None,
        }
        with pytest.raises(IntegrityError) as failed, engine.begin() as conn:
            conn.execute(InboundEventRow.__table__.insert(), [row, row])
        logged = logging.Formatter().formatException(loggable(failed.value))
        # PostgreSQL quotes the duplicate key (DETAIL: Key ...); the log line does not.
        assert "Siobh" not in logged and "IntegrityError" in logged
    finally:
        engine.dispose()

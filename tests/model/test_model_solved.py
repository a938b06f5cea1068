"""With the real model, the intent classifier tells a customer's confirmation ("thanks, that
fixed it": the report's *confirmed resolved*) from a greeting, in English and Spanish, on
wordings that are not among its examples (marker `model`)."""

import pytest
from sqlalchemy import select

from bot.app import build_assistant
from bot.config import load_settings
from bot.storage.models import TurnRow
from bot.types import Message, ReplyKind
from bot.understanding import intents as I
from tests.conftest import NOW

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def assistant(real_embedder, tmp_path_factory):
    from tests.conftest import SAMPLE_KNOWLEDGE

    settings = load_settings(
        knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path_factory.mktemp("state")
    )
    return build_assistant(settings, embedder=real_embedder, clock=lambda: NOW)


def intent_of(assistant, text: str) -> str | None:
    conversation = f"cli-{text}"
    reply = assistant.handle(Message(text, conversation=conversation, customer_id="contoso"))
    assert reply.kind is ReplyKind.GREETING
    with assistant.storage.db.engine.connect() as conn:
        return conn.execute(
            select(TurnRow.intent).where(TurnRow.conversation == conversation)
        ).scalar_one()


@pytest.mark.parametrize(
    "text",
    [
        "thanks, that fixed my problem",
        "great, that was exactly the answer I needed",
        "muchas gracias, eso lo soluciona",
        "perfecto, ya está resuelto",
    ],
)
def test_a_confirmation_is_read_as_solved(assistant, text):
    assert intent_of(assistant, text) == I.SOLVED


@pytest.mark.parametrize("text", ["hello there", "buenas tardes", "goodbye"])
def test_a_greeting_is_not_a_confirmation(assistant, text):
    assert intent_of(assistant, text) == I.GREETING

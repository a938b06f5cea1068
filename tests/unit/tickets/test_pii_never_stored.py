"""Card numbers, IBANs and passwords a customer types never reach the database: a whole
conversation full of them (policy questions, unanswered ones, a ticket, feedback, a button
carrying the question), then every text and JSON column of every table is scanned for the
raw values, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import JSON, String, Text, select
from ticket_twins import StepClock

from bot.app import Assistant, build_assistant
from bot.config import Settings
from bot.retrieval.embedder import HashingEmbedder
from bot.storage.models import Base
from bot.storage.stores import Storage
from bot.types import Action, Message
from tests.conftest import NOW

CONTOSO_TENANT = "4acb5c8a-11e8-482a-bb39-334f65bb0370"
# As typed, and the digits alone (a store that dropped the spaces must not keep them either).
SECRETS = {
    "4111 1111 1111 1111": "4111111111111111",
    "5500-0055-5555-5559": "5500005555555559",
    "3782 822463 10005": "378282246310005",
    "DE89 3704 0044 0532 0130 00": "DE89370400440532013000",
    "GB82WEST12345698765432": "GB82WEST12345698765432",
    "Tr0ub4dor&3": "Tr0ub4dor&3",
    "hunter2": "hunter2",
}
CONVERSATION = [
    "When is my invoice due? My card is 4111 1111 1111 1111",
    "Why was 5500-0055-5555-5559 charged twice?",
    "Can I pay from DE89 3704 0044 0532 0130 00 instead?",
    "do you accept bitcoin from GB82WEST12345698765432",
    "my password is Tr0ub4dor&3 and the portal says password: hunter2",
    "I want to dispute invoice NW-2026-0507, card 3782 822463 10005",
    "yes",
]


@pytest.fixture
def assistant(settings: Settings, storage: Storage, clock: StepClock) -> Iterator[Assistant]:
    yield build_assistant(settings, embedder=HashingEmbedder(), storage=storage, clock=lambda: NOW)


def teams(text: str, n: int, **extra: object) -> Message:
    return Message(
        text,
        channel="teams",
        conversation="a:pii",
        user_id="u1",
        tenant_id=CONTOSO_TENANT,
        event_id=f"activity-{n}",
        **extra,  # type: ignore[arg-type]
    )


def stored_text(storage: Storage) -> Iterator[tuple[str, str]]:
    """(table.column, value) of every text and JSON value in the database."""
    with storage.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        text = value if isinstance(value, str) else json.dumps(value)
                        yield f"{table.name}.{column.name}", text


def test_no_card_iban_or_password_reaches_any_table(assistant: Assistant) -> None:
    for n, text in enumerate(CONVERSATION):
        assistant.handle(teams(text, n))
    last = len(CONVERSATION)
    assistant.handle(
        teams("", last, value={"action": Action.FEEDBACK, "helpful": False, "about": "pwd=hunter2"})
    )
    assistant.handle(
        teams(
            "",
            last + 1,
            value={"action": Action.TALK_TO_PERSON, "question": "card 4111-1111-1111-1111"},
        )
    )

    found = [
        (where, raw)
        for where, value in stored_text(assistant.storage)
        for typed, digits in SECRETS.items()
        for raw in (typed, digits)
        if raw in value or raw in value.replace(" ", "").replace("-", "")
    ]
    assert found == []
    # The conversation was stored, masked: the scan looked at real rows.
    columns = {where for where, _value in stored_text(assistant.storage)}
    assert {"conversations.state", "outbox.body", "inbound_events.result"} <= columns
    assert any("[card ****1111]" in value for _where, value in stored_text(assistant.storage))

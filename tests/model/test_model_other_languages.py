"""Languages the multilingual model reads but the catalogs don't (German, French, ...): the
facts in English, led by one sentence in the customer's language saying which languages the
bot writes, and no ticket offered because of the language (marker `model`: the real models,
configured as the CLI runs them)."""

from datetime import UTC, datetime

import pytest

from bot.types import Message, ReplyKind

pytestmark = pytest.mark.model

CONTOSO = "4acb5c8a-11e8-482a-bb39-334f65bb0370"
NOW = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def assistant(sample_assistant):
    return sample_assistant(NOW)


def ask(assistant, text: str, conversation: str):
    return assistant.handle(
        Message(text, channel="teams", conversation=conversation, user_id="u", tenant_id=CONTOSO)
    )


def test_a_german_question_gets_the_invoices_due_date(assistant):
    reply = ask(assistant, "Wann ist die Rechnung NW-2026-0507 fällig?", "de-due")
    assert reply.kind is ReplyKind.INVOICE and reply.ticket is None
    first, _, facts = reply.text.partition("\n\n")
    assert first == "Ich antworte auf Englisch oder Spanisch."
    assert "2 December 2026" in facts


def test_a_french_question_gets_the_months_invoice_amount(assistant):
    reply = ask(assistant, "Combien devons-nous payer pour la facture de septembre ?", "fr-sum")
    assert reply.kind is ReplyKind.INVOICE and reply.ticket is None
    first, _, facts = reply.text.partition("\n\n")
    assert first == "Je réponds en anglais ou en espagnol."
    assert "12,583.50" in facts

"""A Spanish-speaking customer is answered in Spanish, from the catalogs, in Spanish formats."""

import pytest

from bot.app import build_assistant
from bot.config import load_settings
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message, Reply, ReplyKind
from tests.conftest import NOW, SAMPLE_KNOWLEDGE

COHO_TENANT = "5f7a55ab-5a44-4eec-bd45-a7f4294bc649"
FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spanish")
    settings = load_settings(knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=folder)
    return build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)


def teams(text: str, tenant: str = COHO_TENANT, conversation: str = "c1") -> Message:
    return Message(text, channel="teams", conversation=conversation, user_id="u", tenant_id=tenant)


def test_a_spanish_customers_invoice_answer_is_in_spanish_with_spanish_formats(assistant):
    reply = assistant.handle(teams("¿Cuándo vence mi factura?", conversation="due"))
    assert reply.kind is ReplyKind.INVOICE
    assert "vence el 2 de diciembre de 2026" in reply.text
    assert "779,70\xa0€" in reply.text
    assert "due" not in reply.text.lower().split()
    assert reply.table is not None and reply.table.columns[0] == "Factura"
    assert [c.path for c in reply.citations] == ["articles/late-payments-and-suspension.es.md"]


def test_the_language_is_kept_for_a_message_too_short_to_tell(assistant):
    assistant.handle(teams("hola, buenos días", tenant=FABRIKAM_TENANT, conversation="short"))
    reply = assistant.handle(teams("gracias", tenant=FABRIKAM_TENANT, conversation="short"))
    assert reply.kind is ReplyKind.GREETING and reply.text.startswith("¡De nada!")


def test_a_language_the_bot_does_not_write_is_answered_in_the_customers_own(assistant):
    """Coho's configured language is Spanish: a German message is read, and answered in
    Spanish after one German sentence saying which languages the bot writes (the facts of
    such answers: tests/model/test_model_other_languages.py)."""
    reply = assistant.handle(
        teams("Wann ist meine Rechnung fällig? Bitte antworten Sie schnell", conversation="de")
    )
    first, _, rest = reply.text.partition("\n\n")
    assert first == "Ich antworte auf Englisch oder Spanisch."
    assert rest and "Abrechnungsteam" not in rest
    assert "factura" in rest and "invoice" not in rest and "billing" not in rest  # Spanish


def test_a_ticket_is_opened_in_spanish_with_the_folders_spanish_names(assistant):
    reply = assistant.handle(teams("quiero hablar con una persona", conversation="person"))
    assert reply.kind is ReplyKind.ESCALATE and reply.ticket is not None
    assert reply.text.startswith(
        f"He abierto el ticket {reply.ticket.number} (solicitud de hablar con una persona); el "
        "equipo de facturación de Northwind se encargará a partir de aquí."
    )
    assert reply.ticket.expected_reply == (
        "Recibirá una primera respuesta en un plazo de 4 horas hábiles."
    )
    assert reply.language == "es"


def test_an_unknown_organisation_writing_spanish_is_told_in_spanish(assistant):
    unknown = "00000000-0000-4000-8000-000000000000"
    reply = assistant.handle(
        teams("¿Cuánto debo en total? Necesito saberlo hoy", tenant=unknown, conversation="who")
    )
    assert reply.kind is ReplyKind.UNKNOWN_CUSTOMER
    assert reply.text.startswith("Lo siento, no encuentro ninguna cuenta de cliente")


def test_the_welcome_gives_the_hours_in_spanish(assistant):
    reply = assistant.welcome(COHO_TENANT)
    assert "lun–vie 08:00–18:00 (Europe/Amsterdam), salvo festivos" in reply.text
    assert reply.language == "es"


def test_the_replys_language_survives_the_outbox(assistant):
    reply = assistant.handle(teams("¿Cuándo vence mi factura?", conversation="outbox"))
    assert Reply.from_json(reply.to_json()).language == "es"

"""The adapters' own words (buttons, labels, headings) come from the catalogs: a Spanish reply
gets a Spanish card, a Spanish desk Spanish blocks; English stays as it was."""

from adapters.slack.blocks import ticket_blocks, ticket_text
from adapters.slack.desk import queue_view
from adapters.teams.cards import notice_card, reply_card
from bot.channel import OutboxEvent
from bot.types import Citation, Reply, ReplyKind, Table, TicketInfo


def _texts(node) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "title", "placeholder") and isinstance(value, str):
                found.append(value)
            found += _texts(value)
    elif isinstance(node, list):
        for item in node:
            found += _texts(item)
    return found


ANSWER = Reply(
    "Su factura vence el 2 de diciembre de 2026.",
    ReplyKind.INVOICE,
    citations=(Citation("Pagos", "Plazos", "articles/payment-methods-and-terms.es.md"),),
    table=Table(("Factura",), tuple((f"NW-{n}",) for n in range(30))),
    language="es",
)


def test_a_spanish_reply_gets_a_spanish_card():
    texts = _texts(reply_card(ANSWER))
    for spanish in ("¿Le ha resultado útil?", "Sí", "No", "Hablar con una persona", "Fuentes"):
        assert spanish in texts
    assert "… y 5 filas más." in texts
    assert not {"Was this helpful?", "Yes", "Talk to a person", "Sources"} & set(texts)


def test_an_english_reply_keeps_its_english_card():
    texts = _texts(reply_card(Reply("Due on 2 December 2026.", ReplyKind.ANSWER)))
    assert {"Was this helpful?", "Yes", "No", "Talk to a person"} <= set(texts)


def test_a_spanish_ticket_shows_its_status_in_spanish():
    ticket = TicketInfo("BILL-1", "human_request", "partner_billing", "claimed", "Pronto.")
    card = reply_card(
        Reply("He abierto el ticket BILL-1.", ReplyKind.ESCALATE, ticket=ticket, language="es")
    )
    (facts,) = [e["facts"] for e in card["body"] if e["type"] == "FactSet"]
    assert {f["title"]: f["value"] for f in facts} == {
        "Ticket": "BILL-1",
        "Estado": "con un agente",
        "Respuesta prevista": "Pronto.",
    }


def test_a_resolution_asks_in_the_conversations_language():
    body = {"number": "BILL-1", "agent": "Maeve", "text": "Abono emitido."}
    texts = _texts(notice_card(OutboxEvent.TICKET_RESOLVED, body, "es"))
    assert texts[0] == "Maeve ha resuelto BILL-1"
    assert {"¿Se ha resuelto su problema?", "Sí, resuelto", "No, reábralo"} <= set(texts)
    english = _texts(notice_card(OutboxEvent.AGENT_REPLY, body))
    assert english[0] == "Maeve replied on BILL-1"


TICKET = {
    "number": "BILL-1001",
    "customer_id": "coho",
    "category": "billing_dispute",
    "route": "partner_billing",
    "status": "open",
    "assignee": None,
    "question": "Quiero disputar la factura NW-2026-0525",
    "transcript": [{"author": "customer", "text": "hola", "internal": False}],
    "evidence": [],
}


def test_a_spanish_desk_gets_spanish_blocks_and_an_english_one_english():
    spanish = _texts(ticket_blocks(TICKET, [("billing_dispute", "Billing dispute")], "es"))
    assert "*Cliente*\ncoho" in spanish and "*Estado*\n:red_circle: abierto" in spanish
    assert {"Asignármelo", "Resolver", "Cambiar categoría"} <= set(spanish)
    assert "*Conversación*\n*cliente*: hola" in spanish
    english = _texts(ticket_blocks(TICKET, [("billing_dispute", "Billing dispute")]))
    assert "*Customer*\ncoho" in english and "*Status*\n:red_circle: open" in english
    assert {"Claim", "Resolve", "Change category"} <= set(english)
    assert ticket_text(TICKET, "es").startswith("BILL-1001 (open) de coho: ")


def test_the_app_home_in_spanish():
    from adapters.slack.desk import Queue

    view = queue_view(Queue("Maeve", (), (), (), None), "es")
    texts = _texts(view)
    assert texts[0] == "Escalados de facturación"
    assert texts[1].endswith("el abierto más antiguo: nada en espera")


def test_rows_and_lines_left_out_are_counted_one_or_many():
    def reply(rows: int, language: str) -> Reply:
        table = Table(("Invoice",), tuple((f"NW-{n}",) for n in range(rows)))
        return Reply("-", ReplyKind.INVOICE, table=table, language=language)

    assert "… and 1 more row." in _texts(reply_card(reply(26, "en")))
    assert "… and 3 more rows." in _texts(reply_card(reply(28, "en")))
    assert "… y 1 fila más." in _texts(reply_card(reply(26, "es")))
    assert not any("more row" in t for t in _texts(reply_card(reply(25, "en"))))

    def transcript(lines: int, language: str) -> str:
        said = [{"author": "customer", "text": f"m{n}", "internal": False} for n in range(lines)]
        return "\n".join(_texts(ticket_blocks({**TICKET, "transcript": said}, [], language)))

    assert "_…1 earlier line_" in transcript(13, "en")
    assert "_…3 earlier lines_" in transcript(15, "en")
    assert "_…1 línea anterior_" in transcript(13, "es")
    assert "_…3 líneas anteriores_" in transcript(15, "es")
    assert "earlier" not in transcript(12, "en")


def test_the_queues_counters_read_as_labels_in_spanish():
    from adapters.slack.desk import Queue

    texts = _texts(queue_view(Queue("Maeve", (), (), (), None), "es"))
    assert texts[1].startswith("abiertos: *0* · míos: *0* · esperando al cliente: *0*")

"""The one evaluation runner (the hashing embedder: what is pinned here is how a run is set
up, not what the model answers): each conversation in its own conversation, with its
customer's tenant and its own day, on a throwaway database; a run summed up whole, by
language and by held fold; questions read in their own language."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.app import build_assistant
from bot.config import load_settings
from bot.evaluation.conversations import Conversation, Expect, Handler, Turn
from bot.evaluation.questions import Question
from bot.evaluation.runner import Runner
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message, Reply, Role
from tests.conftest import SAMPLE_KNOWLEDGE

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"


def conversation(
    name: str,
    customer: str | None,
    *says: str,
    language: str = "en",
    today: date = date(2026, 11, 24),
    role: Role = Role.CUSTOMER,
    kind: str = "invoice",
) -> Conversation:
    turns = tuple(Turn(say, Expect(kinds=(kind,))) for say in says)
    return Conversation(name, customer, role, language, today, turns)


def build(settings):
    return lambda storage: build_assistant(settings, embedder=HashingEmbedder(), storage=storage)


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    settings = load_settings(knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=state)
    with Runner.scratch(build(settings)) as runner:
        yield runner


def test_each_conversation_is_its_own_with_its_customers_tenant(runner):
    seen: list[Message] = []

    def record(handle: Handler) -> Handler:
        def recorded(message: Message) -> Reply:
            seen.append(message)
            return handle(message)

        return recorded

    owes = conversation("owes", "fabrikam", "how much do we owe right now", "and when is it due")
    desk = conversation("desk", None, "which customers are overdue", role=Role.AGENT)
    for each in (owes, desk):
        results = list(runner.turns(each, wrap=record))
        assert [r.index for r in results] == list(range(len(each.turns)))

    assert [(m.conversation, m.event_id) for m in seen] == [
        ("eval-owes", "eval-owes-0"),
        ("eval-owes", "eval-owes-1"),
        ("eval-desk", "eval-desk-0"),
    ]
    assert [m.tenant_id for m in seen] == [FABRIKAM_TENANT, FABRIKAM_TENANT, None]
    assert seen[-1].role is Role.AGENT


def test_a_conversation_runs_on_its_own_day_and_counts_the_ticket_it_opens(runner):
    day = date(2026, 12, 3)
    person = conversation("person", "contoso", "talk to a person", today=day, kind="escalate")

    (result,) = runner.turns(person)

    assert result.ticket_opened and result.passed
    (ticket,) = [
        t for t in runner.assistant.storage.tickets.find() if t.conversation == "eval-person"
    ]
    assert ticket.created_at.astimezone(UTC) == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def test_a_run_is_summed_up_whole_by_language_and_by_fold(runner):
    conversations = [
        conversation("en-1", "fabrikam", "how much do we owe right now"),
        conversation("en-2", "contoso", "talk to a person", kind="escalate"),
        conversation("es-1", "coho", "¿Cuándo vence mi factura?", language="es"),
    ]
    on_turn = []

    run = runner.conversations(conversations, on_turn=on_turn.append)

    assert [r.conversation.id for r in on_turn] == ["en-1", "en-2", "es-1"]
    assert [len(turns) for turns in run.results] == [1, 1, 1]
    assert run.summary().turns.total == 3
    assert {k: s.turns.total for k, s in run.languages().items()} == {"en": 2, "es": 1}
    report = run.to_json(run.cross_validated(3))
    assert [t["id"] for t in report["turns"]] == ["en-1", "en-2", "es-1"]
    assert report["summary"] == run.summary().to_json()
    assert report["cross_validated"]["folds"] == 3
    assert "cross_validated" not in run.to_json()


def test_each_question_is_read_in_its_own_language(runner):
    questions = [
        Question(
            "How do I pay my invoice by bank transfer?", ("payment-methods-and-terms.md",), True
        ),
        Question("¿Cómo puedo pagar mi factura por transferencia bancaria?", (), True),
    ]

    report = runner.questions(questions, date(2026, 11, 24))

    assert report["languages"] == {"en": 1, "es": 1}
    assert report["decisions"]["total"] == 2


def test_the_scratch_database_is_thrown_away_and_the_served_one_is_never_opened(tmp_path):
    settings = load_settings(knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path / "state")
    with Runner.scratch(build(settings)) as runner:
        list(runner.turns(conversation("person", "contoso", "talk to a person")))
        scratch = Path(str(runner.assistant.storage.db.engine.url.database))
        assert scratch.exists()

    assert not scratch.exists()
    assert not Path(settings.database.removeprefix("sqlite:///")).exists()


def test_held_folds_run_every_conversation_afresh_in_its_order(runner):
    conversations = [
        conversation(f"c{n}", "fabrikam", "how much do we owe right now") for n in range(4)
    ]
    whole = runner.conversations(conversations)
    held = runner.held_folds(conversations, 2)
    assert [r[0].conversation.id for r in held.results] == ["c0", "c1", "c2", "c3"]
    # a fresh conversation each: the same first turn gets the same reply as in the whole run
    assert [r[0].reply.kind for r in held.results] == [r[0].reply.kind for r in whole.results]
    assert held.cross_validated(2).to_json()["folds"] == 2

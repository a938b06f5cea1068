"""`eval --conversations` on the development conversations with the real model (marker
`model`): the figures the product must keep reaching.

The issue's targets are >= 90% of English turns, <= 2% unexpected tickets, <= 5% answerable
turns declined and >= 85% follow-ups. The thresholds below are what the bot reaches today
where that is less (English turns, declined, follow-ups); raise them as it improves, never
lower them to bless a regression.
"""

import json

import pytest

from bot.app import Assistant, build_assistant
from bot.config import load_settings
from bot.conversation_eval import Summary, load_conversations, pinned_clock, run_conversation
from bot.storage import Storage
from bot.tickets.database import Database
from tests.conftest import SAMPLE_KNOWLEDGE, SHARED_DATA

pytestmark = pytest.mark.model

CONVERSATIONS = SHARED_DATA / "conversations-dev" / "conversations.jsonl"


@pytest.fixture(scope="module")
def english(real_embedder, tmp_path_factory) -> Summary:
    state = tmp_path_factory.mktemp("state")
    settings = load_settings(knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=state)
    built = build_assistant(settings, embedder=real_embedder)
    english = [c for c in load_conversations(CONVERSATIONS) if c.language == "en"]
    throwaway = Storage.from_url(f"sqlite:///{state / 'eval.db'}")
    summary = Summary()
    for conversation in english:
        clock = pinned_clock(conversation.today)
        storage = Storage(Database(throwaway.db.engine, clock=clock))
        assistant = Assistant(settings, built.answerer, storage, clock)
        customer = built.knowledge.customer(conversation.customer or "")
        tenant = customer.tenant_ids[0] if customer else None
        count = lambda: len(throwaway.tickets.find())  # noqa: E731
        summary.add_conversation(
            list(run_conversation(conversation, assistant.handle, count, tenant))
        )
    print(json.dumps(summary.to_json()))
    return summary


def share(passed: int, total: int) -> float:
    return passed / total if total else 1.0


def test_english_turns_pass(english):
    # 160/201 measured with `eval --conversations`; a little slack for this test's single
    # embedder (the CLI searches Spanish with USE). Target 0.90.
    assert share(english.turns.passed, english.turns.total) >= 0.78


def test_tickets_nobody_expected_stay_rare(english):
    assert english.unexpected_tickets / english.turns.total <= 0.02  # the target


def test_answerable_turns_are_rarely_declined(english):
    assert english.answerable_declined / english.answerable <= 0.08  # target 0.05


def test_follow_ups_use_the_conversation(english):
    assert share(english.follow_ups.passed, english.follow_ups.total) >= 0.78  # target 0.85

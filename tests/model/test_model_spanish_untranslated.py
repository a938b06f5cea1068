"""0 untranslated strings shown to a Spanish-speaking customer (marker `model`): every Spanish
customer conversation of the development set runs with the real models, and every sentence
of every reply's Teams card (text, table headings and cells, ticket facts, buttons) is read
by lingua. The passage of an English article quoted when no Spanish one answers is the one
exception, and the reply says so first (`bot.answering.multilingual`). A turn the language
detector takes for English is answered in English throughout: that is detection, counted
apart (1 of 82 today: "hola" opening the conversation of a customer whose language is not
known, one word being too few to move it).

`benchmarks/spanish_turns.py` prints the same count, with the turn times.
"""

import pytest

from adapters.teams.cards import reply_card, shown_texts
from bot.app import Assistant, build_assistant
from bot.config import load_settings
from bot.conversation_eval import load_conversations, pinned_clock, run_conversation
from bot.locale.audit import english_sentences, quoted_names
from bot.retrieval.embedder import make_embedder
from bot.storage import Storage
from bot.tickets.database import Database
from bot.types import Role
from tests.conftest import SAMPLE_KNOWLEDGE, SHARED_DATA

pytestmark = pytest.mark.model

CONVERSATIONS = SHARED_DATA / "conversations-dev" / "conversations.jsonl"


def test_nothing_english_is_shown_to_a_spanish_speaking_customer(real_embedder, tmp_path):
    settings = load_settings(knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path)
    others = {"es": make_embedder(settings.embedding_model_es)}
    built = build_assistant(settings, embedder=real_embedder, others=others)
    knowledge = built.knowledge
    names = quoted_names(knowledge)
    spanish = [
        c
        for c in load_conversations(CONVERSATIONS)
        if c.language == "es" and c.role is Role.CUSTOMER
    ]
    throwaway = Storage.from_url(f"sqlite:///{tmp_path / 'eval.db'}")
    english, turns, taken_for_english = [], 0, []
    for conversation in spanish:
        clock = pinned_clock(conversation.today)
        storage = Storage(Database(throwaway.db.engine, clock=clock))
        assistant = Assistant(settings, built.answerer, storage, clock, built.detector)
        customer = knowledge.customer(conversation.customer or "")
        tenant = customer.tenant_ids[0] if customer else None
        count = lambda: len(throwaway.tickets.find())  # noqa: E731
        for result in run_conversation(conversation, assistant.handle, count, tenant):
            turns += 1
            reply = result.reply
            if reply.language != "es":
                taken_for_english.append(conversation.turns[result.index].say)
                continue
            shown = shown_texts(reply_card(reply, conversation.turns[result.index].say))
            if reply.citations and not reply.citations[0].path.endswith(".es.md"):
                shown = shown[1:]  # an English article, quoted after saying so
            english += [
                f"{conversation.id}: {sentence}"
                for sentence in english_sentences(shown, names, built.detector)
            ]
    assert turns >= 80
    assert english == []
    assert len(taken_for_english) <= 2, taken_for_english

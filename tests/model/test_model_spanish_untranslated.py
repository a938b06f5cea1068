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
from bot.app import build_assistant
from bot.config import load_settings
from bot.evaluation.conversations import load_conversations
from bot.evaluation.runner import Runner
from bot.locale.audit import english_sentences, quoted_names
from bot.types import Role
from tests.conftest import SAMPLE_KNOWLEDGE, SHARED_DATA

pytestmark = pytest.mark.model

CONVERSATIONS = SHARED_DATA / "conversations-dev" / "conversations.jsonl"


def test_nothing_english_is_shown_to_a_spanish_speaking_customer(
    real_embedder, spanish_embedder, tmp_path
):
    settings = load_settings(knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path)
    others = {"es": spanish_embedder}  # the default EMBEDDING_MODEL_ES
    spanish = [
        c
        for c in load_conversations(CONVERSATIONS)
        if c.language == "es" and c.role is Role.CUSTOMER
    ]
    english, turns, taken_for_english = [], 0, []

    def build(storage):
        return build_assistant(settings, embedder=real_embedder, others=others, storage=storage)

    with Runner.scratch(build) as runner:
        built = runner.assistant
        names = quoted_names(built.knowledge)
        for conversation in spanish:
            for result in runner.turns(conversation):
                turns += 1
                reply, said = result.reply, conversation.turns[result.index].say
                if reply.language != "es":
                    taken_for_english.append(said)
                    continue
                shown = shown_texts(reply_card(reply, said))
                if reply.citations and not reply.citations[0].path.endswith(".es.md"):
                    shown = shown[1:]  # an English article, quoted after saying so
                english += [
                    f"{conversation.id}: {sentence}"
                    for sentence in english_sentences(shown, names, built.detector)
                ]
    assert turns >= 80
    assert english == []
    assert len(taken_for_english) <= 2, taken_for_english

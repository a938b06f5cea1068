"""`eval --conversations` on the development conversations with the real models (marker
`model`), run by the runner the CLI uses (`bot.evaluation.runner`) and configured as the CLI
runs them (all-MiniLM-L6-v2 for English and intents, multilingual USE for Spanish): the
figures the product must keep reaching.

The issue's targets (English): >= 90% of turns pass, <= 2% of turns open a ticket nobody
expected, <= 5% of answerable turns are declined, >= 85% of follow-up turns pass; Spanish
within 5 points of English. The floors below are what the bot reaches, less one turn of
slack; raise them as it improves, never lower them to bless a regression.
"""

import json

import pytest

from bot.app import build_assistant
from bot.config import load_settings
from bot.evaluation.conversations import load_conversations
from bot.evaluation.runner import Runner
from bot.evaluation.summary import Summary
from tests.conftest import SAMPLE_KNOWLEDGE, SHARED_DATA

pytestmark = pytest.mark.model

CONVERSATIONS = SHARED_DATA / "conversations-dev" / "conversations.jsonl"


@pytest.fixture(scope="module")
def summaries(real_embedder, spanish_embedder, tmp_path_factory) -> dict[str, Summary]:
    settings = load_settings(
        knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path_factory.mktemp("state")
    )
    others = {"es": spanish_embedder}

    def build(storage):
        return build_assistant(settings, embedder=real_embedder, others=others, storage=storage)

    with Runner.scratch(build) as runner:
        by_language = runner.conversations(load_conversations(CONVERSATIONS)).languages()
    print(json.dumps({language: s.to_json() for language, s in by_language.items()}))
    return by_language


@pytest.fixture(scope="module")
def english(summaries) -> Summary:
    return summaries["en"]


def share(passed: int, total: int) -> float:
    return passed / total if total else 1.0


def test_english_turns_pass(english):
    # 188/201 (94%) measured; target 0.90
    assert english.turns.passed >= 186


def test_tickets_nobody_expected_stay_rare(english):
    # 0 measured; target <= 2% of turns
    assert english.unexpected_tickets <= 1


def test_answerable_turns_are_rarely_declined(english):
    # 4/148 (2.7%) measured; target <= 5%
    assert english.answerable_declined <= 7


def test_follow_ups_use_the_conversation(english):
    # 41/42 (98%) measured; target 0.85
    assert english.follow_ups.passed >= 40


def test_spanish_keeps_up_with_english(summaries, english):
    spanish = summaries["es"]
    # 75/84 (89%) measured; Spanish within 5 points of English
    assert spanish.turns.passed >= 75
    assert share(spanish.turns.passed, spanish.turns.total) >= (
        share(english.turns.passed, english.turns.total) - 0.05
    )

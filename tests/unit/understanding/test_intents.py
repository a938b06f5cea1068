"""The intent classifier: learned from example files and the partner's escalation.yaml."""

from pathlib import Path

import pytest

from bot.errors import BotError
from bot.knowledge.escalation import Category, EscalationRules, Route
from bot.retrieval.embedder import HashingEmbedder
from bot.understanding import intents as I
from bot.understanding.intents import IntentClassifier, load_examples

RULES = EscalationRules(
    {"billing": Route("billing", "Billing team", "")},
    (
        Category(
            "billing_dispute",
            "Billing dispute",
            "billing",
            "",
            ("I want to dispute invoice NW-1", "this charge is wrong, correct it"),
            ("how do I dispute an invoice?",),
        ),
    ),
)


@pytest.fixture(scope="module")
def classifier():
    embedder = HashingEmbedder(384)
    return IntentClassifier(load_examples(RULES), embedder), embedder


def guess(classifier, text):
    model, embedder = classifier
    return model.classify(text, embedder.embed([text])[0])


def test_examples_come_from_the_files_and_the_partners_categories():
    examples = load_examples(RULES)
    intents = {e.intent for e in examples}
    assert {I.BALANCE, I.POLICY, I.YES, I.GREETING, "escalate.billing_dispute"} <= intents
    # built-in examples of a category this partner does not define are left out
    assert "escalate.legal" not in intents
    # the partner's counter-examples teach "policy"
    assert any(e.text == "how do I dispute an invoice?" and e.intent == I.POLICY for e in examples)


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("how much do we owe you", "invoice"),
        ("I want to dispute invoice NW-2026-0477", "escalate"),
        ("hello", I.GREETING),
        ("yes please", I.YES),
    ],
)
def test_it_learns_the_examples(classifier, text, group):
    assert I.group_of(guess(classifier, text).intent or "") == group


def test_scores_are_probabilities_over_every_intent(classifier):
    result = guess(classifier, "zzzz qqqq")
    assert 0.0 <= result.confidence <= 1.0
    assert abs(sum(p for _, p in result.groups) - 1.0) < 1e-6


def test_it_abstains_when_no_group_is_probable_enough(classifier):
    model, embedder = classifier
    strict = IntentClassifier(load_examples(RULES), embedder, abstain_below=0.99)
    assert strict.classify("xyzzy plugh", embedder.embed(["xyzzy plugh"])[0]).intent is None
    assert model.key == strict.key  # same examples, same model: the same cache key


def test_a_broken_example_file_names_itself(tmp_path: Path):
    (tmp_path / "en.yaml").write_text("intents: [1, 2]\n", encoding="utf-8")
    with pytest.raises(BotError, match=r"en\.yaml"):
        load_examples(RULES, ("en",), tmp_path)


def test_classify_gives_the_fitted_models_own_probabilities(classifier):
    """`classify` computes what `predict_proba` would, without sklearn's per-call checks."""
    model, embedder = classifier
    examples = [e.text for e in load_examples(RULES)][::7]
    texts = [
        *examples,
        "",
        "ZZZ qqq",
        "¿Cuándo vence mi factura?",
        "INVOICE NW-2026-0463 is wrong!!",
    ]
    for text in texts:
        vector = embedder.embed([text])[0]
        features = model._features(vector.reshape(1, -1), model._lexical.transform([text]))
        expected = model._model.predict_proba(features)[0]
        assert model.probabilities(text, vector) == pytest.approx(expected, rel=1e-9, abs=1e-12)

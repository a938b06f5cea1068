"""The intent classifier: learned from example files and the partner's escalation.yaml."""

from pathlib import Path

import numpy as np
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
        ("hello", "courtesy"),
        ("yes please", I.YES),
    ],
)
def test_it_learns_the_examples(classifier, text, group):
    assert I.group_of(guess(classifier, text).intent or "") == group


def test_thanks_split_between_greeting_and_solved_is_still_a_courtesy():
    # Each of the two alone may be below the classifier's bar; together they are sure.
    assert I.group_of(I.GREETING) == I.group_of(I.SOLVED) == "courtesy"
    assert I.group_of(I.POLICY) == I.POLICY


def test_a_spelling_is_parsed_into_a_named_intent_or_an_escalation():
    assert I.parse_intent("invoice.balance") == I.BALANCE
    legal = I.parse_intent("escalate.legal")
    assert legal is not None and I.escalation_category(legal) == "legal"
    assert I.escalation_category(I.BALANCE) is None
    assert I.parse_intent("escalate.") is None
    assert I.parse_intent("invoice.renamed") is None


def test_an_unknown_intent_in_the_examples_is_refused(tmp_path):
    (tmp_path / "en.yaml").write_text("intents:\n  invoice.renamed: [how much]\n")
    with pytest.raises(BotError, match="unknown intent"):
        I.load_examples(RULES, folder=tmp_path)


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


def probabilities(model, embedder, text):
    return dict(model.classify(text, embedder.embed([text])[0]).groups)


def test_a_saved_fit_is_loaded_and_classifies_alike(tmp_path: Path):
    embedder = HashingEmbedder(384)
    examples = load_examples(RULES)
    fitted = IntentClassifier(examples, embedder, fits=tmp_path)
    loaded = IntentClassifier(examples, embedder, fits=tmp_path)
    assert not fitted.loaded and loaded.loaded
    assert [p.name for p in tmp_path.iterdir()] == [f"intents-{fitted.key}.npz"]
    for text in ("how much do we owe you", "I dispute this invoice", "hola", "zzzz"):
        a, b = probabilities(fitted, embedder, text), probabilities(loaded, embedder, text)
        assert a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-9 for k in a)


def test_other_examples_are_fitted_again_and_replace_the_old_fit(tmp_path: Path):
    embedder = HashingEmbedder(384)
    examples = load_examples(RULES)
    first = IntentClassifier(examples, embedder, fits=tmp_path)
    more = [*examples, I.Example("what's the damage this month", I.BALANCE)]
    second = IntentClassifier(more, embedder, fits=tmp_path)
    assert first.key != second.key and not second.loaded
    assert [p.name for p in tmp_path.iterdir()] == [f"intents-{second.key}.npz"]


def test_an_unreadable_fit_is_fitted_again(tmp_path: Path):
    embedder = HashingEmbedder(384)
    examples = load_examples(RULES)
    key = IntentClassifier(examples, embedder).key
    (tmp_path / f"intents-{key}.npz").write_bytes(b"not a fit")
    model = IntentClassifier(examples, embedder, fits=tmp_path)
    assert not model.loaded
    assert I.group_of(guess((model, embedder), "how much do we owe you").intent or "") == "invoice"
    assert IntentClassifier(examples, embedder, fits=tmp_path).loaded  # saved over it


def test_classify_gives_the_fitted_models_own_probabilities(classifier):
    """`classify` computes what the fit's own features give (sklearn's TF-IDF transform beside
    the embedding, through the regression's weights), without sklearn's per-call checks."""
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
        scores = np.asarray(features @ model._coef.T).ravel() + model._intercept
        expected = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        assert model.probabilities(text, vector) == pytest.approx(expected, rel=1e-9, abs=1e-12)

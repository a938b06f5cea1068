"""A question why a tax applies is an explanation; a disagreement about tax stays a dispute."""

import pytest

from bot.understanding.explanations import asks_why_a_tax_applies


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("how come there is VAT on the licences", "en"),
        ("why do you add tax for a company in Norway", "en"),
        ("why is there no VAT for us", "en"),
        ("¿por qué nos aplicáis IVA?", "es"),
        ("porque no lleva impuestos la factura", "es"),
    ],
)
def test_asking_why_a_tax_is_charged_is_asking_for_the_policy(text, language):
    assert asks_why_a_tax_applies(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("why did you add VAT although we sent our VAT number", "en"),
        ("why is the tax wrong on this invoice", "en"),
        ("why were we taxed twice", "en"),
        ("¿por qué hay IVA si os dimos el número? está mal", "es"),
        ("por qué cobráis IVA dos veces", "es"),
    ],
)
def test_a_why_that_says_something_is_wrong_stays_a_disagreement(text, language):
    assert not asks_why_a_tax_applies(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("why is the invoice higher this month", "en"),  # no tax: a line, maybe disputed
        ("what is the VAT amount on this bill", "en"),  # no why: a look-up
        ("warum berechnen Sie Mehrwertsteuer", "de"),  # read by the other languages' reader
    ],
)
def test_other_questions_are_not_tax_explanations(text, language):
    assert not asks_why_a_tax_applies(text, language)

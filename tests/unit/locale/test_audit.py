"""The measure of untranslated text finds English sentences, and only them."""

import pytest

from bot.locale.audit import english_sentences
from bot.understanding.language import LanguageDetector

NAMES = ["Microsoft 365 Business Premium", "Bodegas Coho S.L.", "Northwind Cloud Partners"]


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


def test_an_english_sentence_among_spanish_ones_is_found(detector):
    texts = [
        "Factura NW-2026-0525, emitida el 2 de noviembre de 2026: 779,70 € (pendiente). "
        "The PDF was emailed to your billing contacts on 2 November 2026.",
        "¿Le ha resultado útil?",
    ]
    assert english_sentences(texts, NAMES, detector) == [
        "The PDF was emailed to your billing contacts on 2 November 2026."
    ]


def test_quoted_names_and_figures_are_not_english_sentences(detector):
    texts = [
        "En la factura NW-2026-0525, Microsoft 365 Business Premium (prorrateo), del 20 de "
        "octubre al 31 de octubre: 5 × 8,94 € = 44,70 € antes de impuestos.",
        "Microsoft 365 Business Premium",
        "billing@northwind-cloud.example o +31 20 555 0100",
        "Total",
    ]
    assert english_sentences(texts, NAMES, detector) == []

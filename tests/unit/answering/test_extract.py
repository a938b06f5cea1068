"""Extractive answers: the sentences of a section that answer, with their context."""

from bot.answering.extract import MAX_WORDS, extract
from bot.retrieval.lexical import Tokenizer

tokenize = Tokenizer()
FILLER = " ".join(f"Filler sentence number {n} says nothing new." for n in range(14))


def test_a_short_section_is_returned_whole():
    text = "Invoices are due in 30 days. We accept cards."
    assert extract(text, "when is it due", tokenize) == text


def test_the_matching_sentence_comes_with_its_context_up_to_the_limit():
    text = f"{FILLER}\nSEPA direct debit is for EUR invoices only. Ask us for a mandate form."
    answer = extract(text, "can we pay by sepa direct debit", tokenize)
    assert "SEPA direct debit is for EUR invoices only." in answer
    assert "Ask us for a mandate form." in answer  # the sentence after it, in budget
    assert len(answer.replace(" …", "").split()) <= MAX_WORDS + 25


def test_a_short_first_sentence_leads_an_answer_found_further_down():
    text = (
        "Billing support is closed on Dutch public holidays. In 2026 these are:\n"
        + FILLER
        + "\n- Second Christmas Day: 26 December 2026"
    )
    answer = extract(text, "are you open on 26 december", tokenize)
    assert answer.startswith("Billing support is closed on Dutch public holidays.")
    assert "26 December 2026" in answer


def test_a_bare_yes_or_no_leads_with_the_sentence_that_says_what_it_answers():
    text = (
        "No. The price per license is fixed for the length of your term. "
        + FILLER
        + " If Microsoft raises its prices, the new price applies from your next renewal."
    )
    answer = extract(text, "will microsoft raise the price at renewal", tokenize)
    assert answer.startswith("No. The price per license is fixed for the length of your term. … ")
    assert answer.endswith("the new price applies from your next renewal.")


def test_the_customers_own_facts_are_preferred():
    text = (
        f"{FILLER}\nPremium costs EUR 4.00 per user.\n{FILLER}\n"
        "Customers invoiced in USD pay USD 4.40 per user."
    )
    assert "USD 4.40" in extract(text, "how much is premium", tokenize, ("USD",))

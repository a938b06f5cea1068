"""Answers checked against the customer's own facts: the sample folder's customers (adatum on
the Standard plan, contoso on Premium, fabrikam overdue past its suspension date, wingtip
with a disputed invoice) asking, in words of our own, what a sentence of the wrong section
or of another plan would answer wrongly; in Spanish the Standard plan is "Estándar"
(partner.yaml `support_plans`)."""

import pytest

from bot.answering.extract import extract
from bot.answering.facts_check import FactsCheck, Folder, OwnFacts, own_facts
from bot.knowledge.folder import load_knowledge
from bot.knowledge.plans import PlanNames
from bot.retrieval.lexical import Tokenizer
from tests.conftest import SAMPLE_KNOWLEDGE

tokenize = Tokenizer()


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge(SAMPLE_KNOWLEDGE)


def facts_of(knowledge, customer_id: str, language: str = "en") -> OwnFacts:
    customer = knowledge.customer(customer_id)
    invoices = knowledge.invoices_of(customer_id)
    return own_facts(customer, invoices, folder(knowledge), Tokenizer(language), language)


def folder(knowledge, plan_names: PlanNames | None = None) -> Folder:
    products = sorted({name for name, _sku in knowledge.invoices.products()})
    names = knowledge.partner.plan_names if plan_names is None else plan_names
    return Folder(knowledge.customers, knowledge.passages, products, names)


def answer(knowledge, customer_id: str, question: str, heading: str, language: str = "en") -> str:
    """What the section under `heading` answers `question` for the customer, as
    `Answerer._article_body` reads it: "" when nothing of it holds for them."""
    passage = next(
        p
        for p in knowledge.passages
        if p.section == heading and p.language == language and p.path.startswith("articles/")
    )
    words = Tokenizer(language)
    facts = own_facts(
        knowledge.customer(customer_id),
        knowledge.invoices_of(customer_id),
        folder(knowledge),
        words,
        language,
    )
    check = FactsCheck(question, heading, facts, words, language)
    if check.wrong_section(passage.text):
        return ""
    return extract(passage.text, question, words, keep=check.consistent)


DISPUTE_OPEN = "What happens to my payment while a dispute is open?"
SUSPENSION = "When will my access be suspended for non-payment?"
BILLING_COST = "Does billing support cost extra?"
PAYMENT_PLAN = "Can I agree a payment plan?"


def test_the_facts_hold_the_plan_the_dispute_and_what_the_plan_pays_for(knowledge):
    adatum, wingtip = facts_of(knowledge, "adatum"), facts_of(knowledge, "wingtip")
    assert adatum.plan == "standard" and adatum.plans == {"standard", "premium"}
    assert {"technic", "hands-on"} <= adatum.priced  # hands-on technical work, by the hour
    assert not adatum.disputing and wingtip.disputing
    assert facts_of(knowledge, "contoso").plan == "premium"


def test_a_late_payer_without_a_dispute_gets_nothing_from_the_dispute_section(knowledge):
    assert (
        answer(knowledge, "fabrikam", "what if our money arrives a week late?", DISPUTE_OPEN) == ""
    )


def test_a_customer_with_a_disputed_invoice_keeps_the_dispute_section(knowledge):
    text = answer(knowledge, "wingtip", "what if our money arrives a week late?", DISPUTE_OPEN)
    assert "never leads to a suspension" in text


def test_asking_about_disputing_keeps_the_dispute_section(knowledge):
    question = "do you keep chasing us while we contest a line?"
    assert "never leads to a suspension" in answer(knowledge, "fabrikam", question, DISPUTE_OPEN)


def test_an_exemption_for_disputes_is_left_out_of_a_late_payment_answer(knowledge):
    text = answer(knowledge, "fabrikam", "will you cut off our users if we pay late?", SUSPENSION)
    assert "30 days after its due date" in text
    assert "open dispute" not in text


def test_a_standard_customer_is_not_told_technical_work_costs_nothing(knowledge):
    text = answer(knowledge, "adatum", "do we pay extra for hands-on technical help?", BILLING_COST)
    assert not text.startswith("No.")
    assert "at no extra cost" not in text
    assert "per hour for customers on the Standard plan" in text


def test_a_standard_customer_asking_about_billing_support_is_told_it_is_included(knowledge):
    text = answer(knowledge, "adatum", "is billing support free for us?", BILLING_COST)
    assert "at no extra cost" in text
    assert not text.startswith("No.")  # "No." answers "does it cost extra", not "is it free"


def test_a_bare_yes_answers_its_own_heading_only(knowledge):
    other = answer(
        knowledge, "fabrikam", "does paying part of the balance lift the block?", PAYMENT_PLAN
    )
    assert other and not other.startswith("Yes")
    same = answer(knowledge, "fabrikam", "can we agree a payment plan with you?", PAYMENT_PLAN)
    assert same.startswith("Yes.")


def test_what_another_plan_includes_is_not_this_customers(knowledge):
    sentence = "Priority callbacks are included in the Premium plan at no extra cost."
    facts = facts_of(knowledge, "adatum")
    asked = FactsCheck("are priority callbacks free?", "Plans", facts, tokenize, "en")
    conflict = asked.conflict(sentence)
    assert conflict is not None and conflict.rule == "another_plans_terms"
    named = FactsCheck("does premium give free priority callbacks?", "Plans", facts, tokenize, "en")
    assert named.consistent(sentence)
    premium = FactsCheck(
        "are priority callbacks free?", "Plans", facts_of(knowledge, "contoso"), tokenize, "en"
    )
    assert premium.consistent(sentence)


def test_without_a_customer_only_the_folder_itself_is_checked(knowledge):
    facts = own_facts(None, [], folder(knowledge), tokenize)
    check = FactsCheck("is technical help free?", BILLING_COST, facts, tokenize, "en")
    assert check.consistent("Baseline billing support is included at no extra cost.")


def test_the_dispute_exemption_is_checked_in_spanish_too(knowledge):
    heading = "¿Qué pasa con mi pago mientras la reclamación está abierta?"
    late = "¿qué pasa si la transferencia llega una semana tarde?"
    assert answer(knowledge, "fabrikam", late, heading, "es") == ""
    assert "nunca da lugar" in answer(knowledge, "wingtip", late, heading, "es")


def test_a_premium_customer_asking_about_its_own_terms_gets_nothing_of_the_standard_plan(
    knowledge,
):
    heading = "How much does ad-hoc technical support cost on the Standard plan?"
    own = "is hands-on technical help included for us?"
    assert answer(knowledge, "contoso", own, heading) == ""
    assert "EUR 125 per hour" in answer(knowledge, "adatum", own, heading)
    named = "what would hands-on help cost on the standard plan?"
    assert "EUR 125 per hour" in answer(knowledge, "contoso", named, heading)


def test_in_spanish_the_standard_plan_is_named_estandar_whatever_the_case_and_accents(knowledge):
    spanish = facts_of(knowledge, "adatum", "es")
    for text in ("el plan Estándar", "el plan estandar", "EL PLAN ESTÁNDAR", "el plan standard"):
        assert spanish.names(text, "standard"), text
    assert not spanish.names("el plan Premium", "standard")
    assert not spanish.names("Microsoft 365 Business Standard", "standard")  # a product
    assert not facts_of(knowledge, "adatum").names("el plan Estándar", "standard")  # English
    assert {"tecnic", "practic"} <= spanish.priced  # hands-on technical work, by the hour


def test_a_folder_that_declares_no_plan_names_names_a_plan_by_its_id_alone(knowledge):
    words = Tokenizer("es")
    facts = own_facts(knowledge.customer("adatum"), [], folder(knowledge, PlanNames()), words, "es")
    assert facts.names("el plan standard", "standard")
    assert not facts.names("el plan Estándar", "standard")
    assert facts.priced == frozenset()  # the Spanish articles price "Estándar", not "standard"


@pytest.mark.parametrize(
    ("language", "question", "priced", "premium_free"),
    [
        (
            "en",
            "are priority callbacks included for us?",
            "On the Standard plan hands-on help costs EUR 125 per hour.",
            "Priority callbacks are included in the Premium plan at no extra cost.",
        ),
        (
            "es",
            "¿las llamadas prioritarias están incluidas para nosotros?",
            "En el plan Estándar la ayuda práctica cuesta 125 EUR la hora.",
            "Las llamadas prioritarias están incluidas en el plan Premium sin coste adicional.",
        ),
    ],
)
def test_a_standard_customer_reads_its_plans_price_and_not_another_plans_free_terms(
    knowledge, language: str, question: str, priced: str, premium_free: str
):
    facts = facts_of(knowledge, "adatum", language)
    assert facts.names(priced, "standard") and not facts.names(priced, "premium")
    check = FactsCheck(question, "Plans", facts, Tokenizer(language), language)
    assert check.consistent(priced)
    conflict = check.conflict(premium_free)
    assert conflict is not None and conflict.rule == "another_plans_terms"


def test_a_standard_customer_is_not_told_in_spanish_that_technical_work_costs_nothing(
    knowledge,
):
    heading = "¿El soporte de facturación cuesta aparte?"
    text = answer(knowledge, "adatum", "¿pagamos aparte la ayuda técnica práctica?", heading, "es")
    assert "sin coste adicional" not in text
    assert "disponible por horas para los clientes del plan Estándar" in text


def test_a_premium_customer_is_not_told_in_spanish_what_the_standard_plan_includes_at_no_cost(
    knowledge,
):
    sentence = "Estándar (incluido, sin coste): soporte de facturación y triaje de incidentes."
    question = "¿el triaje de incidentes es gratis?"
    words = Tokenizer("es")
    premium = FactsCheck(question, "Planes", facts_of(knowledge, "contoso", "es"), words, "es")
    conflict = premium.conflict(sentence)
    assert conflict is not None and conflict.rule == "another_plans_terms"
    standard = FactsCheck(question, "Planes", facts_of(knowledge, "adatum", "es"), words, "es")
    assert standard.consistent(sentence)


def test_a_premium_customer_asking_in_spanish_about_its_own_terms_gets_nothing_of_estandar(
    knowledge,
):
    heading = "¿Cuánto cuesta el soporte técnico puntual en el plan Estándar?"
    own = "¿la ayuda técnica práctica está incluida para nosotros?"
    assert answer(knowledge, "contoso", own, heading, "es") == ""
    assert "125 EUR la hora" in answer(knowledge, "adatum", own, heading, "es")
    named = "¿cuánto costaría la ayuda práctica en el plan estandar?"
    assert "125 EUR la hora" in answer(knowledge, "contoso", named, heading, "es")

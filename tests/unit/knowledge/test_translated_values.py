"""YAML values a customer reads, in their language: `<field>_es` beside `<field>`."""

import yaml

from bot.knowledge.escalation import parse_escalation
from bot.knowledge.folder import load_knowledge
from bot.knowledge.partner import parse_partner
from bot.knowledge.problems import Severity
from tests.conftest import SAMPLE_KNOWLEDGE

PARTNER = """
name: Example
support:
  timezone: Europe/Madrid
  hours: {mon: "09:00-17:00", tue: "09:00-17:00", sat: "10:00-12:00"}
  first_response: "one business day"
  first_response_es: "un día hábil"
collections:
  reinstatement: "Access comes back once paid."
  reinstatement_es: "El acceso vuelve al pagar."
"""


def test_a_spanish_value_is_read_by_a_spanish_speaker_and_the_plain_one_by_everyone_else():
    partner, problems = parse_partner("partner.yaml", yaml.safe_load(PARTNER))
    assert problems == []
    assert partner.first_response_in("es") == "un día hábil"
    assert partner.first_response_in("es-ES") == "un día hábil"
    assert (
        partner.first_response_in("en") == partner.first_response_in("de") == ("one business day")
    )
    assert partner.collections.reinstatement_in("es") == "El acceso vuelve al pagar."
    assert partner.collections.reinstatement_in("en") == "Access comes back once paid."


def test_support_hours_are_written_in_the_customers_language():
    partner, _ = parse_partner("partner.yaml", yaml.safe_load(PARTNER))
    assert partner.support.describe() == (
        "Mon–Tue 09:00–17:00, Sat 10:00–12:00 (Europe/Madrid), except public holidays"
    )
    assert partner.support.describe("es") == (
        "lun–mar 09:00–17:00, sáb 10:00–12:00 (Europe/Madrid), salvo festivos"
    )


def test_a_translation_that_is_not_text_is_a_warning_and_the_plain_value_is_used():
    data = yaml.safe_load(
        PARTNER.replace('first_response_es: "un día hábil"', "first_response_es: [a]")
    )
    partner, problems = parse_partner("partner.yaml", data)
    assert [(p.severity, p.message.split(":")[0]) for p in problems] == [
        (Severity.WARNING, "first_response_es")
    ]
    assert partner.first_response_in("es") == "one business day"


def test_escalation_names_per_language_and_a_folder_without_them_unchanged():
    data = yaml.safe_load(
        """
routes:
  billing: {name: Billing team, name_es: el equipo de facturación}
  other: {name: Other team}
categories:
  - {id: dispute, name: Billing dispute, name_es: Reclamación, route: billing,
     examples: ["this invoice is wrong"]}
  - {id: legal, name: Legal matter, route: other, examples: ["our lawyer will write"]}
"""
    )
    rules, problems = parse_escalation("escalation.yaml", data)
    assert problems == []
    dispute, legal = rules.categories
    assert (dispute.name_in("es"), dispute.name_in("en")) == ("Reclamación", "Billing dispute")
    assert legal.name_in("es") == "Legal matter"
    assert rules.routes["billing"].name_in("es") == "el equipo de facturación"
    assert rules.routes["other"].name_in("es") == "Other team"


def test_the_sample_folder_names_every_category_and_route_in_spanish():
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    rules = knowledge.rules
    untranslated = [c.id for c in rules.categories if c.name_in("es") == c.name]
    untranslated += [r.id for r in rules.routes.values() if r.name_in("es") == r.name]
    assert untranslated == []
    assert knowledge.partner.first_response_in("es") != knowledge.partner.first_response
    collections = knowledge.partner.collections
    assert collections.reinstatement_in("es") != collections.reinstatement


def test_a_plan_is_named_by_its_id_and_the_names_the_partner_gives_it_per_language():
    data = yaml.safe_load(
        PARTNER + "support_plans:\n  standard: {en: Standard, es: [Estándar, Básico]}\n"
    )
    partner, problems = parse_partner("partner.yaml", data)
    assert problems == []
    assert partner.plan_names.of("standard", "es") == ("standard", "Estándar", "Básico")
    assert partner.plan_names.of("standard", "en") == ("standard",)  # "Standard" is its id
    assert partner.plan_names.of("premium", "es") == ("premium",)  # none declared: the id
    sample = load_knowledge(SAMPLE_KNOWLEDGE).partner.plan_names
    assert sample.of("standard", "es") == ("standard", "Estándar")

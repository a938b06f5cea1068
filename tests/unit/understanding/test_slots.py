"""Slots: what a message names, whatever its spelling."""

from decimal import Decimal

import pytest

from bot.understanding.slots import extract_slots, matching_products, parse_amount

PRODUCTS = [
    "Microsoft 365 Copilot",
    "Microsoft Teams Phone Standard",
    "Azure plan - Virtual Machines NC24ads A100 v4 (hours)",
    "Northwind Premium Technical Support",
    "NW-SUP-PREM",
    "Power BI Pro",
]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("178,80", Decimal("178.80")),
        ("1.981,98", Decimal("1981.98")),
        ("1,224.46", Decimal("1224.46")),
        ("-51.50", Decimal("-51.50")),
        ("3963.96", Decimal("3963.96")),
    ],
)
def test_amounts_in_either_decimal_convention(text, amount):
    assert parse_amount(text) == amount


def test_amounts_in_a_sentence_but_not_counts_or_years():
    slots = extract_slots("what is this 178,80 charge for our 15 seats in 2026")
    assert slots.amounts == (Decimal("178.80"),)


def test_invoice_numbers_and_their_short_form():
    assert extract_slots("status of nw-2026-0421?").invoice_numbers == ("NW-2026-0421",)
    assert extract_slots("and 0466?").short_numbers == ("0466",)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("why was september so expensive", (9,)),
        ("why is the sept invoice like 3x the august one", (9, 8)),
        ("la factura de octubre", (10,)),
        ("we may need help", ()),  # "may" the verb is not a month
        ("the invoice from may", (5,)),
        # languages the bot reads but does not write, compounds included
        ("Ist die Märzrechnung schon bezahlt?", (3,)),
        ("le montant de janvier et de février", (1, 2)),
        ("de augustusmaand", ()),  # only a month glued to the word for invoice
        ("de decemberfactuur", (12,)),
        ("a fatura de outubro", (10,)),
        ("la fattura di giugno", (6,)),
    ],
)
def test_months_by_name(text, months):
    assert extract_slots(text).months == months


def test_relative_references():
    assert extract_slots("what about last month").last_month
    assert extract_slots("and the one before that?").before
    assert extract_slots("show me the latest invoice").latest
    assert extract_slots("is that the one we disputed?").refers
    assert extract_slots("¿y esa ya está pagada?").refers
    assert not extract_slots("¿ya está pagada la factura de marzo?").refers


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("what's the copilot line", "Microsoft 365 Copilot"),
        ("whats the teams phone stuff on the october invoice", "Microsoft Teams Phone Standard"),
        ("what is the GPU line", "Azure plan - Virtual Machines NC24ads A100 v4 (hours)"),
        ("what is the A100 line", "Azure plan - Virtual Machines NC24ads A100 v4 (hours)"),
        ("what's NW-SUP-PREM on our invoice?", "NW-SUP-PREM"),
    ],
)
def test_products_named_loosely(text, product):
    assert matching_products(text, PRODUCTS)[0] == product

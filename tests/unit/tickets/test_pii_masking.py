"""`mask_pii`: card numbers, IBANs and passwords go; invoice numbers, dates and amounts stay."""

from __future__ import annotations

import pytest

from bot.pii import mask_pii


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # payment cards: Luhn-valid, any common grouping
        ("my card is 4111 1111 1111 1111 thanks", "my card is [card ****1111] thanks"),
        ("card 4111-1111-1111-1111.", "card [card ****1111]."),
        ("4111111111111111", "[card ****1111]"),
        ("Amex 3782 822463 10005 please", "Amex [card ****0005] please"),
        ("mc 5500 0055 5555 5559", "mc [card ****5559]"),
        ("new mastercard 2221 0000 0000 0009", "new mastercard [card ****0009]"),
        ("discover 6011111111111117", "discover [card ****1117]"),
        ("ref 12 4111 1111 1111 1111 5 items", "ref 12 [card ****1111] 5 items"),
        # IBANs: checksum-valid, compact or grouped, any case
        ("pay to DE89 3704 0044 0532 0130 00 now", "pay to [IBAN ****3000] now"),
        ("GB82WEST12345698765432", "[IBAN ****5432]"),
        ("iban gb82 west 1234 5698 7654 32.", "iban [IBAN ****5432]."),
        ("FR14 2004 1010 0505 0001 3M02 606 is mine", "[IBAN ****2606] is mine"),
        ("NL91ABNA0417164300, thanks", "[IBAN ****4300], thanks"),
        # passwords
        ("password: hunter2", "password: [redacted]"),
        ("Password = s3cr3t!", "Password = [redacted]"),
        ("login with pwd=abc123 ok", "login with pwd=[redacted] ok"),
        ("my password is Tr0ub4dor&3", "my password is [redacted]"),
        ("The password is hunter2, thanks", "The password is [redacted], thanks"),
        ("passcode: 8812", "passcode: [redacted]"),
        ("PIN: 1234", "PIN: [redacted]"),
    ],
)
def test_secrets_are_masked(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Invoice G012345678 is wrong",
        "invoice INV-2025-000123 dated 2025-03-01",
        "billing period 01/03/2025 - 31/03/2025",
        "dates 2024-05-01 2024-06-01",
        "I was charged 1,234.56 EUR instead of 987.65",
        "total 4,111,111,111,111,111.00 due",
        "amount 4111111111111111.50",
        "card 4111 1111 1111 1112 (a typo: fails Luhn)",
        "order 9123456789012348 (Luhn-valid, but no card starts with 9)",
        "order 1234567890123452",
        "subscription 12345678-1234-1234-1234-123456789012",
        "tenant 72f988bf-86f1-41af-91ab-2d7cd011db47",
        "MPN ID 1234567, PO 4500012345",
        "call +1 425 555 0100 or 0044 20 7946 0958",
        "IBAN DE89 3704 0044 0532 0130 01 has a bad checksum",
        "see section DE12 of the policy",
        "I need a password reset",
        "my password is not working",
        "the password is expired.",
        "What is the PIN policy?",
    ],
)
def test_near_misses_are_left_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_masking_twice_changes_nothing_more() -> None:
    once = mask_pii("card 4111 1111 1111 1111, IBAN GB82WEST12345698765432, pwd=x")
    assert mask_pii(once) == once
    assert once == "card [card ****1111], IBAN [IBAN ****5432], pwd=[redacted]"


def test_several_secrets_in_one_message() -> None:
    text = "4111111111111111 and 5500005555555559; password: a; my password is b"
    assert mask_pii(text) == (
        "[card ****1111] and [card ****5559]; password: [redacted]; my password is [redacted]"
    )


def test_contact_details_are_masked_for_the_report():
    from bot.pii import mask_contact_details

    assert mask_contact_details("mail jan.de.vries@contoso.nl today") == "mail [e-mail] today"
    assert mask_contact_details("call +31 20 123 4567") == "call [phone]"
    assert mask_contact_details("or (020) 555 0101") == "or [phone]"
    assert mask_contact_details("my number is 020-1234567.") == "my number is [phone]."
    kept = "invoice NW-2026-0466 of 2026-12-07 for 1.234,50 and 0.50 EUR"
    assert mask_contact_details(kept) == kept
    assert mask_contact_details("card 4111 1111 1111 1111") == "card [card ****1111]"
    assert (
        mask_contact_details("[card ****1111] exp 08/29 cvv 123")
        == "[card ****1111] exp 08/29 cvv [redacted]"
    )

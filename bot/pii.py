"""Mask payment card numbers, IBANs and passwords in customer text before it is stored or
shown to agents.

Only numbers that pass their checksum are masked, so invoice numbers, dates, amounts and
order ids stay readable:

* cards: 13–19 digits (single spaces or dashes allowed between groups) with the prefix and
  length of a card scheme (Visa, Mastercard, Amex, ...) that pass the Luhn check
  → "[card ****1111]" (the last four digits stay, as on a receipt);
* IBANs: a country code, check digits and the country's exact length (spaces allowed every
  few characters), mod-97 valid → "[IBAN ****3000]";
* passwords: "password: x", "pwd=x", "my password is x", "passcode: x", "PIN: x" → the
  label is kept, the secret becomes "[redacted]".
"""

from __future__ import annotations

import re

__all__ = ["mask_contact_details", "mask_pii"]

# --- payment cards ----------------------------------------------------------------------

# Digit groups separated by one space or dash; the whole run is then split into candidates.
_DIGIT_RUN = re.compile(r"(?<![\w.,/])\d+(?:[ -]\d+)*(?![\w/]|[.,]\d)")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_scheme_fits(digits: str) -> bool:
    """Issuer prefix and length of the card schemes a customer might paste; nothing else
    (0, 1, 7, 8 and 9 start no card; Amex is always 15 digits, Mastercard 16, ...)."""
    n, two, four = len(digits), int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return n == 16
    if two in (34, 37):  # American Express
        return n == 15
    if two in (30, 36, 38, 39):  # Diners Club
        return 14 <= n <= 19
    if two == 35 or digits[0] == "6":  # JCB, Discover, UnionPay, Maestro
        return 16 <= n <= 19
    if two == 50 or 56 <= two <= 58:  # Maestro
        return 13 <= n <= 19
    return False


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and _card_scheme_fits(digits) and _luhn_ok(digits)


def _mask_cards(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        # Space-separated units; a dashed unit (a card written 4111-1111-..., but also a
        # GUID or a reference) is a card as a whole or not at all.
        units = match.group(0).split(" ")
        best: tuple[int, int] | None = None
        for start in range(len(units)):
            for end in range(len(units), start, -1):
                digits = "".join(units[start:end]).replace("-", "")
                if len(digits) < 13:
                    break
                if _is_card(digits) and (best is None or end - start > best[1] - best[0]):
                    best = (start, end)
        if best is None:
            return match.group(0)
        start, end = best
        digits = "".join(units[start:end]).replace("-", "")
        return " ".join([*units[:start], f"[card ****{digits[-4:]}]", *units[end:]])

    return _DIGIT_RUN.sub(replace, text)


# --- IBANs ------------------------------------------------------------------------------

# Lengths per country from the SWIFT IBAN registry.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})")


def _iban_ok(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _mask_ibans(text: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _IBAN_START.finditer(text):
        if match.start() < pos:
            continue
        length = _IBAN_LENGTHS.get(match.group(1).upper())
        if length is None:
            continue
        # Read the country's exact number of characters, allowing single spaces between.
        chars = [match.group(1).upper(), match.group(2)]
        count, i = 4, match.end()
        while count < length and i < len(text):
            if text[i] == " " and i + 1 < len(text) and text[i + 1].isalnum():
                i += 1
            if not text[i].isalnum():
                break
            chars.append(text[i].upper())
            count += 1
            i += 1
        if count != length or (i < len(text) and text[i].isalnum()):
            continue
        iban = "".join(chars)
        if not _iban_ok(iban):
            continue
        out.append(text[pos : match.start()])
        out.append(f"[IBAN ****{iban[-4:]}]")
        pos = i
    out.append(text[pos:])
    return "".join(out)


# --- passwords --------------------------------------------------------------------------

_SECRET_LABEL = r"(?:password|passwort|passwd|passcode|pwd|pin)"
_LABELLED = re.compile(rf"(?i)\b({_SECRET_LABEL}\s*[:=]\s*)(\S+?)(?=[,;]?(?:\s|$))")
# "my password is hunter2", "the pwd is: x" — but not "my password is not working".
_SENTENCE = re.compile(rf"(?i)\b({_SECRET_LABEL}\s+(?:is|was)\s*:?\s+)(\S+?)(?=[,;]?(?:\s|$))")
# fmt: off
_NOT_SECRETS = frozenset({
    "not", "wrong", "expired", "incorrect", "invalid", "locked", "blocked", "reset", "changed",
    "required", "missing", "correct", "right", "too", "very", "still", "being", "the", "a",
    "an", "my", "your", "our", "their", "this", "that", "same", "no", "working", "empty",
    "weak", "strong", "new", "old", "different", "unknown", "lost", "forgotten", "compromised",
})
# fmt: on


def _mask_passwords(text: str) -> str:
    text = _LABELLED.sub(lambda m: m.group(1) + "[redacted]", text)

    def sentence(match: re.Match[str]) -> str:
        secret = match.group(2)
        if secret.lower().strip(".!?") in _NOT_SECRETS or secret == "[redacted]":
            return match.group(0)
        return match.group(1) + "[redacted]"

    return _SENTENCE.sub(sentence, text)


def mask_pii(text: str) -> str:
    """`text` with card numbers, IBANs and passwords masked; idempotent."""
    return _mask_passwords(_mask_ibans(_mask_cards(text)))


# --- contact details (what the report shows of a question) -----------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number: "+" or a leading 0 (or "(0"), then 8 to 15 digits in groups; dates,
# amounts and invoice numbers ("NW-2026-0466") start otherwise and stay readable.
_PHONE = re.compile(r"(?<![\w+-])(?:\+|\(?0)[\d()][\d ()./-]{6,}\d(?![\w])")


# A card's security code beside it ("cvv 123"): the card is masked, its code must be too.
_SECURITY_CODE = re.compile(r"(?i)\b(cvv2?|cvc2?|csc)(\s*[:=]?\s*)\d{3,4}\b")


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[phone]" if 8 <= len(digits) <= 15 else match.group(0)


def mask_contact_details(text: str) -> str:
    """`text` with card numbers (and security codes), IBANs, passwords, e-mail addresses and
    phone numbers masked: what a report may show of a customer's question; idempotent."""
    masked = _SECURITY_CODE.sub(r"\1\2[redacted]", mask_pii(text))
    return _PHONE.sub(_phone, _EMAIL.sub("[e-mail]", masked))

"""Asking why a tax applies is asking for the policy, not disagreeing with a charge.

"Why is there tax on this?" or "how come you add VAT for us?" ask how the partner's tax rules
apply to the customer: the tax article answers them. The intent classifier learns disputes
from disagreements, and a dispute about tax ("you added VAT although we sent our VAT
number") shares most of its words with such a question; what sets them apart is the
disagreement itself. So a message that asks why a tax is (or is not) charged and says
nothing is wrong reads as a policy question; one that says something is wrong (a mistake,
a charge twice, "although we sent...", a refund) stays the dispute the classifier read.

A tax, unlike a licence line, is set by the rules the article states, the same for every
customer in the same situation: an explanation of it is always in the folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Asking for a reason.
_WHY: Mapping[str, re.Pattern[str]] = {
    "en": re.compile(r"\b(why|how come|what for|reason)\b", re.I),
    "es": re.compile(r"(\bpor ?qu[eé]\b|\ba qu[eé] se debe\b|\bmotivo\b|\braz[oó]n\b)", re.I),
}
# Taxes the articles explain.
_TAX: Mapping[str, re.Pattern[str]] = {
    "en": re.compile(r"\b(vat|tax|taxes|taxed|reverse[- ]charge)\b", re.I),
    "es": re.compile(r"\b(iva|impuestos?|inversi[oó]n del sujeto pasivo)\b", re.I),
}
# Saying that something is wrong, or asking for it to be put right.
_DISAGREES: Mapping[str, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(wrong|incorrect|mistakes?|mistaken|errors?|twice|double[d]?|never|but|although|"
        r"though|despite|should ?n[o']?t|overcharg\w*|disputes?|disputing|contest\w*|"
        r"refunds?|credit note|correct(ed|ion)?|fix|not ours|recogni[sz]e|too (high|much))\b",
        re.I,
    ),
    "es": re.compile(
        r"\b(mal|err[oó]nea?|incorrect[oa]|errores?|equivocad[oa]s?|dos veces|duplicad[oa]|"
        r"nunca|pero|aunque|a pesar|no deber[ií]a\w*|reclam\w*|disput\w*|reembols\w*|"
        r"abono|corregi\w*|correcci[oó]n|no es nuestr[oa]|no reconoc\w*|demasiado)\b",
        re.I,
    ),
}


def asks_why_a_tax_applies(text: str, language: str) -> bool:
    """Whether `text` asks why a tax is (or is not) charged, without disagreeing."""
    why, tax, disagrees = _WHY.get(language), _TAX.get(language), _DISAGREES.get(language)
    if why is None or tax is None or disagrees is None:
        return False
    return bool(why.search(text) and tax.search(text)) and not disagrees.search(text)

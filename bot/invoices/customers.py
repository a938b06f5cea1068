"""Which customer in `customers.yaml` a platform export's row names: by id, name or one of
its `aliases`, compared without case, accents or punctuation. A name that matches none is
refused with the closest names, never guessed."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from bot.errors import ImportRefused
from bot.knowledge.customers import Customer, fold_name, parse_customers
from bot.knowledge.invoices import FieldError
from bot.knowledge.problems import FileRejected
from bot.knowledge.yaml_lines import load_yaml


class CustomerMatcher:
    def __init__(self, customers: Iterable[Customer]) -> None:
        self._ids: dict[str, str] = {}
        self._shown: dict[str, str] = {}  # folded name: the name as written, for suggestions
        self._currencies: dict[str, str] = {}
        for customer in customers:
            self._currencies[customer.id] = customer.currency
            for name in (customer.id, customer.name, *customer.aliases):
                folded = fold_name(name)
                if folded:
                    self._ids.setdefault(folded, customer.id)
                    self._shown.setdefault(folded, name)
        self._seen: dict[str, str] = {}

    def currency(self, customer_id: str) -> str:
        return self._currencies[customer_id]

    def match(self, field: str, *texts: str) -> str:
        """The id of the customer the first non-empty of `texts` names; `FieldError`
        (for `field`) naming the closest known names when none matches."""
        given = [t for t in texts if t.strip()]
        for text in given:
            found = self._seen.get(text) or self._ids.get(fold_name(text))
            if found is not None:
                self._seen[text] = found
                return found
        if not given:
            raise FieldError(field, "no customer: the customer column is empty")
        close = difflib.get_close_matches(fold_name(given[0]), self._ids, n=3, cutoff=0.5)
        hint = (
            "; closest: " + ", ".join(f"{self._shown[c]!r} ({self._ids[c]})" for c in close)
            if close
            else ""
        )
        return_names = " / ".join(repr(t) for t in given)
        raise FieldError(
            field,
            f"unknown customer {return_names}: not an id, name or alias in customers.yaml"
            f"{hint} (add it to that customer's aliases)",
        )


def load_matcher(folder: Path) -> CustomerMatcher | None:
    """The customers of the knowledge folder's customers.yaml (None when it has none);
    `ImportRefused` when it cannot be read."""
    path = folder / "customers.yaml"
    if not path.is_file():
        return None
    data, problems = load_yaml(str(path), path.read_text(encoding="utf-8-sig"))
    if problems:
        raise ImportRefused(str(problems[0]))
    try:
        customers, _ = parse_customers(str(path), data)
    except FileRejected as exc:
        raise ImportRefused(f"{path}:{exc.line}: {exc.message}") from None
    return CustomerMatcher(customers)

"""`customers.yaml`: who the partner's customers are and which Teams tenants are theirs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.knowledge.problems import FileRejected, Problem, Severity
from bot.knowledge.yaml_lines import line_of


class AccountStatus(StrEnum):
    """A customer's account as `customers.yaml` states it."""

    ACTIVE = "active"
    PAST_DUE = "past_due"
    SUSPENDED = "suspended"


ACCOUNT_STATUSES = tuple(s.value for s in AccountStatus)
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_TENANT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    email: str
    role: str


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    tenant_ids: tuple[str, ...]
    contacts: tuple[Contact, ...]
    support_plan: str
    account_status: AccountStatus
    currency: str
    language: str = "en"  # ISO 639-1: the language to use when a message is too short to tell
    reminders: bool = True  # False: collections sends this customer no payment reminders
    aliases: tuple[str, ...] = ()  # other names a billing platform's export may give it


def parse_customers(path: str, data: Any) -> tuple[list[Customer], list[Problem]]:
    records = data.get("customers") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise FileRejected(line_of(data), "expected a top-level 'customers:' list")
    if not records:
        raise FileRejected(line_of(data), "the 'customers:' list is empty")
    reading = _Customers(path)
    customers = [c for c in map(reading.customer, records) if c is not None]
    if not customers:
        reading.problems.append(
            Problem(
                path,
                line_of(data),
                f"none of the {len(records)} customer records could be used: every customer "
                "will be refused",
                Severity.FATAL,
            )
        )
    return customers, reading.problems


class _Customers:
    """customers.yaml being read: its problems so far, and the ids, tenants and names the
    records before the current one took."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.seen_ids: set[str] = set()
        self.seen_tenants: dict[str, str] = {}
        self.seen_names: dict[str, str] = {}  # folded id, name or alias: the customer it names

    def customer(self, record: Any) -> Customer | None:
        """The record's customer; None (with a problem) when it cannot be used at all."""
        line = line_of(record)
        if not isinstance(record, dict):
            self.problems.append(Problem(self.path, line, "each customer must be a mapping"))
            return None
        cid = str(record.get("id") or "").strip()
        name = str(record.get("name") or "").strip()
        if not cid or not name:
            self.problems.append(Problem(self.path, line, "customer needs an 'id' and a 'name'"))
            return None
        if cid in self.seen_ids:
            self.problems.append(Problem(self.path, line, f"duplicate customer id {cid!r}"))
            return None
        self.seen_ids.add(cid)
        check = _Record(self.path, line, cid, self.problems)
        tenants = self._tenants(check, record.get("tenant_ids") or [])
        status = check.account_status(str(record.get("account_status", AccountStatus.ACTIVE)))
        raw_contacts = check.contacts(record.get("contacts") or [])
        language = check.language(str(record.get("language", "en")).strip().lower())
        reminders = check.reminders(record.get("reminders", True))
        aliases = self._aliases(check, name, record.get("aliases") or [])
        contacts = tuple(
            Contact(str(c.get("name", "")), str(c.get("email", "")), str(c.get("role", "")))
            for c in raw_contacts
            if isinstance(c, dict)
        )
        return Customer(
            id=cid,
            name=name,
            tenant_ids=tenants,
            contacts=contacts,
            support_plan=str(record.get("support_plan", "standard")),
            account_status=status,
            currency=str(record.get("currency", "EUR")),
            language=language,
            reminders=reminders,
            aliases=aliases,
        )

    def _tenants(self, check: _Record, raw: Any) -> tuple[str, ...]:
        """The customer's tenant ids, lowercase; each must be a GUID no one else has."""
        tenants = check.tenant_ids(raw)
        for tenant in tenants:
            if not _TENANT.match(tenant):
                check.problem(f"tenant id {tenant!r} is not a GUID")
            elif tenant in self.seen_tenants:
                check.problem(f"tenant id {tenant} also belongs to {self.seen_tenants[tenant]!r}")
            self.seen_tenants.setdefault(tenant, check.cid)
        return tenants

    def _aliases(self, check: _Record, name: str, raw: Any) -> tuple[str, ...]:
        """Other names of the customer; none may be another customer's id, name or alias."""
        aliases = check.aliases(raw)
        for alias in aliases:
            known = self.seen_names.get(fold_name(alias))
            if known is not None and known != check.cid:
                check.problem(f"alias {alias!r} is also a name of {known!r}")
        for own in (check.cid, name, *aliases):
            self.seen_names.setdefault(fold_name(own), check.cid)
        return aliases


@dataclass(frozen=True, slots=True)
class _Record:
    """The checks of one customer record's fields: each returns the value to use and notes a
    problem, naming the customer, when the record's is unusable."""

    path: str
    line: int
    cid: str
    problems: list[Problem]

    def problem(self, message: str) -> None:
        self.problems.append(Problem(self.path, self.line, f"{self.cid}: {message}"))

    def tenant_ids(self, raw: Any) -> tuple[str, ...]:
        if isinstance(raw, str):  # one tenant written without the list brackets
            raw = [raw]
        if not isinstance(raw, list):
            self.problem("tenant_ids must be a list of GUIDs")
            raw = []
        tenants = tuple(str(t).strip().lower() for t in raw if isinstance(t, str))
        if len(tenants) < len(raw):
            self.problem("each tenant id must be a GUID in quotes")
        return tenants

    def account_status(self, status: str) -> AccountStatus:
        """The status; an unknown one is a problem, and read as active (nothing about the
        account is told as suspended unless the file says so)."""
        if status not in ACCOUNT_STATUSES:
            self.problem(
                f"account_status must be one of {', '.join(ACCOUNT_STATUSES)}, not {status!r}"
            )
            return AccountStatus.ACTIVE
        return AccountStatus(status)

    def contacts(self, raw: Any) -> list[Any]:
        if not isinstance(raw, list):
            self.problem("contacts must be a list")
            return []
        return raw

    def language(self, language: str) -> str:
        if not _LANGUAGE.match(language):
            self.problem(
                f"language must be a two-letter code such as 'en' or 'es', not {language!r}"
            )
            return "en"
        return language

    def reminders(self, reminders: Any) -> bool:
        if not isinstance(reminders, bool):
            self.problem(
                f"reminders must be true or false, not {reminders!r}; "
                "no reminders are sent to it until this is fixed"
            )
            return False  # whatever was meant, never a message the admin may not want
        return reminders

    def aliases(self, raw: Any) -> tuple[str, ...]:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(
            isinstance(a, str | int) and str(a).strip() for a in raw
        ):
            self.problem("aliases must be a list of names")
            return ()
        return tuple(str(a).strip() for a in raw)


def fold_name(text: str) -> str:
    """`text` compared without case, accents, punctuation or extra spaces ("Fabrikam
    Nederland B.V." and "fabrikam nederland bv" fold alike)."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"[^\w\s]", "", plain)
    return " ".join(plain.split())

"""`customers.yaml`: who the partner's customers are and which Teams tenants are theirs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.knowledge.problems import FileRejected, Problem, Severity
from bot.knowledge.yaml_lines import line_of

ACCOUNT_STATUSES = ("active", "past_due", "suspended")
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
    account_status: str
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
    customers: list[Customer] = []
    problems: list[Problem] = []
    seen_ids: set[str] = set()
    seen_tenants: dict[str, str] = {}
    seen_names: dict[str, str] = {}  # folded id, name or alias: the customer it names
    for record in records:
        line = line_of(record)
        if not isinstance(record, dict):
            problems.append(Problem(path, line, "each customer must be a mapping"))
            continue
        cid = str(record.get("id") or "").strip()
        name = str(record.get("name") or "").strip()
        if not cid or not name:
            problems.append(Problem(path, line, "customer needs an 'id' and a 'name'"))
            continue
        if cid in seen_ids:
            problems.append(Problem(path, line, f"duplicate customer id {cid!r}"))
            continue
        seen_ids.add(cid)
        raw_tenants = record.get("tenant_ids") or []
        if isinstance(raw_tenants, str):  # one tenant written without the list brackets
            raw_tenants = [raw_tenants]
        if not isinstance(raw_tenants, list):
            problems.append(Problem(path, line, f"{cid}: tenant_ids must be a list of GUIDs"))
            raw_tenants = []
        tenants = tuple(str(t).strip().lower() for t in raw_tenants if isinstance(t, str))
        if len(tenants) < len(raw_tenants):
            problems.append(Problem(path, line, f"{cid}: each tenant id must be a GUID in quotes"))
        for tenant in tenants:
            if not _TENANT.match(tenant):
                problems.append(Problem(path, line, f"{cid}: tenant id {tenant!r} is not a GUID"))
            elif tenant in seen_tenants:
                problems.append(
                    Problem(
                        path,
                        line,
                        f"{cid}: tenant id {tenant} also belongs to {seen_tenants[tenant]!r}",
                    )
                )
            seen_tenants.setdefault(tenant, cid)
        status = str(record.get("account_status", "active"))
        if status not in ACCOUNT_STATUSES:
            problems.append(
                Problem(
                    path,
                    line,
                    f"{cid}: account_status must be one of "
                    f"{', '.join(ACCOUNT_STATUSES)}, not {status!r}",
                )
            )
        raw_contacts = record.get("contacts") or []
        if not isinstance(raw_contacts, list):
            problems.append(Problem(path, line, f"{cid}: contacts must be a list"))
            raw_contacts = []
        language = str(record.get("language", "en")).strip().lower()
        if not _LANGUAGE.match(language):
            problems.append(
                Problem(
                    path,
                    line,
                    f"{cid}: language must be a two-letter code such as 'en' or 'es', "
                    f"not {language!r}",
                )
            )
            language = "en"
        reminders = record.get("reminders", True)
        if not isinstance(reminders, bool):
            problems.append(
                Problem(
                    path,
                    line,
                    f"{cid}: reminders must be true or false, not {reminders!r}; "
                    "no reminders are sent to it until this is fixed",
                )
            )
            reminders = False  # whatever was meant, never a message the admin may not want
        raw_aliases = record.get("aliases") or []
        if isinstance(raw_aliases, str):
            raw_aliases = [raw_aliases]
        if not isinstance(raw_aliases, list) or not all(
            isinstance(a, str | int) and str(a).strip() for a in raw_aliases
        ):
            problems.append(Problem(path, line, f"{cid}: aliases must be a list of names"))
            raw_aliases = []
        aliases = tuple(str(a).strip() for a in raw_aliases)
        for alias in aliases:
            known = seen_names.get(fold_name(alias))
            if known is not None and known != cid:
                problems.append(
                    Problem(path, line, f"{cid}: alias {alias!r} is also a name of {known!r}")
                )
        for own in (cid, name, *aliases):
            seen_names.setdefault(fold_name(own), cid)
        contacts = tuple(
            Contact(str(c.get("name", "")), str(c.get("email", "")), str(c.get("role", "")))
            for c in raw_contacts
            if isinstance(c, dict)
        )
        customers.append(
            Customer(
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
        )
    if records and not customers:
        problems.append(
            Problem(
                path,
                line_of(data),
                f"none of the {len(records)} customer records could be used: every customer "
                "will be refused",
                Severity.FATAL,
            )
        )
    return customers, problems


def fold_name(text: str) -> str:
    """`text` compared without case, accents, punctuation or extra spaces ("Fabrikam
    Nederland B.V." and "fabrikam nederland bv" fold alike)."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"[^\w\s]", "", plain)
    return " ".join(plain.split())

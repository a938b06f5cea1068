"""The agents' daily digest over a pinned day: who is overdue (paid, credited, disputed,
paused and claimed invoices left out), amounts per currency, the step reached, suspensions
and notices this week, claims to confirm, the unreachable and the paused."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from bot.collections.digest import digest, digest_key
from bot.collections.plan import Dispute, Facts, Pause, plan
from bot.collections.store import Claim
from bot.knowledge.customers import Customer
from bot.knowledge.invoices import Invoice, InvoiceLine
from bot.knowledge.partner import Collections, SupportHours

WEEK = {d: (time(8), time(18)) for d in ("mon", "tue", "wed", "thu", "fri")}
HOURS = SupportHours("Europe/Amsterdam", WEEK, frozenset({date(2026, 12, 25)}))
POLICY = Collections(reminder_days=(1, 7, 14), suspension_notice_days=23, suspension_days=30)


def customer(cid: str) -> Customer:
    return Customer(cid, cid.title(), (), (), "standard", "active", "EUR")


def invoice(
    number: str, amount: str, *, cid: str, due: date, status: str = "unpaid", currency="EUR"
) -> Invoice:
    line = InvoiceLine(
        number, cid, due - timedelta(days=30), due, due, due, "Seats", "SKU", "renewal",
        Decimal(1), Decimal(amount), Decimal(amount), Decimal(0), currency, status, None, "x:2",
    )  # fmt: skip
    return Invoice(number, cid, line.issue_date, due, currency, status, None, (line,))


DAY = date(2026, 12, 9)  # a Wednesday
AGO = {days: DAY - timedelta(days=days) for days in (7, 8, 20, 30, 40)}
CLAIMED_AT = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


def day_digest(reachable=frozenset({"acme", "paid", "disputed", "paused", "claimed", "late"})):
    invoices = [
        invoice("A-1", "100.00", cid="acme", due=AGO[7]),
        invoice("A-2", "50.00", cid="acme", due=AGO[8], currency="USD"),
        invoice("A-3", "70.00", cid="acme", due=DAY + timedelta(days=5)),  # not yet due
        invoice("P-1", "90.00", cid="paid", due=AGO[20], status="paid"),
        invoice("C-1", "-20.00", cid="paid", due=AGO[20]),  # a credit note
        invoice("D-1", "80.00", cid="disputed", due=AGO[20]),
        invoice("Z-1", "60.00", cid="paused", due=AGO[20]),
        invoice("K-1", "40.00", cid="claimed", due=AGO[20]),
        invoice("L-1", "300.00", cid="late", due=AGO[40]),  # past its suspension day
        invoice("N-1", "30.00", cid="notice", due=AGO[20]),  # notice on day 23
        invoice("S-1", "10.00", cid="notice", due=DAY - timedelta(days=27)),  # suspension in 3
    ]
    customers = [customer(c) for c in ("acme", "paid", "disputed", "paused", "claimed", "late")]
    customers.append(customer("notice"))
    pauses = {"paused": Pause("paused", DAY + timedelta(days=7), "Maeve")}
    facts = Facts(
        disputes={"D-1": Dispute("D-1", "T-7", customer_id="disputed")},
        pauses=pauses,
        claimed=frozenset({"K-1"}),
        reachable=reachable,
    )
    day_plan = plan(invoices, customers, POLICY, HOURS, DAY, facts)
    claims = [Claim("K-1", "claimed", "Sanne de Vries", CLAIMED_AT)]
    return digest(day_plan, customers, claims, pauses, reachable)


def test_overdue_lists_only_the_customers_to_chase_with_amounts_per_currency():
    body = day_digest()
    assert [c["customer"] for c in body["overdue"]] == ["late", "notice", "acme"]
    acme = body["overdue"][-1]
    assert acme["invoices"] == ["A-2", "A-1"]  # oldest due first; A-3 is not yet due
    assert acme["amounts"] == {"EUR": "100.00", "USD": "50.00"}
    assert (acme["days"], acme["step"]) == (8, "reminder")
    assert body["overdue"][0]["step"] == "suspension"
    listed = {c["customer"] for c in body["overdue"]}
    assert not listed & {"paid", "disputed", "paused", "claimed"}


def test_suspensions_are_listed_for_an_agent_never_carried_out():
    body = day_digest()
    suspensions = [(s["customer"], s["invoice"], s["since"]) for s in body["suspensions"]]
    # L-1's suspension day came and went (an agent acts on it); S-1's comes this week.
    assert ("late", "L-1", True) in suspensions
    assert ("notice", "S-1", False) in suspensions
    assert all(s["on"] <= body["until"] for s in body["suspensions"])
    notices = [(n["customer"], n["invoice"]) for n in body["suspension_notices"]]
    assert notices == [("notice", "N-1")]  # day 23 of 20 days overdue: in 3 days


def test_claims_unreachable_and_paused():
    body = day_digest()
    assert body["claims"] == [
        {
            "customer": "claimed",
            "name": "Claimed",
            "invoice": "K-1",
            "by": "Sanne de Vries",
            "at": CLAIMED_AT.isoformat(),
        }
    ]
    assert body["unreachable"] == [{"customer": "notice", "name": "Notice"}]
    assert body["paused"] == [
        {"customer": "paused", "name": "Paused", "until": "2026-12-16", "by": "Maeve"}
    ]
    assert (body["day"], body["until"]) == ("2026-12-09", "2026-12-15")


def test_nobody_is_unreachable_when_reachability_is_unknown():
    assert day_digest(reachable=None)["unreachable"] == []


def test_one_digest_a_day():
    assert digest_key(DAY) == "collections_digest:2026-12-09"
    assert digest_key(DAY) != digest_key(DAY + timedelta(days=1))

"""The collections plan over a pinned day: small real invoices, customers and policy."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from bot.collections.disputes import open_disputes
from bot.collections.plan import Dispute, Facts, Outcome, Pause, plan
from bot.knowledge.customers import Customer
from bot.knowledge.invoices import Invoice, InvoiceLine
from bot.knowledge.partner import Collections, Step, StepKind, SupportHours
from bot.tickets.values import Ticket, TranscriptEntry

WEEK = {d: (time(8), time(18)) for d in ("mon", "tue", "wed", "thu", "fri")}
HOURS = SupportHours("Europe/Amsterdam", WEEK, frozenset({date(2026, 12, 25)}))
POLICY = Collections(reminder_days=(1, 7, 14), suspension_notice_days=23, suspension_days=30)
DUE = date(2026, 12, 2)  # a Wednesday


def customer(cid: str = "acme", reminders: bool = True) -> Customer:
    return Customer(cid, cid.title(), (), (), "standard", "active", "EUR", reminders=reminders)


def invoice(
    number: str = "NW-2026-0001",
    amount: str = "100.00",
    *,
    cid: str = "acme",
    due: date = DUE,
    status: str = "unpaid",
    currency: str = "EUR",
) -> Invoice:
    line = InvoiceLine(
        number, cid, due - timedelta(days=30), due, due, due, "Seats", "SKU", "renewal",
        Decimal(1), Decimal(amount), Decimal(amount), Decimal(0), currency, status, None, "x:2",
    )  # fmt: skip
    return Invoice(number, cid, line.issue_date, due, currency, status, None, (line,))


NO_FACTS = Facts()


def one(day: date, inv: Invoice | None = None, facts: Facts = NO_FACTS, **kw):
    result = plan([inv or invoice()], [customer(**kw)], POLICY, HOURS, day, facts)
    assert len(result.entries) == 1
    return result.entries[0]


@pytest.mark.parametrize(
    ("offset", "kind"),
    [(1, StepKind.REMINDER), (7, StepKind.REMINDER), (14, StepKind.REMINDER),
     (23, StepKind.SUSPENSION_NOTICE), (30, StepKind.SUSPENSION)],
)  # fmt: skip
def test_each_step_goes_out_on_its_day(offset, kind):
    day = DUE + timedelta(days=offset)
    if not HOURS.is_open_day(day):
        day = HOURS.next_open_day(day)
    entry = one(day)
    assert entry.outcome is Outcome.SEND and entry.step is not None
    assert entry.step.step == Step(offset, kind) and not entry.catch_up
    assert entry.days_overdue == (day - DUE).days


def test_nothing_before_the_first_step_and_the_courtesy_notice_when_configured():
    assert one(DUE).outcome is Outcome.NOT_YET_DUE
    assert one(DUE).next is not None and one(DUE).next.send_on == date(2026, 12, 3)
    courtesy = Collections(before_due_days=5)
    result = plan([invoice()], [customer()], courtesy, HOURS, date(2026, 11, 27))
    assert result.to_send[0].step is not None
    assert result.to_send[0].step.step == Step(-5, StepKind.COURTESY)


def test_a_step_on_a_closed_day_moves_to_the_next_open_day():
    # +14 is Wednesday 16 Dec; +23 is Friday 25 Dec, Christmas: it goes out Monday 28 Dec.
    assert one(date(2026, 12, 25)).outcome is Outcome.SEND  # +14 still not sent: catch-up
    notice = one(
        date(2026, 12, 28),
        facts=Facts(sent={"NW-2026-0001": frozenset({Step(14, StepKind.REMINDER)})}),
    )
    assert notice.outcome is Outcome.SEND and notice.step is not None
    assert notice.step.step.kind is StepKind.SUSPENSION_NOTICE and not notice.catch_up
    # A weekend: +1 of an invoice due Friday 4 Dec is Saturday; it goes Monday 7 Dec.
    friday = invoice(due=date(2026, 12, 4))
    assert one(date(2026, 12, 5), friday).outcome is Outcome.NOT_YET_DUE
    assert one(date(2026, 12, 7), friday).outcome is Outcome.SEND


def test_missed_steps_are_not_sent_in_a_burst_only_the_latest_once():
    day = DUE + timedelta(days=16)  # +1, +7 and +14 all passed, none sent
    entry = one(day)
    assert entry.outcome is Outcome.SEND and entry.catch_up
    assert entry.step is not None and entry.step.step == Step(14, StepKind.REMINDER)
    sent = Facts(sent={"NW-2026-0001": frozenset({Step(14, StepKind.REMINDER)})})
    assert one(day, facts=sent).outcome is Outcome.ALREADY_SENT
    last = Facts(sent={"NW-2026-0001": frozenset({Step(30, StepKind.SUSPENSION)})})
    assert one(DUE + timedelta(days=40), facts=last).outcome is Outcome.PAST_LAST_STEP


def test_paid_credited_disputed_and_paused_invoices_get_nothing():
    day = DUE + timedelta(days=7)
    assert plan([invoice(status="paid")], [customer()], POLICY, HOURS, day).entries == ()
    assert one(day, invoice(amount="-20.00")).outcome is Outcome.CREDITED
    assert one(day, invoice(status="disputed")).outcome is Outcome.DISPUTED
    ticket = Facts(disputes={"NW-2026-0001": Dispute("NW-2026-0001", "T-1", None, "acme")})
    assert one(day, facts=ticket).outcome is Outcome.DISPUTED
    assert one(day, reminders=False).outcome is Outcome.PAUSED
    paused = Facts(pauses={"acme": Pause("acme", until=day + timedelta(days=1), by="ana")})
    assert one(day, facts=paused).outcome is Outcome.PAUSED
    assert one(day + timedelta(days=1), facts=paused).outcome is Outcome.SEND  # it resumed


def test_a_dispute_ticket_of_another_customer_holds_nothing():
    other = Facts(disputes={"NW-2026-0001": Dispute("NW-2026-0001", "T-1", None, "globex")})
    assert one(DUE + timedelta(days=7), facts=other).outcome is Outcome.SEND


def test_partial_payments_and_an_undisputed_rest_are_what_is_asked_for():
    day = DUE + timedelta(days=7)
    part = one(day, facts=Facts(received={"NW-2026-0001": Decimal("40.00")}))
    assert part.outcome is Outcome.SEND and part.amount == Decimal("60.00")
    full = one(day, facts=Facts(received={"NW-2026-0001": Decimal("100.00")}))
    assert full.outcome is Outcome.PAID
    partly = Dispute("NW-2026-0001", "T-2", Decimal("30.00"), "acme")
    rest = one(day, facts=Facts(disputes={"NW-2026-0001": partly}))
    assert rest.outcome is Outcome.SEND and rest.amount == Decimal("70.00")
    assert "undisputed" in rest.detail


def test_invoices_in_several_currencies_keep_their_own():
    day = DUE + timedelta(days=7)
    invoices = [invoice("NW-1", "10.00"), invoice("NW-2", "20.00", currency="GBP", cid="bee")]
    result = plan(invoices, [customer(), customer("bee")], POLICY, HOURS, day)
    assert {(e.invoice, e.currency, e.amount) for e in result.to_send} == {
        ("NW-1", "EUR", Decimal("10.00")),
        ("NW-2", "GBP", Decimal("20.00")),
    }
    assert len(result.overdue()) == 2


def test_a_customer_without_a_teams_conversation_is_unreachable():
    day = DUE + timedelta(days=7)
    assert one(day, facts=Facts(reachable=frozenset())).outcome is Outcome.UNREACHABLE
    assert one(day, facts=Facts(reachable=frozenset({"acme"}))).outcome is Outcome.SEND


def _ticket(status: str, question: str, evidence: tuple[str, ...] = ()) -> Ticket:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 1, tzinfo=UTC)
    transcript = (TranscriptEntry("bot", "see NW-2026-0999", now),)
    return Ticket(
        "T-7", "acme", "billing_dispute", "billing", status, question, transcript, evidence,
        "teams", "c1", None, None, now, now,
    )  # fmt: skip


def test_open_dispute_tickets_hold_the_invoices_they_name():
    found = open_disputes(
        [_ticket("open", "we dispute nw-2026-0001", ("knowledge/invoices.csv:4: NW-2026-0002 x",))]
    )
    assert set(found) == {"NW-2026-0001", "NW-2026-0002"}  # not the bot's NW-2026-0999
    assert found["NW-2026-0001"].ticket == "T-7"
    assert open_disputes([_ticket("resolved", "we dispute NW-2026-0001")]) == {}

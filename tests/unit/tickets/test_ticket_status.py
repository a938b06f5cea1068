"""The state machine, on its own: which changes are allowed and how a refusal reads."""

from __future__ import annotations

import itertools

import pytest

from bot.errors import InvalidTransition, TicketError
from bot.tickets.status import ALLOWED, Status, check_transition, parse_status

EXPECTED = {
    ("open", "claimed"),
    ("open", "resolved"),
    ("claimed", "open"),
    ("claimed", "waiting_on_customer"),
    ("claimed", "resolved"),
    ("waiting_on_customer", "claimed"),
    ("waiting_on_customer", "resolved"),
    ("resolved", "reopened"),
    ("reopened", "claimed"),
    ("reopened", "resolved"),
}


def test_the_allowed_transitions_are_exactly_the_documented_ones() -> None:
    assert {(a.value, b.value) for a, b in ALLOWED} == EXPECTED


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED))
def test_allowed_transitions_pass(current: str, target: str) -> None:
    check_transition("BILL-1001", current, Status(target))


REFUSED = sorted(
    (a.value, b.value)
    for a, b in itertools.product(Status, Status)
    if (a.value, b.value) not in EXPECTED
)


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_every_other_transition_is_refused_naming_ticket_and_both_statuses(
    current: str, target: str
) -> None:
    with pytest.raises(InvalidTransition) as refused:
        check_transition("BILL-1042", current, Status(target))
    message = str(refused.value)
    assert "BILL-1042" in message
    assert f"from {current} to {target}" in message


def test_a_refusal_is_a_ticket_error() -> None:
    assert issubclass(InvalidTransition, TicketError)


def test_reopened_can_do_what_open_can() -> None:
    from_open = {b for a, b in EXPECTED if a == "open"}
    from_reopened = {b for a, b in EXPECTED if a == "reopened"}
    assert from_open == from_reopened


def test_an_unknown_status_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(TicketError, match=r"unknown ticket status 'closed'.*waiting_on_customer"):
        parse_status("closed")

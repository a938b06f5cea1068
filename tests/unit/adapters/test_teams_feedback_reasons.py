"""The answer card's "No" asks why: one submit button per fixed reason (`bot.reasons`), whose
data the edge reads back into the core's `Message`; a reason the card never offers is a
malformed activity (a 400 at the endpoint)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.teams.activities import message_from_activity, shape_problem
from adapters.teams.cards import reply_card, shown_texts
from bot.reasons import Reason, known_reason
from bot.types import Citation, Reply, ReplyKind

ANSWER = Reply(
    "Invoices are due 30 days after they are issued.",
    ReplyKind.ANSWER,
    citations=(Citation("Terms", "Due dates", "articles/terms.md"),),
)


def _why_not(reply: Reply) -> dict[str, Any]:
    (no,) = [a for a in reply_card(reply)["actions"] if a["type"] == "Action.ShowCard"]
    return no


def _submit(data: dict[str, Any]) -> dict[str, Any]:
    """A message activity as Teams posts it for an Action.Submit click."""
    return {
        "type": "message",
        "id": "act-1",
        "channelId": "msteams",
        "serviceUrl": "http://127.0.0.1:1/",
        "conversation": {"id": "a:conv-1"},
        "from": {"id": "29:user", "aadObjectId": "aad-user"},
        "recipient": {"id": "28:bot"},
        "value": data,
    }


def test_no_opens_why_not_with_one_button_per_reason():
    no = _why_not(ANSWER)
    assert no["title"] == "No"
    buttons = no["card"]["actions"]
    assert [b["data"]["reason"] for b in buttons] == [r.value for r in Reason]
    assert {b["type"] for b in buttons} == {"Action.Submit"}
    for button in buttons:
        assert button["data"] == {
            "action": "feedback",
            "helpful": False,
            "about": "articles/terms.md#Due dates",
            "reason": button["data"]["reason"],
        }
    assert "Why not?" in shown_texts(reply_card(ANSWER))


def test_a_spanish_card_asks_why_in_spanish():
    no = _why_not(Reply("Vence el día 30.", ReplyKind.ANSWER, language="es"))
    assert no["card"]["body"][0]["text"] == "¿Por qué no?"
    assert "Cifras desactualizadas o incorrectas" in [b["title"] for b in no["card"]["actions"]]


@pytest.mark.parametrize("reason", list(Reason))
def test_each_reason_button_reaches_the_core_as_its_reason(reason: Reason):
    (button,) = [b for b in _why_not(ANSWER)["card"]["actions"] if b["data"]["reason"] == reason]
    activity = _submit(button["data"])

    assert shape_problem(activity) is None
    value = message_from_activity(activity).value
    assert value is not None and known_reason(value["reason"]) is reason


@pytest.mark.parametrize("reason", ["rude", "", 3, ["wrong"], {"x": 1}])
def test_a_reason_the_card_never_offers_is_malformed(reason: object):
    data = {"action": "feedback", "helpful": False, "about": "x", "reason": reason}
    assert "`reason` must be one of" in str(shape_problem(_submit(data)))
    invoke = {**_submit({}), "type": "invoke", "name": "adaptiveCard/action"}
    invoke["value"] = {"action": {"type": "Action.Execute", "verb": "feedback", "data": data}}
    assert "`reason` must be one of" in str(shape_problem(invoke))


def test_a_vote_without_a_reason_is_still_read():
    data = {"action": "feedback", "helpful": True, "about": "x"}
    assert shape_problem(_submit(data)) is None
    assert shape_problem(_submit({**data, "reason": None})) is None

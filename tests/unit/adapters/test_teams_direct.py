"""`adapters.teams.direct`: the JSON a DirectTurn sends is the JSON botbuilder would send."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity, ActivityTypes, Attachment, ChannelAccount

from adapters.teams import cards
from adapters.teams.direct import wire_json
from adapters.teams.turns import card_activity
from bot.types import Citation, Reply, ReplyKind

REPLY = Reply(
    "Invoices are due 30 days after the invoice date.",
    ReplyKind.ANSWER,
    0.8,
    citations=(Citation("Payment terms", "When invoices are due", "payment-terms.md"),),
)


@pytest.mark.parametrize(
    "activity",
    [
        Activity(type=ActivityTypes.typing),
        Activity(type=ActivityTypes.message, text="Sorry, something went wrong."),
        card_activity(cards.reply_card(REPLY, "When is my invoice due?")),
        Activity(
            type="message",
            attachments=[Attachment(content_type="text/plain", content={"a": [1, None, "x"]})],
            channel_data={"deliveryKey": "reply:teams:1"},
            recipient=ChannelAccount(id="29:1", name="Aoife"),
        ),
    ],
)
def test_schema_objects_become_the_json_msrest_would_write(activity: Activity) -> None:
    assert wire_json(activity) == activity.serialize()


def _reads(activity: dict[str, object]) -> bool:
    try:
        Activity().deserialize(activity)
    except Exception:
        return False
    return True


JUNK = ["yesterday-ish", 42, 4.5, True, "", [], [1, "x"], {}, {"id": 5}, [{"id": []}], None]
KEYS = [
    "timestamp", "localTimestamp", "expiration", "historyDisclosed", "from", "recipient",
    "conversation", "membersAdded", "membersRemoved", "reactionsAdded", "attachments",
    "entities", "suggestedActions", "relatesTo", "listenFor", "textHighlights",
    "semanticAction", "text", "channelData", "value", "Timestamp",
]  # fmt: skip


@pytest.mark.parametrize("key", KEYS)
def test_what_botbuilder_cannot_read_is_what_unreadable_names(key: str) -> None:
    import sys
    from pathlib import Path

    from adapters.teams.direct import unreadable

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "protocol"))
    from fakes.teams import TeamsUser

    message = TeamsUser("https://smba.example/amer/", "app").message("When is it due?")
    assert unreadable(message) is None and _reads(message)
    for junk in JUNK:
        for activity in ({**message, key: junk}, {**_without(message, "timestamp"), key: junk}):
            assert (unreadable(activity) is None) == _reads(activity), (key, junk)


def _without(activity: dict[str, object], key: str) -> dict[str, object]:
    return {k: v for k, v in activity.items() if k != key}

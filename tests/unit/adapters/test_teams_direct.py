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

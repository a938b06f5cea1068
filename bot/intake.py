"""`admit(Message) -> Message`: what every incoming message becomes before the core reads or
stores any of it. `Assistant` calls it once at the top of each turn, so every store (the
conversation's state, the outbox, inbound results, tickets, feedback, unanswered questions)
only ever sees admitted text:

* characters a database refuses are removed: U+0000 (PostgreSQL text and jsonb refuse it)
  and lone surrogates (not encodable as UTF-8, so no driver can send them);
* card numbers, IBANs and passwords are masked (`bot.pii.mask_pii`);
* ids longer than their columns, or holding such characters, become a stable hashed key
  (the same id always gives the same key, so redeliveries and follow-ups still match).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.pii import mask_pii
from bot.types import Message

__all__ = ["CONVERSATION_LIMIT", "EVENT_ID_LIMIT", "admit", "stable_key", "storable"]

# The `conversation` columns hold 500 characters.
CONVERSATION_LIMIT = 500
# `inbound_events.event_id` holds 200, and the reply's outbox key ("reply:<channel>:<id>",
# also 200) must fit too: 128 leaves room for any channel name.
EVENT_ID_LIMIT = 128

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without the characters no database column takes."""
    return _UNSTORABLE.sub("", text)


def stable_key(value: str, limit: int) -> str:
    """`value` itself when a column of `limit` characters stores it as written; else a key
    derived from all of it (71 characters)."""
    if len(value) <= limit and not _UNSTORABLE.search(value):
        return value
    raw = value.encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def admit(message: Message) -> Message:
    """`message` as the core may read and store it (idempotent)."""
    return replace(
        message,
        text=mask_pii(storable(message.text)),
        conversation=stable_key(message.conversation, CONVERSATION_LIMIT),
        event_id=None if message.event_id is None else stable_key(message.event_id, EVENT_ID_LIMIT),
        user_name=storable(message.user_name),
        value=None if message.value is None else _cleaned(message.value),
    )


def _cleaned(value: Mapping[str, Any]) -> dict[str, Any]:
    """A card action's data, its strings storable and masked (it may carry the question)."""

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            return mask_pii(storable(item))
        if isinstance(item, Mapping):
            return {storable(str(k)): clean(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [clean(v) for v in item]
        return item

    return {storable(str(k)): clean(v) for k, v in value.items()}

"""Read Bot Framework activities, as their JSON wire dicts, into the core's `Message`.

Pure functions over the Activity protocol's JSON (camelCase keys), so they hold for any SDK
that speaks it. Teams facts this relies on:
- the tenant is in `channelData.tenant.id` (botbuilder 4.17 leaves `conversation.tenantId`
  empty on the schema object, so the wire dict is read first);
- the user's stable id is the Entra object id `from.aadObjectId` (`from.id` is per-bot);
- Action.Submit arrives as a `message` whose `value` is the button's data; Action.Execute as
  an `invoke` named `adaptiveCard/action` whose `value.action.data` is the data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.reasons import VALUES, known_reason
from bot.types import Action, Message

CHANNEL = "teams"
# TurnContext.turn_state key: set when a turn failed or its reply is not delivered yet.
NOT_DELIVERED = "billing.not_delivered"
CARD_ACTION_INVOKE = "adaptiveCard/action"

_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)

Activity = Mapping[str, Any]


def tenant_id(activity: Activity) -> str | None:
    tenant = _mapping(_mapping(activity.get("channelData")).get("tenant")).get("id")
    if tenant:
        return str(tenant)
    fallback = _mapping(activity.get("conversation")).get("tenantId")
    return str(fallback) if fallback else None


def conversation_id(activity: Activity) -> str:
    return str(_mapping(activity.get("conversation")).get("id") or "")


def message_from_activity(activity: Activity) -> Message:
    """A `message` activity (typed text or an Action.Submit) as a core `Message`."""
    value = activity.get("value")
    value = value if isinstance(value, Mapping) and value else None  # {}: no button data
    return _message(activity, text=clean_text(activity.get("text")), value=value)


def message_from_card_action(activity: Activity) -> Message:
    """An `adaptiveCard/action` invoke (Action.Execute) as a core `Message` carrying its data."""
    action = _mapping(_mapping(activity.get("value")).get("action"))
    data = dict(_mapping(action.get("data")))
    if "action" not in data and action.get("verb"):
        data["action"] = str(action["verb"])
    return _message(activity, text="", value=data)


def is_card_action(activity: Activity) -> bool:
    return activity.get("type") == "invoke" and activity.get("name") == CARD_ACTION_INVOKE


def wants_welcome(activity: Activity) -> bool:
    """The app was installed, or the bot itself was added to the conversation."""
    kind = activity.get("type")
    if kind == "installationUpdate":
        return str(activity.get("action") or "").startswith("add")
    if kind == "conversationUpdate":
        bot = _mapping(activity.get("recipient")).get("id")
        added = activity.get("membersAdded") or []
        return any(_mapping(member).get("id") == bot for member in added)
    return False


def conversation_reference(activity: Activity) -> dict[str, Any]:
    """What a proactive message needs later, as the protocol's ConversationReference JSON.

    The tenant is copied onto the conversation, where a proactive send looks for it.
    """
    conversation = dict(_mapping(activity.get("conversation")))
    tenant = tenant_id(activity)
    if tenant and not conversation.get("tenantId"):
        conversation["tenantId"] = tenant
    reference: dict[str, Any] = {
        "activityId": activity.get("id"),
        "user": dict(_mapping(activity.get("from"))),
        "bot": dict(_mapping(activity.get("recipient"))),
        "conversation": conversation,
        "channelId": activity.get("channelId"),
        "locale": activity.get("locale"),
        "serviceUrl": activity.get("serviceUrl"),
    }
    return {key: value for key, value in reference.items() if value not in (None, {})}


def clean_text(text: object) -> str:
    """Typed text without `<at>bot</at>` mentions and surrounding blanks."""
    if not isinstance(text, str):
        return ""
    return _MENTION.sub("", text).strip()


def _message(activity: Activity, *, text: str, value: Mapping[str, Any] | None) -> Message:
    """A card action's data is kept even when empty: it is a button, not a message."""
    user = _mapping(activity.get("from"))
    return Message(
        text=text,
        channel=CHANNEL,
        conversation=conversation_id(activity),
        user_id=str(user.get("aadObjectId") or user.get("id") or ""),
        user_name=str(user.get("name") or ""),
        tenant_id=tenant_id(activity),
        locale=str(activity.get("locale") or "en-US"),
        event_id=str(activity["id"]) if activity.get("id") else None,
        value=dict(value) if isinstance(value, Mapping) else None,
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def shape_problem(activity: Activity) -> str | None:
    """What makes `activity` unfit for a turn (a wrong type, a missing part), or None.

    Checked after authentication and before botbuilder sees the activity, so that a
    malformed one is a 400 rather than a crash inside the SDK or the turn.
    """
    for check in _SHAPE_CHECKS:
        if (problem := check(activity)) is not None:
            return problem
    return None


def _required_strings(activity: Activity) -> str | None:
    for key in ("type", "channelId", "serviceUrl"):
        if not isinstance(activity.get(key), str) or not activity[key]:
            return f"`{key}` must be a non-empty string"
    return None


def _identified_parts(activity: Activity) -> str | None:
    for key in ("conversation", "from", "recipient"):
        part = activity.get(key)
        if not isinstance(part, Mapping) or not isinstance(part.get("id"), str) or not part["id"]:
            return f"`{key}` must be an object with a non-empty string `id`"
    return None


def _optional_strings(activity: Activity) -> str | None:
    for key in ("id", "text", "name", "locale", "action", "replyToId", "textFormat"):
        if activity.get(key) is not None and not isinstance(activity[key], str):
            return f"`{key}` must be a string"
    return None


def _invoke_name(activity: Activity) -> str | None:
    if activity["type"] == "invoke" and not activity.get("name"):
        return "an invoke must have a `name`"  # what is invoked (a named one may be 501)
    return None


def _parts_strings(activity: Activity) -> str | None:
    for key in ("channelData", "conversation", "from", "recipient"):
        if problem := _string_fields_problem(activity.get(key), key):
            return problem
    tenant = _mapping(activity.get("channelData")).get("tenant")
    if tenant is not None and not isinstance(tenant, Mapping):
        return "`channelData.tenant` must be an object"
    return _string_fields_problem(tenant, "channelData.tenant")


def _object_lists(activity: Activity) -> str | None:
    for key in ("membersAdded", "membersRemoved", "attachments", "entities"):
        items = activity.get(key)
        if items is not None and (
            not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items)
        ):
            return f"`{key}` must be a list of objects"
    return None


def _feedback_reason(activity: Activity) -> str | None:
    """A 👎's `reason` is one of the card's fixed reasons: anything else was not sent by the
    card, and would be counted as nothing the report knows."""
    data = _mapping(activity.get("value"))
    if is_card_action(activity):
        data = _mapping(_mapping(data.get("action")).get("data"))
    reason = data.get("reason")
    if data.get("action") != Action.FEEDBACK or reason is None or known_reason(reason):
        return None
    return f"`reason` must be one of {', '.join(sorted(VALUES))}"


# In this order: each check may rely on the ones before it (`_invoke_name` on `type`).
_SHAPE_CHECKS: tuple[Callable[[Activity], str | None], ...] = (
    _required_strings,
    _identified_parts,
    _optional_strings,
    _invoke_name,
    _parts_strings,
    _object_lists,
    _feedback_reason,
)


# Fields read as strings wherever they appear in the parts of an activity.
_STRING_FIELDS = ("id", "name", "aadObjectId", "role", "tenantId", "conversationType")


def _string_fields_problem(part: object, where: str) -> str | None:
    if part is None:
        return None
    if not isinstance(part, Mapping):
        return f"`{where}` must be an object"
    for key in _STRING_FIELDS:
        if part.get(key) is not None and not isinstance(part[key], str):
            return f"`{where}.{key}` must be a string"
    return None

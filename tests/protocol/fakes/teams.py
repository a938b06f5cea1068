"""Teams activities as the Bot Connector posts them: raw JSON dicts, no SDK types.

Shapes follow what Teams sends to a bot in a personal (1:1) chat: the tenant in
`channelData.tenant.id`, the user's Entra object id in `from.aadObjectId`, the bot as
`recipient` ("28:<app id>").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

CONTOSO_TENANT = "4acb5c8a-11e8-482a-bb39-334f65bb0370"  # knowledge/customers.yaml: contoso
UNKNOWN_TENANT = "99999999-0000-4000-8000-000000000000"

_ids = itertools.count(1)


@dataclass(frozen=True)
class TeamsUser:
    """One person in one personal chat with the bot."""

    service_url: str
    app_id: str
    tenant: str = CONTOSO_TENANT
    conversation: str = "a:1contoso-aoife-personal-chat"
    user_id: str = "29:1aoife-teams-id"
    aad_object_id: str = "6b3c3f1e-9d5a-4a1e-8a7e-0c9f0d1e2a3b"
    name: str = "Aoife Byrne"
    locale: str = "en-IE"

    def _base(self, kind: str) -> dict[str, Any]:
        return {
            "type": kind,
            "id": f"f:{next(_ids):08d}",
            "timestamp": "2026-11-24T10:00:00.000Z",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": self.user_id, "name": self.name, "aadObjectId": self.aad_object_id},
            "conversation": {
                "conversationType": "personal",
                "tenantId": self.tenant,
                "id": self.conversation,
            },
            "recipient": {"id": f"28:{self.app_id}", "name": "Northwind Billing"},
            "channelData": {"tenant": {"id": self.tenant}},
            "locale": self.locale,
        }

    def message(self, text: str) -> dict[str, Any]:
        activity = self._base("message")
        activity.update({"text": text, "textFormat": "plain"})
        return activity

    def submit(self, data: dict[str, Any]) -> dict[str, Any]:
        """What Teams posts when an Action.Submit button is clicked."""
        activity = self._base("message")
        activity["value"] = data
        return activity

    def execute(self, data: dict[str, Any], verb: str | None = None) -> dict[str, Any]:
        """What Teams posts when an Action.Execute button is clicked (an invoke)."""
        activity = self._base("invoke")
        activity["name"] = "adaptiveCard/action"
        activity["value"] = {
            "action": {"type": "Action.Execute", "verb": verb or data.get("action"), "data": data},
            "trigger": "manual",
        }
        return activity

    def installed(self) -> dict[str, Any]:
        activity = self._base("installationUpdate")
        activity["action"] = "add"
        return activity

    def bot_added(self) -> dict[str, Any]:
        activity = self._base("conversationUpdate")
        activity["membersAdded"] = [{"id": f"28:{self.app_id}"}]
        return activity

    def user_added(self) -> dict[str, Any]:
        activity = self._base("conversationUpdate")
        activity["membersAdded"] = [{"id": self.user_id, "aadObjectId": self.aad_object_id}]
        return activity

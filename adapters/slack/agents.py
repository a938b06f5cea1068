"""Who clicked or wrote in Slack: `Agents` asks Slack once per user whether they are a
full member of the partner's own workspace (only members may use the billing desk)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http_limits import one_line
from bot.errors import BotError
from bot.locale import N_

log = logging.getLogger(__name__)

NOT_A_MEMBER = N_("Only members of the partner's workspace can use the billing desk.")
NOT_CHECKED = N_("Slack did not tell me who you are just now; please try again in a moment.")
LOOKUP_RETRIES = (0.2, 0.5)  # seconds between look-up attempts (inside Slack's 3 s)


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str  # what agents (and customers) see
    member: bool  # a full member of the partner's own workspace


class LookupFailed(BotError):
    """Slack did not answer who a user is: retry later, never treat them as an outsider."""


class Agents:
    """Slack user id -> `Agent`, asked once per user (`users.info`).

    Billing data is for the partner's own people: guests (customers are often invited as
    guests), Slack Connect users from other organisations and bots are not members, whatever
    channel they post in. The partner's workspace is the bot token's (`auth.test`, once).
    """

    def __init__(self, client: AsyncWebClient, retries: Sequence[float] = LOOKUP_RETRIES) -> None:
        self._client = client
        self._known: dict[str, Agent] = {}
        self._team: str | None = None
        self._retries = tuple(retries)

    async def __call__(self, user_id: str) -> Agent:
        """The agent, or `LookupFailed` when Slack did not answer (after a few tries)."""
        if user_id in self._known:
            return self._known[user_id]
        for pause in (*self._retries, None):
            try:
                self._known[user_id] = await self._look_up(user_id)
                return self._known[user_id]
            except (SlackApiError, OSError, TimeoutError, KeyError, TypeError) as exc:
                if pause is None:
                    raise LookupFailed(
                        f"could not look up Slack user {user_id}: {one_line(str(exc))}"
                    ) from exc
                log.warning(
                    "Slack: look-up of %s failed (%s); retrying", user_id, one_line(str(exc))
                )
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def _look_up(self, user_id: str) -> Agent:
        if self._team is None:
            self._team = str((await self._client.auth_test())["team_id"])
        user = (await self._client.users_info(user=user_id))["user"]
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("real_name") or user["name"]
        outsider = (
            user.get("team_id", self._team) != self._team
            or user.get("is_restricted")
            or user.get("is_ultra_restricted")
            or user.get("is_stranger")
            or user.get("is_bot")
        )
        return Agent(user_id, str(name), member=not outsider)

"""The collections desk in Slack: the digest's buttons and `/billing overdue|due`.

`CollectionsDesk` is the core side (synchronous, run in the server's core pool): each click's
effect is written in one transaction with the mark of its interaction, so the same click
delivered again changes nothing (`AlreadyHandled`), and a second click on the same button
finds the effect done (the store's pause, resume and confirm are no-ops then). Who clicked
and when is kept by the store and shown by `billing-bot collections history`.

`register_collections` adds the digest's button listeners to the bolt app: check the agent,
apply the click, tell that agent what happened (ephemeral), then acknowledge.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.agents import NOT_A_MEMBER, NOT_CHECKED, Agents, LookupFailed
from adapters.slack.blocks import Block
from adapters.slack.collections import CONFIRM, PAUSE, RESUME, answer_blocks
from bot.collections import desk
from bot.collections.run import Reminders
from bot.errors import BotError
from bot.locale import formats, translator
from bot.storage.turn import AlreadyHandled

if TYPE_CHECKING:
    from bot.app import Assistant
    from bot.storage.agent_action import AgentAction
    from bot.storage.stores import Storage

log = logging.getLogger(__name__)
SOURCE = "slack"  # the inbound events' source name (as `adapters.slack.desk`)


class CollectionsDesk:
    def __init__(self, assistant: Assistant, storage: Storage, language: str) -> None:
        self._core = assistant
        self._storage = storage
        self.language = language

    def _name(self, customer_id: str) -> str:
        found = self._core.knowledge.customer(customer_id)
        return found.name if found else customer_id

    def _once(self, action_id: str | None, change: Callable[[AgentAction], bool]) -> bool:
        """`change` in one transaction with the click's mark (`AlreadyHandled`: clicked
        before)."""
        with self._storage.agent_action(SOURCE, action_id) as action:
            return change(action)

    # --- buttons: each returns what the agent who clicked is told ----------------------------

    def pause(self, customer_id: str, days: int, agent: str, action_id: str | None) -> str:
        _ = translator(self.language)
        today = self._core.today()
        until = today + timedelta(days=days)
        done = self._once(action_id, lambda a: a.pause_reminders(customer_id, until, agent, today))
        text = (
            _("Reminders to {name} are paused until {date} (by {agent}).")
            if done
            else _("Reminders to {name} were already paused until {date}.")
        )
        return text.format(
            name=self._name(customer_id),
            date=formats.day(until, self.language),
            agent=agent,
        )

    def resume(self, customer_id: str, agent: str, action_id: str | None) -> str:
        _ = translator(self.language)
        today = self._core.today()
        done = self._once(action_id, lambda a: a.resume_reminders(customer_id, agent, today))
        text = (
            _("Reminders to {name} are resumed (by {agent}).")
            if done
            else _("Reminders to {name} were not paused.")
        )
        return text.format(name=self._name(customer_id), agent=agent)

    def confirm(self, invoice: str, agent: str, action_id: str | None) -> str:
        _ = translator(self.language)
        done = self._once(action_id, lambda a: a.confirm_payment(invoice, agent))
        text = (
            _("Payment of {invoice} confirmed (by {agent}).")
            if done
            else _("No payment claim on {invoice} awaits confirmation (already confirmed).")
        )
        return text.format(invoice=invoice, agent=agent)

    # --- /billing overdue | due <period> ---------------------------------------------------------

    def overdue(self) -> list[Block]:
        knowledge = self._core.knowledge
        day_plan = self._reminders().plan(self._core.today())
        return answer_blocks(desk.overdue(day_plan, knowledge.customers, self.language))

    def due(self, period: str) -> list[Block]:
        knowledge = self._core.knowledge
        today = self._core.today()
        start, end = desk.period_of(period, today)
        day_plan = self._reminders().plan(today)
        return answer_blocks(
            desk.due_between(day_plan, knowledge.customers, start, end, self.language)
        )

    def _reminders(self) -> Reminders:
        return Reminders(self._core.storage, lambda: self._core.knowledge, digest=False)


def register_collections(
    app: AsyncApp,
    collections: CollectionsDesk,
    agents: Agents,
    run_core: Callable[..., Awaitable[Any]],
    client: AsyncWebClient,
    escalation_channel: str,
) -> None:
    """The digest's buttons on `app`."""
    _ = translator(collections.language)

    async def clicked(
        ack: Callable[[], Awaitable[Any]],
        body: dict[str, Any],
        change: Callable[[str, str | None], str],
    ) -> None:
        user = str(body["user"]["id"])
        channel = (body.get("channel") or {}).get("id") or escalation_channel
        try:
            agent = await agents(user)
        except LookupFailed:
            await _tell(client, channel, user, f":warning: {_(NOT_CHECKED)}")
            await ack()
            return
        if not agent.member:
            await _tell(client, channel, user, f":warning: {_(NOT_A_MEMBER)}")
        else:
            trigger = body.get("trigger_id")
            action_id = f"action:{trigger}" if isinstance(trigger, str) and trigger else None
            try:
                told = await run_core(change, agent.name, action_id)
            except AlreadyHandled:
                told = None  # the same click delivered again: done the first time
            except BotError as exc:
                told = f":warning: {exc}"
            if told:
                await _tell(client, channel, user, told)
        await ack()

    @app.action(PAUSE)
    async def on_pause(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        match = PAUSE.match(str(action["action_id"]))
        assert match is not None  # the listener's own pattern
        days, customer = int(match.group(1)), str(action["value"])
        await clicked(ack, body, lambda agent, aid: collections.pause(customer, days, agent, aid))

    @app.action(RESUME)
    async def on_resume(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        customer = str(action["value"])
        await clicked(ack, body, lambda agent, aid: collections.resume(customer, agent, aid))

    @app.action(CONFIRM)
    async def on_confirm(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        invoice = str(action["value"])
        await clicked(ack, body, lambda agent, aid: collections.confirm(invoice, agent, aid))


async def _tell(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    """An ephemeral line to the agent who clicked."""
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        log.warning("Slack: could not tell %s that %r: %s", user, text, exc)

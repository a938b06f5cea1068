"""The slack-bolt `AsyncApp` of the agents' desk: translate Slack payloads into `Desk` calls.

Every listener acknowledges first (`process_before_response=False`: bolt answers Slack as
soon as `ack()` runs, or at once for events) and then does the work through `run_core`, so
Slack never waits on the database. Events that Slack redelivers (X-Slack-Retry-Num) carry
the same `event_id`, which is marked in the same transaction as the event's effect (an
agent's reply and its outbox row): a retry of a relayed reply changes nothing, a retry of
one that failed (e.g. `users.info` did not answer) relays it, once. A failed look-up is
retried here a few times and then left for the next delivery; it never makes an agent an
outsider.

    message (in a ticket's thread, from a person)   -> the agent's reply or internal note
    app_home_opened                                  -> views.publish of the agent's queue
    block actions: Claim, Wait on customer, Release,
                   Resolve, Change category          -> the ticket changes; the post follows
    /billing ask | customer | ticket                 -> an ephemeral answer
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import CATEGORY, CLAIM, RELEASE, RESOLVE, WAIT, section
from adapters.slack.desk import Desk, queue_view
from bot.errors import BotError
from bot.locale import N_, translator
from bot.turn import AlreadyHandled

log = logging.getLogger(__name__)

COMMAND = "/billing"
MESSAGE, HOME = "message", "app_home_opened"
EVENTS = (MESSAGE, HOME)  # manifests/slack/manifest.yml subscribes to exactly these
RunCore = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str  # what agents (and customers) see
    member: bool  # a full member of the partner's own workspace


NOT_A_MEMBER = N_("Only members of the partner's workspace can use the billing desk.")
NOT_CHECKED = N_("Slack did not tell me who you are just now; please try again in a moment.")
NOT_HERE = N_("{command} is not available in this channel.")
LOOKUP_RETRIES = (0.2, 0.5, 1.0)  # seconds between look-up attempts


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
                    raise LookupFailed(f"could not look up Slack user {user_id}: {exc}") from exc
                log.warning("Slack: look-up of %s failed (%s); retrying", user_id, exc)
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


def build_bolt_app(
    desk: Desk,
    run_core: RunCore,
    client: AsyncWebClient,
    *,
    signing_secret: str,
    escalation_channel: str,
    command_channels: frozenset[str] = frozenset(),
    lookup_retries: Sequence[float] = LOOKUP_RETRIES,
) -> AsyncApp:
    """`command_channels`: where `/billing` answers (empty: any channel of the workspace)."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=bool(signing_secret),  # off only in Socket Mode
        process_before_response=False,
        name="billing-desk",
    )
    agents = Agents(client, lookup_retries)
    _ = translator(desk.language)  # what the desk itself says to an agent

    @app.event(MESSAGE)
    async def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        thread = event.get("thread_ts")
        if (
            event.get("subtype")  # edits, joins, bot messages, ...
            or event.get("bot_id")
            or not event.get("user")
            or event.get("channel") != escalation_channel
            or not thread
            or thread == event.get("ts")
        ):
            return
        event_id = str(body["event_id"]) if body.get("event_id") else None
        try:
            agent = await agents(str(event["user"]))
        except LookupFailed as exc:  # not marked: Slack's retry of the event relays it
            log.warning("Slack: %s; the thread reply waits for the event's retry", exc)
            return
        if not agent.member:
            log.warning("Slack: %s is not a member; their thread reply stays in Slack", agent.id)
            return
        try:
            text = str(event.get("text") or "")
            ticket = await run_core(desk.thread_reply, str(thread), agent.name, text, event_id)
        except AlreadyHandled:
            return  # a retry of a reply already relayed
        except BotError as exc:
            await _tell(client, escalation_channel, str(event["user"]), str(exc), thread)
            return
        if ticket is None:
            log.info("Slack: a thread reply outside any ticket's thread (%s)", thread)

    @app.event(HOME)
    async def on_home(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        try:  # publishing the view again on a retried event is harmless: no mark needed
            agent = await agents(str(event["user"]))
        except LookupFailed as exc:
            log.warning("Slack: %s; App Home not refreshed", exc)
            return
        if not agent.member:
            return
        queue = await run_core(desk.queue, agent.name)
        await client.views_publish(user_id=agent.id, view=queue_view(queue, desk.language))

    async def ticket_action(
        ack: Callable[[], Awaitable[Any]],
        body: dict[str, Any],
        change: Callable[[str, str], Any],
        number: str,
    ) -> None:
        await ack()
        user = str(body["user"]["id"])
        channel = (body.get("channel") or {}).get("id") or escalation_channel
        thread = (body.get("message") or {}).get("ts")
        try:
            agent = await agents(user)
        except LookupFailed:
            await _tell(client, channel, user, _(NOT_CHECKED), thread)
            return
        if not agent.member:
            await _tell(client, channel, agent.id, _(NOT_A_MEMBER), thread)
            return
        try:
            await run_core(change, number, agent.name)
        except BotError as exc:
            await _tell(client, channel, agent.id, str(exc), thread)

    @app.action(CLAIM)
    async def on_claim(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ticket_action(ack, body, desk.claim, str(action["value"]))

    @app.action(RESOLVE)
    async def on_resolve(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ticket_action(ack, body, desk.resolve, str(action["value"]))

    @app.action(RELEASE)
    async def on_release(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ticket_action(ack, body, desk.release, str(action["value"]))

    @app.action(WAIT)
    async def on_wait(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ticket_action(ack, body, desk.wait_on_customer, str(action["value"]))

    @app.action(CATEGORY)
    async def on_category(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        number, _, category = str(action["selected_option"]["value"]).partition("|")

        def change(number: str, agent: str) -> Any:
            return desk.change_category(number, category, agent)

        await ticket_action(ack, body, change, number)

    @app.command(COMMAND)
    async def on_billing(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        channel = str(command.get("channel_id") or "")
        try:
            agent: Agent | None = await agents(str(command["user_id"]))
        except LookupFailed:
            agent = None
        if agent is None:
            blocks = [section(f":warning: {_(NOT_CHECKED)}")]
        elif not agent.member:
            blocks = [section(f":no_entry: {_(NOT_A_MEMBER)}")]
        elif command_channels and channel not in command_channels:
            blocks = [section(f":no_entry: {_(NOT_HERE).format(command=COMMAND)}")]
        else:
            try:
                blocks = await run_core(
                    desk.command, str(command.get("text") or ""), agent.name, agent.id, channel
                )
            except BotError as exc:
                blocks = [section(f":warning: {exc}")]
        await respond(
            blocks=blocks,
            text=f"{COMMAND} {command.get('text') or ''}".strip(),
            response_type="ephemeral",
        )

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack: %s while handling %s", error, body.get("type"), exc_info=error)

    return app


async def _tell(
    client: AsyncWebClient, channel: str, user: str, text: str, thread: str | None
) -> None:
    """An ephemeral line to one agent (why their action was refused)."""
    try:
        await client.chat_postEphemeral(
            channel=channel, user=user, text=f":warning: {text}", thread_ts=thread
        )
    except SlackApiError as exc:
        log.warning("Slack: could not tell %s that %r: %s", user, text, exc)

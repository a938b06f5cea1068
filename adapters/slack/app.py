"""The slack-bolt `AsyncApp` of the agents' desk: translate Slack payloads into `Desk` calls.

Every listener acknowledges first (`process_before_response=False`: bolt answers Slack as
soon as `ack()` runs, or at once for events) and then does the work through `run_core`, so
Slack never waits on the database. Events that Slack redelivers (X-Slack-Retry-Num) carry
the same `event_id`; `TicketStore.first_delivery("slack", event_id)` lets one through.

    message (in a ticket's thread, from a person)   -> the agent's reply or internal note
    app_home_opened                                  -> views.publish of the agent's queue
    block actions: Claim, Resolve, Change category   -> the ticket changes; the post follows
    /billing ask | customer | ticket                 -> an ephemeral answer
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import CATEGORY, CLAIM, RESOLVE, section
from adapters.slack.desk import Desk, queue_view
from bot.errors import BotError

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


NOT_A_MEMBER = "Only members of the partner's workspace can use the billing desk."


class Agents:
    """Slack user id -> `Agent`, asked once per user (`users.info`).

    Billing data is for the partner's own people: guests (customers are often invited as
    guests), Slack Connect users from other organisations and bots are not members, whatever
    channel they post in. The partner's workspace is the bot token's (`auth.test`, once).
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._known: dict[str, Agent] = {}
        self._team: str | None = None

    async def __call__(self, user_id: str) -> Agent:
        if user_id not in self._known:
            try:
                self._known[user_id] = await self._look_up(user_id)
            except (SlackApiError, KeyError, TypeError) as exc:
                log.warning("Slack: could not look up user %s (%s)", user_id, exc)
                return Agent(user_id, user_id, member=False)  # not cached: ask again later
        return self._known[user_id]

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
) -> AsyncApp:
    """`command_channels`: where `/billing` answers (empty: any channel of the workspace)."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=bool(signing_secret),  # off only in Socket Mode
        process_before_response=False,
        name="billing-desk",
    )
    agents = Agents(client)

    async def first_time(body: dict[str, Any]) -> bool:
        event_id = body.get("event_id")
        if not event_id:
            return True
        return bool(await run_core(desk.first_delivery, "slack", str(event_id)))

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
        if not await first_time(body):
            return
        agent = await agents(str(event["user"]))
        if not agent.member:
            log.warning("Slack: %s is not a member; their thread reply stays in Slack", agent.id)
            return
        try:
            text = str(event.get("text") or "")
            ticket = await run_core(desk.thread_reply, str(thread), agent.name, text)
        except BotError as exc:
            await _tell(client, escalation_channel, str(event["user"]), str(exc), thread)
            return
        if ticket is None:
            log.info("Slack: a thread reply outside any ticket's thread (%s)", thread)

    @app.event(HOME)
    async def on_home(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not await first_time(body):
            return
        agent = await agents(str(event["user"]))
        if not agent.member:
            return
        queue = await run_core(desk.queue, agent.name)
        await client.views_publish(user_id=agent.id, view=queue_view(queue))

    async def ticket_action(
        ack: Callable[[], Awaitable[Any]],
        body: dict[str, Any],
        change: Callable[[str, str], Any],
        number: str,
    ) -> None:
        await ack()
        agent = await agents(str(body["user"]["id"]))
        channel = (body.get("channel") or {}).get("id") or escalation_channel
        thread = (body.get("message") or {}).get("ts")
        if not agent.member:
            await _tell(client, channel, agent.id, NOT_A_MEMBER, thread)
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

    @app.action(CATEGORY)
    async def on_category(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        number, _, category = str(action["selected_option"]["value"]).partition("|")

        def change(number: str, agent: str) -> Any:
            return desk.change_category(number, category, agent)

        await ticket_action(ack, body, change, number)

    @app.command(COMMAND)
    async def on_billing(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        agent = await agents(str(command["user_id"]))
        channel = str(command.get("channel_id") or "")
        if not agent.member:
            blocks = [section(f":no_entry: {NOT_A_MEMBER}")]
        elif command_channels and channel not in command_channels:
            blocks = [section(f":no_entry: {COMMAND} is not available in this channel.")]
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

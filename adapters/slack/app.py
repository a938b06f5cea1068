"""The slack-bolt `AsyncApp` of the agents' desk: translate Slack payloads into `Desk` calls.

Work first, acknowledge after (`process_before_response=True`): bolt answers Slack when a
listener returns, so an event or a button's effect is committed before Slack hears "done".
A process that dies first leaves Slack without an answer, and Slack delivers the event
again; a listener that fails answers 5xx, and Slack retries too. Listeners therefore stay
well inside Slack's 3 s: a thread reply is one `users.info` (cached) and one transaction.
`/billing`, whose answer may take longer, acknowledges at once and works in a lazy
listener (its answer goes to `response_url`).

Events that Slack redelivers (X-Slack-Retry-Num) carry the same `event_id`, which is
marked in the same transaction as the event's effect (an agent's reply and its outbox row):
a retry of a relayed reply changes nothing, a retry of one that failed relays it, once.
Buttons are marked the same way by their interaction's id. A failed look-up (`users.info`)
is retried here a few times, then answered 503 so that Slack retries; it never makes an
agent an outsider.

    message (in a ticket's thread, from a person)   -> the agent's reply or internal note
    app_home_opened                                  -> views.publish of the agent's queue
    block actions: Claim, Wait on customer, Release,
                   Resolve, Change category          -> the ticket changes; the post follows
    digest buttons: Pause 7/14/30 days, Resume,
                   Confirm payment                   -> `collections_desk` (one effect a click)
    /billing ask | customer | ticket | overdue | due -> an ephemeral answer
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http_limits import one_line
from adapters.slack.agents import (
    LOOKUP_RETRIES,
    NOT_A_MEMBER,
    NOT_CHECKED,
    Agents,
    LookupFailed,
)
from adapters.slack.blocks import CATEGORY, CLAIM, RELEASE, RESOLVE, WAIT, section
from adapters.slack.channel import ticket_of_post
from adapters.slack.collections_desk import register_collections
from adapters.slack.desk import Desk, queue_view
from bot.errors import BotError
from bot.intake import EVENT_ID_LIMIT, stable_key, storable
from bot.locale import N_, translator
from bot.logsafe import loggable
from bot.storage.turn import AlreadyHandled

log = logging.getLogger(__name__)

COMMAND = "/billing"
MESSAGE, HOME = "message", "app_home_opened"
EVENTS = (MESSAGE, HOME)  # manifests/slack/manifest.yml subscribes to exactly these
RunCore = Callable[..., Awaitable[Any]]
NOT_HERE = N_("{command} is not available in this channel.")
MAX_REMEMBERED = 10_000
# Failures that a later delivery may not meet: answered 503 in one log line, Slack retries.
TRANSIENT = (SlackApiError, aiohttp.ClientError, OSError, TimeoutError)


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
        process_before_response=True,
        name="billing-desk",
    )
    agents = Agents(client, lookup_retries)
    register_collections(app, desk.collections, agents, run_core, client, escalation_channel)
    listeners = Listeners(desk, run_core, client, agents, escalation_channel, command_channels)
    listeners.register(app)
    return app


class Listeners:
    """One method per event, action and command of the desk; `register` wires them all."""

    def __init__(
        self,
        desk: Desk,
        run_core: RunCore,
        client: AsyncWebClient,
        agents: Agents,
        escalation_channel: str,
        command_channels: frozenset[str],
    ) -> None:
        self.desk = desk
        self.run_core = run_core
        self.client = client
        self.agents = agents
        self.escalation_channel = escalation_channel
        self.command_channels = command_channels
        self._ = translator(desk.language)  # what the desk itself says to an agent
        self.not_tickets: set[str] = set()  # threads whose post names no ticket (never changes)

    def register(self, app: AsyncApp) -> None:
        """Every listener of the desk, in one place."""
        app.event(MESSAGE)(self.on_message)
        app.event(HOME)(self.on_home)
        app.action(CLAIM)(self.on_claim)
        app.action(RESOLVE)(self.on_resolve)
        app.action(RELEASE)(self.on_release)
        app.action(WAIT)(self.on_wait)
        app.action(CATEGORY)(self.on_category)
        # Acknowledged at once; the answer (which may take longer than Slack's 3 s) follows.
        app.command(COMMAND)(ack=self.ack_command, lazy=[self.billing])
        app.error(self.on_error)

    def _is_agent_reply(self, event: dict[str, Any]) -> bool:
        """A person's message in a thread of the escalation channel (not its first post)."""
        thread = event.get("thread_ts")
        return not (
            event.get("subtype")  # edits, joins, bot messages, ...
            or event.get("bot_id")
            or not event.get("user")
            or event.get("channel") != self.escalation_channel
            or not thread
            or thread == event.get("ts")
        )

    async def on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if not self._is_agent_reply(event):
            return
        thread = str(event["thread_ts"])
        event_id = (
            stable_key(str(body["event_id"]), EVENT_ID_LIMIT) if body.get("event_id") else None
        )
        # `LookupFailed` propagates: nothing is marked, the answer is 503, Slack retries.
        agent = await self.agents(str(event["user"]))
        if not agent.member:
            log.warning("Slack: %s is not a member; their thread reply stays in Slack", agent.id)
            return
        text = storable(str(event.get("text") or ""))  # e.g. no U+0000: PostgreSQL refuses it
        try:
            ticket = await self._relay(thread, agent.name, text, event_id)
        except AlreadyHandled:
            return  # a retry of a reply already relayed
        except BotError as exc:
            await _tell(self.client, self.escalation_channel, str(event["user"]), str(exc), thread)
            return
        if ticket is None:
            log.info("Slack: a thread reply outside any ticket's thread (%s)", thread)

    async def _relay(self, thread: str, agent: str, text: str, event_id: str | None) -> Any:
        ticket = await self.run_core(self.desk.thread_reply, thread, agent, text, event_id)
        if ticket is None and (number := await self._posted_for(thread)):
            # A ticket's post whose delivery is not recorded (yet): the post says whose.
            reply = functools.partial(self.desk.thread_reply, posted_for=number)
            ticket = await self.run_core(reply, thread, agent, text, event_id)
        return ticket

    async def _posted_for(self, thread: str) -> str | None:
        """The ticket a thread's post names; threads that are no ticket's are remembered."""
        if thread in self.not_tickets:
            return None
        number = await ticket_of_post(self.client, self.escalation_channel, thread)
        if number is None:
            if len(self.not_tickets) >= MAX_REMEMBERED:
                self.not_tickets.clear()
            self.not_tickets.add(thread)
        return number

    async def on_home(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        # Publishing the view again on a retried event is harmless: no mark needed.
        agent = await self.agents(str(event["user"]))
        if not agent.member:
            return
        queue = await self.run_core(self.desk.queue, agent.name)
        await self.client.views_publish(
            user_id=agent.id, view=queue_view(queue, self.desk.language)
        )

    async def _ticket_action(
        self,
        ack: Callable[[], Awaitable[Any]],
        body: dict[str, Any],
        change: Callable[[str, str, str | None], Any],
        number: str,
    ) -> None:
        """Check the agent, apply the change (once per interaction), then acknowledge."""
        user = str(body["user"]["id"])
        channel = (body.get("channel") or {}).get("id") or self.escalation_channel
        thread = (body.get("message") or {}).get("ts")
        try:
            agent = await self.agents(user)
        except LookupFailed:
            await _tell(self.client, channel, user, self._(NOT_CHECKED), thread)
            await ack()
            return
        if not agent.member:
            await _tell(self.client, channel, agent.id, self._(NOT_A_MEMBER), thread)
        else:
            try:
                await self.run_core(change, number, agent.name, _interaction_id(body))
            except AlreadyHandled:
                pass  # the same click delivered again: done the first time
            except BotError as exc:
                await _tell(self.client, channel, agent.id, str(exc), thread)
        await ack()

    async def on_claim(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await self._ticket_action(ack, body, self.desk.claim, str(action["value"]))

    async def on_resolve(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await self._ticket_action(ack, body, self.desk.resolve, str(action["value"]))

    async def on_release(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await self._ticket_action(ack, body, self.desk.release, str(action["value"]))

    async def on_wait(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await self._ticket_action(ack, body, self.desk.wait_on_customer, str(action["value"]))

    async def on_category(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        number, _, category = str(action["selected_option"]["value"]).partition("|")

        def change(number: str, agent: str, action_id: str | None) -> Any:
            return self.desk.change_category(number, category, agent, action_id)

        await self._ticket_action(ack, body, change, number)

    async def ack_command(self, ack: Any) -> None:
        await ack()

    async def billing(self, command: dict[str, Any], respond: Any) -> None:
        await respond(
            blocks=await self._command_blocks(command),
            text=f"{COMMAND} {command.get('text') or ''}".strip(),
            response_type="ephemeral",
        )

    async def _command_blocks(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        """The answer to `/billing`, or why the agent gets none."""
        _ = self._
        channel = str(command.get("channel_id") or "")
        try:
            agent = await self.agents(str(command["user_id"]))
        except LookupFailed:
            return [section(f":warning: {_(NOT_CHECKED)}")]
        if not agent.member:
            return [section(f":no_entry: {_(NOT_A_MEMBER)}")]
        if self.command_channels and channel not in self.command_channels:
            return [section(f":no_entry: {_(NOT_HERE).format(command=COMMAND)}")]
        try:
            blocks: list[dict[str, Any]] = await self.run_core(
                self.desk.command, str(command.get("text") or ""), agent.name, agent.id, channel
            )
        except BotError as exc:
            return [section(f":warning: {exc}")]
        return blocks

    async def on_error(self, error: Exception, body: dict[str, Any]) -> BoltResponse:
        kind = body.get("type")
        if isinstance(error, (LookupFailed, *TRANSIENT)):
            log.warning(
                "Slack: %s while handling %s; answered 503 for a retry", one_line(str(error)), kind
            )
            return BoltResponse(status=503, body="")
        # The error's message may quote what the agent wrote: its type and a values-free
        # traceback only.
        log.error(
            "Slack: %s while handling %s", type(error).__name__, kind, exc_info=loggable(error)
        )
        return BoltResponse(status=500, body="")


def _interaction_id(body: dict[str, Any]) -> str | None:
    """What identifies one click: Slack's `trigger_id` (one per interaction)."""
    trigger = body.get("trigger_id")
    return f"action:{trigger}" if isinstance(trigger, str) and trigger else None


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

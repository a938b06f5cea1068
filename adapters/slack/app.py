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
    Agent,
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
from bot.turn import AlreadyHandled

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
    _ = translator(desk.language)  # what the desk itself says to an agent
    not_tickets: set[str] = set()  # threads whose post names no ticket (that never changes)

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
        event_id = (
            stable_key(str(body["event_id"]), EVENT_ID_LIMIT) if body.get("event_id") else None
        )
        # `LookupFailed` propagates: nothing is marked, the answer is 503, Slack retries.
        agent = await agents(str(event["user"]))
        if not agent.member:
            log.warning("Slack: %s is not a member; their thread reply stays in Slack", agent.id)
            return
        text = storable(str(event.get("text") or ""))  # e.g. no U+0000: PostgreSQL refuses it
        try:
            ticket = await run_core(desk.thread_reply, str(thread), agent.name, text, event_id)
            if ticket is None and (number := await posted_for(str(thread))):
                # A ticket's post whose delivery is not recorded (yet): the post says whose.
                reply = functools.partial(desk.thread_reply, posted_for=number)
                ticket = await run_core(reply, str(thread), agent.name, text, event_id)
        except AlreadyHandled:
            return  # a retry of a reply already relayed
        except BotError as exc:
            await _tell(client, escalation_channel, str(event["user"]), str(exc), thread)
            return
        if ticket is None:
            log.info("Slack: a thread reply outside any ticket's thread (%s)", thread)

    async def posted_for(thread: str) -> str | None:
        """The ticket a thread's post names; threads that are no ticket's are remembered."""
        if thread in not_tickets:
            return None
        number = await ticket_of_post(client, escalation_channel, thread)
        if number is None:
            if len(not_tickets) >= MAX_REMEMBERED:
                not_tickets.clear()
            not_tickets.add(thread)
        return number

    @app.event(HOME)
    async def on_home(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        # Publishing the view again on a retried event is harmless: no mark needed.
        agent = await agents(str(event["user"]))
        if not agent.member:
            return
        queue = await run_core(desk.queue, agent.name)
        await client.views_publish(user_id=agent.id, view=queue_view(queue, desk.language))

    async def ticket_action(
        ack: Callable[[], Awaitable[Any]],
        body: dict[str, Any],
        change: Callable[[str, str, str | None], Any],
        number: str,
    ) -> None:
        """Check the agent, apply the change (once per interaction), then acknowledge."""
        user = str(body["user"]["id"])
        channel = (body.get("channel") or {}).get("id") or escalation_channel
        thread = (body.get("message") or {}).get("ts")
        try:
            agent = await agents(user)
        except LookupFailed:
            await _tell(client, channel, user, _(NOT_CHECKED), thread)
            await ack()
            return
        if not agent.member:
            await _tell(client, channel, agent.id, _(NOT_A_MEMBER), thread)
        else:
            try:
                await run_core(change, number, agent.name, _interaction_id(body))
            except AlreadyHandled:
                pass  # the same click delivered again: done the first time
            except BotError as exc:
                await _tell(client, channel, agent.id, str(exc), thread)
        await ack()

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

        def change(number: str, agent: str, action_id: str | None) -> Any:
            return desk.change_category(number, category, agent, action_id)

        await ticket_action(ack, body, change, number)

    async def ack_command(ack: Any) -> None:
        await ack()

    async def billing(command: dict[str, Any], respond: Any) -> None:
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

    # Acknowledged at once; the answer (which may take longer than Slack's 3 s) follows.
    app.command(COMMAND)(ack=ack_command, lazy=[billing])

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
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

    return app


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

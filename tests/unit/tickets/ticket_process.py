"""A separate process for the crash and multi-dispatcher tests (run by path, not by pytest).

python ticket_process.py open URL
    open a ticket, print "opened <number>", then wait to be killed (before any send)
python ticket_process.py open-and-send URL
    open a ticket and start delivering it (the dispatcher's default lease and heartbeat) with
    a channel that prints "sending <key>" and never returns: the process is killed in the
    middle of the send, holding the claim
python ticket_process.py dispatch URL FILE
    print "ready", wait for a line on stdin, then deliver to a FileChannel (FILE) until
    no row is pending, and exit
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from ticket_twins import FileChannel, open_refund_ticket

from bot.channel import Delivered, Outgoing
from bot.delivery.dispatcher import Dispatcher
from bot.tickets.store import TicketStore


class HangingChannel:
    name = "slack"

    async def deliver(self, message: Outgoing) -> Delivered:
        print(f"sending {message.key}", flush=True)
        await asyncio.Event().wait()  # the platform never answers; we get killed here
        raise AssertionError("unreachable")


class SlowFileChannel(FileChannel):
    async def deliver(self, message: Outgoing) -> Delivered:
        await asyncio.sleep(0.005)  # a network round trip, so two dispatchers overlap
        return await super().deliver(message)


async def dispatch(store: TicketStore, path: Path) -> None:
    channels = {name: SlowFileChannel(name, path) for name in ("slack", "teams")}
    dispatcher = Dispatcher(store.outbox, channels, lease=60, delivery_timeout=10, batch=5)
    while store.outbox.counts()["pending"]:
        if not await dispatcher.run_once():
            await asyncio.sleep(0.01)


def main(mode: str, url: str, *args: str) -> None:
    store = TicketStore.from_url(url)
    if mode == "open":
        print(f"opened {open_refund_ticket(store).number}", flush=True)
        time.sleep(600)
    elif mode == "open-and-send":
        print(f"opened {open_refund_ticket(store).number}", flush=True)
        asyncio.run(Dispatcher(store.outbox, {"slack": HangingChannel()}).run_once())
    elif mode == "dispatch":
        print("ready", flush=True)
        sys.stdin.readline()
        asyncio.run(dispatch(store, Path(args[0])))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])

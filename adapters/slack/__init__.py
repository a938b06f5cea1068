"""Slack: the partner agents' desk (escalations channel, threads, App Home, `/billing`).

blocks.py    Block Kit rendering of tickets, queues and lookups
channel.py   `SlackChannel`: the outbox's way into the escalations channel
desk.py      what an agent's action means for the core (sync, runs in the core pool)
app.py       the slack-bolt `AsyncApp`: listeners, `ack()` first, work after
mount.py     `slack_mount()`: POST /slack/events on the shared server, or Socket Mode
"""

"""Channel adapters: `teams/` and `slack/` translate platform payloads to and from the core's
`Message` and `Reply` and implement its `Channel` port; `server` mounts them on one aiohttp
app. Adapters import the core, never the other way round (tests/unit/test_architecture.py)."""

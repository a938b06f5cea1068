"""Microsoft Teams channel: Bot Framework activities <-> the core's `Message` and `Reply`.

Every botbuilder / botframework import of the project lives in this package, so a later move
to the Microsoft 365 Agents SDK (same Activity protocol) touches nothing else. The pure
modules (`activities`, `cards`, `package`, `icons`) import no SDK at all; `mount` wires the
SDK-backed ones (`auth`, `connectors`, `endpoint`, `turns`, `channel`) into the server.
"""

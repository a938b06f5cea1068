"""Every error the core raises on purpose derives from `BotError`.

    BotError
    ├── ConfigError            a setting is missing or malformed
    ├── KnowledgeError         the knowledge folder cannot be used at all
    ├── ImportRefused          an export (or its mapping) cannot be imported: nothing was
    │                          stored
    ├── UnknownCustomerError   a customer id or tenant id that maps to no customer
    ├── TicketError            a ticket that does not exist, or a refused state change
    │   └── InvalidTransition
    └── DeliveryError          a channel could not deliver a message (yet: tried again)
        ├── RetryLater         the platform asked us to wait (HTTP 429 Retry-After)
        └── DeliveryRefused    the platform refused it for good (401/403/404, a conversation
                               or channel that is gone): not tried again

Messages name what is wrong and where, so a CLI can print them as they are.
"""

from __future__ import annotations


class BotError(Exception):
    """Root of the project's own errors."""


class ConfigError(BotError):
    pass


class KnowledgeError(BotError):
    pass


class ImportRefused(BotError):
    pass


class UnknownCustomerError(BotError):
    pass


class TicketError(BotError):
    pass


class InvalidTransition(TicketError):
    pass


class DeliveryError(BotError):
    pass


class RetryLater(DeliveryError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeliveryRefused(DeliveryError):
    pass

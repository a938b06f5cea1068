"""Tickets for questions outside baseline support: the state machine (status), the values
read back (values) and the store that writes them with their history and the outbox rows they
imply (store); `billing-bot tickets` (cli). Delivery is bot/delivery, the database bot/storage
(see docs/escalation.md).
"""

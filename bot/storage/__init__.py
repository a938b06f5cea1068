"""Persistence: one `Database` (SQLite by default, PostgreSQL for replicas) and everything
that is stored on it.

    database    Database, the engine and its sessions, migrating at start
    models      the SQLAlchemy tables (one declarative base; invoices add theirs)
    migrations  Alembic revisions, applied by `Database` itself
    prepared    statements compiled once per dialect
    stores      Storage: every kind of stored data, each with its own small store
    turn        Turn: the verbs of one incoming event's transaction (its unit of work)
    agent_action AgentAction: the same for an agents' action (a Slack reply or click)
    inbox       InboundEvents: ids of handled platform events, and what handling produced
    feedback    FeedbackLog: "was this helpful?" votes and unanswered questions

A store of one concept lives with that concept (tickets in bot/tickets, conversations in
bot/conversation, reminders in bot/collections); what delivers stored messages is
bot/delivery.
"""

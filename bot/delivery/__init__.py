"""Delivery: nothing between a customer and an agent is lost.

outbox      Outbox: what is still to be delivered, written in the same transaction as
            the change that implies it, claimed under a lease, sent exactly once
dispatcher  Dispatcher: the loop that delivers the outbox to Teams and Slack
inline      InlineSends: a reply sent within the request, under the outbox's lease
            (heartbeat, settle, release), so a channel does not copy that protocol
"""

"""Collections carried out: the partner's reminder timeline applied to open invoices.

plan       `plan(...)`: for one day, each open invoice's outcome (a step to send, or why
           not), pure over invoices, customers, policy and `Facts`
disputes   open dispute tickets as `Dispute`s for the plan
facts      the `Facts` read from storage (tickets, stored Teams conversations)
desk       agents' questions across customers (overdue, due this week) and about one
           customer's reminders (last reminded), as tables
digest     the agents' daily digest (a JSON body the Slack adapter lays out)
cli        `billing-bot collections preview`
"""

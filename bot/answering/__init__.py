"""What to say to one message (`decide.Answerer`, pure): a cited policy answer, an invoice
answer computed from the customer's own invoices, a ticket offer or a hand-off."""

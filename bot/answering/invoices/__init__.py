"""Invoice answers, computed from the asker's own invoices (never retrieved).

`requests` picks the answer an invoice intent asks for and which invoices it is about
(`selection`); the answers are `summaries` (account-wide: balance, due, overdue, recent),
`detail` (one invoice, its status), `compare` (two invoices), `lines` (one charge),
`term` (when a term renews); `outlook` says what collections does next, `evidence` what
agents see beside an answer or an escalation, and `render` how money, days, statuses and
the tables of invoices and of invoice lines are written. The values passed between them
are in `values`.
"""

"""Load and validate a partner's knowledge folder: articles, customers, invoices, rules."""

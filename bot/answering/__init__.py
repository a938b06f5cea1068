"""Turn a question into a decision: a cited policy answer, an invoice answer, or a hand-off."""

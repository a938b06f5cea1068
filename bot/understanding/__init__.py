"""Understanding a customer's message: its language, its intent, its slots."""

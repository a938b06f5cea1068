"""Billing support assistant for Microsoft CSP partners: the channel-neutral core."""

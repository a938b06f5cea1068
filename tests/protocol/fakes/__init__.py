"""Shared fakes for protocol tests: Microsoft's cloud, Teams activities, a served app."""

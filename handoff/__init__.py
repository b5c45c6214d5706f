"""Escalation to people: why a conversation is handed over, the queue and the agents."""

"""Conversation core: channels, NLU, dialogue policy and the conversation store."""

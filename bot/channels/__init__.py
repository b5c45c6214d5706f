"""Channel adapters: each knows its wire format only and hands plain messages to the engine."""

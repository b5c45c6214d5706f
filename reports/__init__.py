"""The service's numbers, computed in SQL over what the desk records: the bot's, the people's and
the knowledge base's figures (reports/metrics.py), read by the report API and page (staff/)."""

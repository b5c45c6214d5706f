"""The merchant-data actions, served by rasa-sdk (`python -m rasa_sdk --actions actions`) or run
in-process by the bot.

Importing the package registers the action server's request checks (actions/server.py) with
rasa-sdk's plugin manager, in whichever process builds the server app.
"""

from actions import server as _server  # noqa: F401

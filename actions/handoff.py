"""The handoff every lookup action may ask for with `FollowupAction("action_handoff")`.

The triage bot handles that follow-up itself (it queues the conversation with the reason in
the `handoff_reason` slot); a plain Rasa deployment runs this action, which pauses the bot
the way Rasa's human-handoff pattern does.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import HANDOFF_ACTION


class ActionHandoff(Action):
    def name(self) -> str:
        return HANDOFF_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return [ConversationPaused()]

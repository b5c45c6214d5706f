"""Every action the bot may call, and an executor holding them bound to one data source."""

from __future__ import annotations

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from actions.base import MerchantAction
from actions.claims import ActionClaimIntake, ActionClaimPhotos
from actions.handoff import ActionHandoff
from actions.orders import ActionOrderStatus
from actions.payments import ActionPaymentStatus
from actions.refunds import ActionRefundStatus
from actions.stock import ActionCheckStock
from merchant.store import MerchantData

MERCHANT_ACTIONS: tuple[type[MerchantAction], ...] = (
    ActionOrderStatus,
    ActionPaymentStatus,
    ActionCheckStock,
    ActionRefundStatus,
    ActionClaimIntake,
    ActionClaimPhotos,
)


def executor(data: MerchantData) -> ActionExecutor:
    """rasa-sdk's own executor, with the actions reading `data` (the bot's in-process mode)."""
    ex = ActionExecutor()
    actions: list[Action] = [cls(data) for cls in MERCHANT_ACTIONS]
    for action in [*actions, ActionHandoff()]:
        ex.register_action(action)
    return ex


def action_names() -> list[str]:
    return [cls().name() for cls in MERCHANT_ACTIONS]

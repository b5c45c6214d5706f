"""SKELETON: the telegram channel (issue 18); its helper replaces this module."""

from __future__ import annotations

from fastapi import APIRouter

from bot.channels.contract import AppChannel
from core.config import Settings
from core.media import MediaStore
from core.runtime import Runtime

router = APIRouter()


def from_settings(settings: Settings, runtime: Runtime, media: MediaStore) -> AppChannel | None:
    return None

"""SKELETON (issue 19): the quality API; its helper replaces this module."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

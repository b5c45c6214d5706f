"""SKELETON (issue 19): the floor API; its helper replaces this module."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""Inbound provider endpoints: verify, parse into a ProviderUpdate, hand to apply_update."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

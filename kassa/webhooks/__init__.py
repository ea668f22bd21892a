"""Inbound provider endpoints: verify, parse into a ProviderUpdate, hand to apply_update."""

from __future__ import annotations

from fastapi import APIRouter

from kassa.webhooks import inbound, stripe, yookassa

router = APIRouter()
router.include_router(stripe.router)
router.include_router(yookassa.router)
router.include_router(inbound.router)  # last: /webhooks/<provider> for the plug-ins

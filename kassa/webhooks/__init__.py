"""Inbound provider endpoints: one route per provider, made from the plug-in list, that
hands the raw request to the provider's inbound side (`inbound`)."""

from __future__ import annotations

from kassa.webhooks.inbound import router

__all__ = ["router"]

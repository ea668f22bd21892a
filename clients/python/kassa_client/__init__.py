"""A typed client for kassa: payments, tariffs, subscriptions, refunds, webhook signatures."""

from kassa_client.client import AsyncKassa, Kassa
from kassa_client.errors import KassaError
from kassa_client.types import Page, Payment, Refund, Subscription, Tariff
from kassa_client.webhooks import verify_signature

__all__ = [
    "AsyncKassa",
    "Kassa",
    "KassaError",
    "Page",
    "Payment",
    "Refund",
    "Subscription",
    "Tariff",
    "verify_signature",
]

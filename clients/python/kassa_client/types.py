"""The shapes kassa answers with (docs/contract.md), as TypedDicts: plain dicts at run time,
checked by a type checker. Fields kassa may add later are simply not listed."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypedDict, TypeVar

T = TypeVar("T")
PaymentStatus = Literal[
    "pending", "processing", "succeeded", "partially_refunded", "refunded", "cancelled", "failed"
]


class Page(TypedDict, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class Tariff(TypedDict):
    id: str
    name: str
    description: str | None
    amount: int
    currency: str
    duration_days: int
    is_active: bool
    recurring: bool
    trial_days: int
    group: str | None
    fiscal: dict[str, Any] | None


class Payment(TypedDict):
    id: str
    user_id: str
    organization_id: str | None
    provider: str
    status: PaymentStatus
    amount: int
    currency: str
    refunded_amount: int
    purpose: Literal["one_off", "tariff", "wallet_topup"]
    tariff_id: str | None
    subscription_id: str | None
    checkout_url: str | None
    client_secret: str | None
    failure_code: str | None
    failure_message: str | None
    discount_amount: int
    metadata: dict[str, Any]
    created_at: str
    paid_at: str | None


class Refund(TypedDict):
    id: str
    payment_id: str
    amount: int
    currency: str
    status: str
    reason: str | None
    created_at: str


class Subscription(TypedDict):
    id: str | None
    user_id: str
    organization_id: str | None
    tariff_id: str | None
    status: Literal["trialing", "active", "past_due", "cancelled", "expired", "none"]
    current_period_start: str | None
    current_period_end: str | None
    expires_at: str | None
    auto_renew: bool
    cancel_at_period_end: bool
    payment_method_id: str | None

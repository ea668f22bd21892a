"""ProviderUpdate: what any provider signal says about a payment, in kassa's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from kassa.domain.states import PaymentStatus


@dataclass(frozen=True, slots=True)
class SavedMethod:
    """A payment method the provider keeps for repeat charges: its token (a Stripe
    PaymentMethod id, a YooKassa payment_method.id, a Payme card token) and what may be
    shown of the card. Never the number."""

    token: str
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True, slots=True)
class SeenRefund:
    """One refund as its provider reports it, whoever started it (kassa, or an operator in
    the provider's cabinet or dashboard): the provider's id for it (None where it gives
    none), its amount in minor units, and where it stands there. `kassa_refund_id` names
    the Refund kassa reserved when kassa itself asked for it; `needs_receipt`: the
    provider registered no fiscal receipt for it though the shop sends them."""

    provider_refund_id: str | None
    amount: int
    status: Literal["succeeded", "pending", "failed"] = "succeeded"
    kassa_refund_id: str | None = None
    needs_receipt: bool = False


@dataclass(frozen=True, slots=True)
class ProviderUpdate:
    """One observation of a payment at its provider.

    `event_id` identifies the signal for deduplication (a webhook id, or a stable digest
    of a polled state); `payment_id` is kassa's id, `provider_payment_id` the provider's,
    one of them at least. `amount`/`currency` are what the provider saw paid and are
    checked against the payment; `refunded_amount` is the provider's cumulative total;
    `refunds` the refunds it names (each recorded once, matched by the provider's id).
    """

    provider: str
    event_id: str
    status: PaymentStatus
    payment_id: str | None = None
    provider_payment_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    refunded_amount: int | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    occurred_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # The provider now knows the payment by `provider_payment_id`, in place of the id kassa
    # kept (Stripe: the PaymentIntent a Checkout Session made once the customer paid).
    supersedes_provider_payment_id: bool = False
    # the method this payment was made with, kept by the provider for later charges
    # (saved only when the payment asked for it: `save_payment_method`)
    saved_method: SavedMethod | None = None
    refunds: tuple[SeenRefund, ...] = ()

    def __post_init__(self) -> None:
        if not self.payment_id and not self.provider_payment_id:
            raise ValueError("a ProviderUpdate names the payment by kassa's or provider's id")
        if not self.event_id:
            raise ValueError("a ProviderUpdate needs an event id for deduplication")

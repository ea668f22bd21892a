"""Each API operation as a plain value (method, path, body): the sync and async clients send
the same calls, so what an operation is lives here once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    creates: bool = False  # a POST that creates something: carries an Idempotency-Key


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def tariffs(page: int = 1, page_size: int = 20) -> Call:
    return Call("GET", "/api/v1/tariffs", params={"page": page, "page_size": page_size})


def tariff(tariff_id: str) -> Call:
    return Call("GET", f"/api/v1/tariffs/{tariff_id}")


def create_tariff(**fields: Any) -> Call:
    return Call("POST", "/api/v1/tariffs", _clean(fields), creates=True)


def purchase(tariff_id: str, **fields: Any) -> Call:
    return Call("POST", f"/api/v1/tariffs/{tariff_id}/purchase", _clean(fields), creates=True)


def create_payment(**fields: Any) -> Call:
    return Call("POST", "/api/v1/payments", _clean(fields), creates=True)


def payment(payment_id: str) -> Call:
    return Call("GET", f"/api/v1/payments/{payment_id}")


def payments(**filters: Any) -> Call:
    return Call("GET", "/api/v1/payments", params=_clean(filters))


def cancel(payment_id: str) -> Call:
    return Call("POST", f"/api/v1/payments/{payment_id}/cancel")


def sync(payment_id: str) -> Call:
    return Call("POST", f"/api/v1/payments/{payment_id}/sync")


def refund(payment_id: str, amount: int | None, reason: str | None) -> Call:
    body = _clean({"amount": amount, "reason": reason})
    return Call("POST", f"/api/v1/payments/{payment_id}/refunds", body, creates=True)


def subscriptions(**filters: Any) -> Call:
    return Call("GET", "/api/v1/subscriptions", params=_clean(filters))


def subscription(subscription_id: str) -> Call:
    return Call("GET", f"/api/v1/subscriptions/{subscription_id}")


def change_subscription(subscription_id: str, **fields: Any) -> Call:
    return Call("PATCH", f"/api/v1/subscriptions/{subscription_id}", _clean(fields))


def cancel_subscription(subscription_id: str, at_period_end: bool) -> Call:
    body = {"at_period_end": at_period_end}
    return Call("POST", f"/api/v1/subscriptions/{subscription_id}/cancel", body)


def portal_session(
    user_id: str | None, return_url: str | None, language: str | None = None
) -> Call:
    body = _clean({"user_id": user_id, "return_url": return_url, "language": language})
    return Call("POST", "/api/v1/portal-sessions", body, creates=True)

"""What can go wrong in kassa's terms: each error has one problem `code` of the contract.
How a code is answered over HTTP (its status) is the API's business (`kassa.http.errors`)."""

from __future__ import annotations

from typing import Any


class KassaError(Exception):
    code = "internal_error"
    title = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class ValidationFailed(KassaError):
    code, title = "validation_error", "Invalid request"


class Unauthorized(KassaError):
    code, title = "unauthorized", "Authentication required"


class Forbidden(KassaError):
    code, title = "forbidden", "Not allowed"


class NotFound(KassaError):
    code, title = "not_found", "Not found"


class IdempotencyKeyReused(KassaError):
    code, title = "idempotency_key_reused", "Idempotency key reused"


class IdempotencyConflict(KassaError):
    code, title = "idempotency_conflict", "Request with this key in progress"


class InvalidState(KassaError):
    code, title = "invalid_state", "Invalid state"


class ProviderError(KassaError):
    code, title = "provider_error", "Payment provider error"


class RateLimited(KassaError):
    code, title = "rate_limited", "Too many requests"


class PayloadTooLarge(KassaError):
    code, title = "payload_too_large", "Payload too large"

"""Errors kassa answers with: each maps to one RFC 9457 problem `code` of the contract."""

from __future__ import annotations

from typing import Any


class KassaError(Exception):
    code = "internal_error"
    status = 500
    title = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class ValidationFailed(KassaError):
    code, status, title = "validation_error", 422, "Invalid request"


class Unauthorized(KassaError):
    code, status, title = "unauthorized", 401, "Authentication required"


class Forbidden(KassaError):
    code, status, title = "forbidden", 403, "Not allowed"


class NotFound(KassaError):
    code, status, title = "not_found", 404, "Not found"


class IdempotencyKeyReused(KassaError):
    code, status, title = "idempotency_key_reused", 422, "Idempotency key reused"


class IdempotencyConflict(KassaError):
    code, status, title = "idempotency_conflict", 409, "Request with this key in progress"


class InvalidState(KassaError):
    code, status, title = "invalid_state", 409, "Invalid state"


class ProviderError(KassaError):
    code, status, title = "provider_error", 502, "Payment provider error"


class RateLimited(KassaError):
    code, status, title = "rate_limited", 429, "Too many requests"


class PayloadTooLarge(KassaError):
    code, status, title = "payload_too_large", 413, "Payload too large"

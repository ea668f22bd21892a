"""Kaspi statuses, mapped explicitly; anything else is recorded and never guessed."""

from __future__ import annotations

from kassa.domain.states import PaymentStatus

S = PaymentStatus
# (kassa status, failure code) for every status value Kaspi clients are known to return.
KASPI_STATUSES: dict[str, tuple[PaymentStatus, str | None]] = {
    "QrTokenCreated": (S.PENDING, None),
    "Wait": (S.PROCESSING, None),
    "WaitForRemotePayment": (S.PROCESSING, None),
    "WaitingForPayment": (S.PROCESSING, None),
    "RemotePaymentCreated": (S.PROCESSING, None),
    "CustomerIdentityObtained": (S.PROCESSING, None),
    "Processed": (S.SUCCEEDED, None),
    "Paid": (S.SUCCEEDED, None),
    "RemotePaymentPaid": (S.SUCCEEDED, None),
    "Error": (S.FAILED, "kaspi_error"),
    "ProcessingFailed": (S.FAILED, "kaspi_processing_failed"),
    "Rejected": (S.FAILED, "kaspi_rejected"),
    "RemotePaymentRejected": (S.FAILED, "kaspi_rejected"),
    "NotConfirmedByUser": (S.FAILED, "kaspi_not_confirmed"),
    "InsufficientFunds": (S.FAILED, "kaspi_insufficient_funds"),
    "InsufficientFundsError": (S.FAILED, "kaspi_insufficient_funds"),
    "RemotePaymentCanceled": (S.CANCELLED, "kaspi_cancelled"),
    "CancelledByUser": (S.CANCELLED, "kaspi_cancelled_by_user"),
    "CancelledByExternalSource": (S.CANCELLED, "kaspi_cancelled"),
    "Expired": (S.CANCELLED, "kaspi_expired"),
    "QrTokenDiscarded": (S.CANCELLED, "kaspi_expired"),
    "RemotePaymentExpired": (S.CANCELLED, "kaspi_expired"),
}


class UnknownKaspiStatus(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(f"unknown Kaspi status {value!r}")
        self.value = value


def map_status(value: str) -> tuple[PaymentStatus, str | None]:
    try:
        return KASPI_STATUSES[value]
    except KeyError:
        raise UnknownKaspiStatus(value) from None

"""YooKassa's payment state graph, as YooKassa documents it, and kassa's reading of it.

Source: "Payment statuses" (https://yookassa.ru/developers/payment-acceptance/getting-started/payment-process#lifecycle)
and the SDK's PaymentStatus (`yookassa/domain/common/payment_status.py`): `pending` goes to
`waiting_for_capture` (two-step payments), `succeeded` or `canceled`; `waiting_for_capture`
to `succeeded` (capture) or `canceled` (cancel, or expiry at `expires_at`); `succeeded` and
`canceled` are final. Only `waiting_for_capture` can be cancelled by the shop
(https://yookassa.ru/developers/api#cancel_payment). Refunds leave a payment `succeeded`
with `refunded_amount`. kassa's base graph fits it: no extra moves.
"""

from __future__ import annotations

from kassa.domain.states import PaymentStatus

S = PaymentStatus

MOVES: dict[str, frozenset[str]] = {
    "pending": frozenset({"waiting_for_capture", "succeeded", "canceled"}),
    "waiting_for_capture": frozenset({"succeeded", "canceled"}),
    "succeeded": frozenset(),
    "canceled": frozenset(),
}
CANCELLABLE = frozenset({"waiting_for_capture"})

STATUSES: dict[str, PaymentStatus] = {
    "pending": S.PENDING,
    "waiting_for_capture": S.PROCESSING,
    "succeeded": S.SUCCEEDED,
    "canceled": S.CANCELLED,
}

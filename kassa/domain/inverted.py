"""The vocabulary of inverted providers (they call kassa: Click's SHOP API, Payme's
Merchant API): the calls, the states of a provider transaction, the engine's refusals and
answers. Shared by the engine (`kassa.services.payments.inverted`) and the provider packages, which
map their wire protocols onto it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, Literal

from kassa.domain.fiscal import Line


@dataclass(frozen=True, slots=True)
class InvertedCall:
    """A call of an inverted provider (it calls kassa: Click's Prepare and Complete) in
    the engine's terms: check an order, open a transaction for it, complete or cancel it."""

    provider: str
    # the engine's calls, and the provider's own bookkeeping: read one transaction, list
    # them by time (a statement), note data on one, rotate the key the provider signs with
    kind: Literal[
        "check", "open", "complete", "cancel", "read", "statement", "annotate", "rotate_key"
    ]
    provider_tx_id: str = ""
    payment_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    provider_time: int | None = None  # Unix ms, as the provider stamped the transaction
    reason: int | None = None  # the provider's cancel reason
    failure_code: str | None = None
    failure_message: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # kept on the transaction
    # for the provider's own rules and its answer, never kept
    context: dict[str, Any] = field(default_factory=dict)


class TxState(IntEnum):
    OPEN = 1
    COMPLETED = 2
    CANCELLED = -1
    CANCELLED_AFTER_COMPLETE = -2


# a live transaction: open or completed; at most one an order (a unique partial index)
LIVE_TX_STATES = (TxState.OPEN, TxState.COMPLETED)
LIVE_TX_SQL = f"state IN ({', '.join(str(state.value) for state in LIVE_TX_STATES)})"


class Refusal(StrEnum):
    ORDER_NOT_FOUND = "order_not_found"
    WRONG_AMOUNT = "wrong_amount"
    ORDER_PAID = "order_paid"  # paid already, by this provider transaction or another
    ORDER_CLOSED = "order_closed"  # cancelled, failed or refunded: nothing more to pay
    ORDER_BUSY = "order_busy"  # another transaction of the provider is open for it
    TX_NOT_FOUND = "tx_not_found"
    TX_CANCELLED = "tx_cancelled"
    TX_OTHER_ORDER = "tx_other_order"  # the transaction id belongs to another order
    EXPIRED = "expired"  # open past the provider's timeout: cancelled now
    KEY_UNCHANGED = "key_unchanged"  # a key rotation to the key in use


@dataclass(frozen=True, slots=True)
class StoredTx:
    """A provider transaction as stored: what a provider's answer is built from."""

    id: int
    provider_tx_id: str
    payment_id: str
    provider_time: int
    amount: int
    state: TxState
    reason: int | None
    create_time: int
    perform_time: int
    cancel_time: int
    data: dict[str, Any]


# A provider's own rule for a call on a transaction kassa holds (Click: the call must name
# kassa's id of it; a confirmed one is not cancelled): the refusal, or None to go on. The
# engine asks it under the order's lock, before anything changes.
TxRule = Callable[[InvertedCall, StoredTx], Refusal | None]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The engine's answer: the transaction (none for a check; several for a statement),
    or why the call was refused."""

    tx: StoredTx | None = None
    refusal: Refusal | None = None
    txs: tuple[StoredTx, ...] = ()
    lines: tuple[Line, ...] = ()  # a checked order's fiscal lines (Payme's `detail`)

"""The engine for inverted providers: those that call kassa to check an order, open a
transaction for it, complete it and cancel it (Click's SHOP API; Payme's Merchant API has
the same shape). A provider package only maps its wire protocol onto these four calls
(`providers.base.InvertedCall`) and the engine's answers back onto its own.

Each call is one database transaction. Those that change anything lock the order's payment
row first (a transaction's payment never changes), so concurrent calls for one order are
serialised; the provider's transaction id is unique per provider; every move of the payment
goes through `apply_update`, handed the row already locked; and a repeated call is answered
from the stored transaction, so repeats answer identically. A transaction still open after
the provider's timeout is cancelled when it is next touched. Every check of a call comes
before its first write — the provider's own rules too (`TxRule`: Click's Complete must name
kassa's id of the transaction) — so a refused call changes nothing.

On PostgreSQL, opening, completing and cancelling are first tried without a transaction:
the rows are read in one statement without a lock, the same code decides and queues the
same writes, and they leave as one compare-and-set statement (`kassa.fast.batch`) that writes
only if the payment and the provider's transaction are still as read. A repeat, or a call
refused, is answered from that one read; a move costs two round trips instead of four.
Anything the attempt cannot do that way (a row changed meanwhile, an effect that reads,
like a tariff's subscription) makes it write nothing, and the call is carried out again
the ordinary way, under the lock.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import and_, bindparam, func, literal_column, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.context import Actor
from kassa.db.base import new_row
from kassa.db.models import Payment, ProviderTransaction
from kassa.db.session import Database
from kassa.domain.fiscal import lines_of
from kassa.domain.inverted import (
    LIVE_TX_STATES,
    InvertedCall,
    Outcome,
    Refusal,
    StoredTx,
    TxRule,
    TxState,
)
from kassa.domain.states import PAID_STATUSES, PaymentStatus
from kassa.domain.updates import ProviderUpdate, SeenRefund
from kassa.fast import driver
from kassa.fast.batch import assign, batch_of, expect_unchanged, send
from kassa.fast.compare_and_set import compare_and_set
from kassa.fast.driver import NeedsLock
from kassa.providers.plugins import state_graph
from kassa.runtime import Runtime
from kassa.services.payments.updates import apply_update, lock_payment

# Built once, with named parameters: building a statement per call costs more Python than
# running it.
_PROVIDER = ProviderTransaction.provider == bindparam("provider")
_TX_AND_ORDER = (
    select(Payment, ProviderTransaction)
    .join(ProviderTransaction, ProviderTransaction.payment_id == Payment.id)
    .where(_PROVIDER, ProviderTransaction.provider_tx_id == bindparam("provider_tx_id"))
)
_TX_AND_ORDER_LOCKED = (
    # both rows: waiting for the lock, PostgreSQL re-reads only the rows it locks
    _TX_AND_ORDER.with_for_update().execution_options(populate_existing=True)
)
_PAYMENTS, _TXS = Payment.__table__.c, ProviderTransaction.__table__.c
_LIVE_STATE = (  # of the order's transaction still open or completed (completed wins)
    select(func.max(_TXS.state))
    .where(
        _TXS.provider == bindparam("provider"),
        _TXS.payment_id == _PAYMENTS.id,
        # the states as literals: no list to expand, so asyncpg can run it (kassa.fast.driver)
        _TXS.state.in_([literal_column(str(state.value)) for state in LIVE_TX_STATES]),
    )
    .scalar_subquery()
)
# the columns advice needs, as a plain row (no ORM object to build)
_ORDER_AND_LIVE_TX = select(
    _PAYMENTS.provider,
    _PAYMENTS.amount,
    _PAYMENTS.currency,
    _PAYMENTS.status,
    _PAYMENTS["items"],
    _PAYMENTS.description,
    _LIVE_STATE.label("live"),
).where(_PAYMENTS.id == bindparam("payment_id"))
# The order with its transactions of the provider, in one statement (one snapshot). Locked:
# waiting for the lock, PostgreSQL re-reads the order but not the joined rows: they may
# predate the wait, so they are trusted only to decide that a new transaction may open,
# which the unique keys check again (the call's id, one live transaction an order), failing
# the transaction.
_ORDER_AND_TXS = (
    select(Payment, ProviderTransaction)
    .outerjoin(ProviderTransaction, and_(ProviderTransaction.payment_id == Payment.id, _PROVIDER))
    .where(Payment.id == bindparam("payment_id"))
)
_ORDER_AND_TXS_LOCKED = _ORDER_AND_TXS.with_for_update(of=Payment).execution_options(
    populate_existing=True
)
_TX_OR_ORDERS_TXS = (
    select(ProviderTransaction)
    .where(
        _PROVIDER,
        or_(
            ProviderTransaction.provider_tx_id == bindparam("provider_tx_id"),
            ProviderTransaction.payment_id == bindparam("payment_id"),
        ),
    )
    .execution_options(populate_existing=True)  # rows the join read stay in the session
)


# what CheckTransaction and GetStatement read: a transaction's columns as plain rows
_TX_COLUMNS = select(*_TXS).where(_TXS.provider == bindparam("provider"))
_TX_BY_ID = _TX_COLUMNS.where(_TXS.provider_tx_id == bindparam("provider_tx_id"))
_TXS_STAMPED = _TX_COLUMNS.where(
    _TXS.provider_time >= bindparam("start"), _TXS.provider_time <= bindparam("end")
).order_by(_TXS.provider_time, _TXS.id)


class _Order(Protocol):
    """What the engine reads of an order: a Payment, or a row of its columns."""

    provider: str
    amount: int
    currency: str
    status: str
    items: Any
    description: str | None


_O = TypeVar("_O", bound=_Order)


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def now_ms() -> int:
    return int(time.time() * 1000)


_ADVICE = frozenset({"read", "statement"})  # calls that only read: one statement, no session
_UNLOCKED_FIRST = frozenset({"open", "complete", "cancel"})  # tried as a compare-and-set


async def execute(
    rt: Runtime,
    call: InvertedCall,
    *,
    timeout_ms: int | None = None,
    timeout_reason: int | None = None,
    rule: TxRule | None = None,
) -> Outcome:
    """Carry out one call. A refusal whose state change must stay (an expired transaction
    cancelled, with `timeout_reason`) is committed before it is answered; any other refusal
    changes nothing. `rule`: the provider's own check of a call on a stored transaction."""

    def engine(*, careful: bool = False, unlocked: bool = False) -> _Engine:
        return _Engine(call, timeout_ms, timeout_reason, rule, careful=careful, unlocked=unlocked)

    try:
        if call.kind == "check":  # one read: no transaction, no session
            return await engine().check(rt.db)
        if call.kind in _ADVICE:  # reads only: no transaction, one round trip
            return await engine().advise(rt.db)
        if call.kind in _UNLOCKED_FIRST and rt.db.compares_and_sets:
            done = await _unlocked(rt, engine(unlocked=True))
            if done is not None:
                return done
        try:
            return await _carry_out(rt, engine())
        except IntegrityError:
            if call.kind != "open":
                raise
            # a transaction opened on rows read before the order's lock was ours broke a
            # unique key: nothing was written; again, reading them after the lock
            return await _carry_out(rt, engine(careful=True))
    except Refused as exc:
        return Outcome(refusal=exc.refusal)


async def _unlocked(rt: Runtime, engine: _Engine) -> Outcome | None:
    """The call as a compare-and-set (PostgreSQL): its rows read without a lock, its
    writes sent in one statement that applies them only if those rows are unchanged. None
    when nothing was written and the call must be carried out under the lock."""
    async with rt.db.reading() as session:
        engine.session = session

        async def decide() -> tuple[ProviderTransaction | None, Refusal | None]:
            try:
                return await engine.run(), None
            except _RefusedAfterCommit as exc:  # its writes (a transaction expired) first
                return None, exc.refusal

        written = await compare_and_set(session, engine.call.provider, decide)
    if written is None:
        return None
    row, refusal = written.decided
    if refusal is not None:
        return Outcome(refusal=refusal)
    assert row is not None
    if written.returned is not None and row.id is None:
        row.id = written.returned["id"]
    return Outcome(tx=_stored(row))


async def _carry_out(rt: Runtime, engine: _Engine) -> Outcome:
    async with rt.db.transaction() as session:
        engine.session = session
        try:
            row = await engine.run()
        except _RefusedAfterCommit as exc:
            return Outcome(refusal=exc.refusal)
        new = await send(session)  # the move's writes; a new transaction's id
        if new is not None and row.id is None:
            row.id = new["id"]
        return Outcome(tx=_stored(row))


def _stored(row: ProviderTransaction | Any) -> StoredTx:
    """A transaction as the engine answers with it, from its object or a row of its
    columns."""
    return StoredTx(
        id=row.id,
        provider_tx_id=row.provider_tx_id,
        payment_id=row.payment_id,
        provider_time=row.provider_time,
        amount=row.amount,
        state=TxState(row.state),
        reason=row.reason,
        create_time=row.create_time,
        perform_time=row.perform_time,
        cancel_time=row.cancel_time,
        data=dict(row.data or {}),
    )


class _RefusedAfterCommit(Refused):
    pass


class _Engine:
    session: AsyncSession

    def __init__(
        self,
        call: InvertedCall,
        timeout_ms: int | None,
        timeout_reason: int | None,
        rule: TxRule | None = None,
        *,
        careful: bool = False,
        unlocked: bool = False,
    ) -> None:
        """`careful`: read the order's transactions after its lock, never with it.
        `unlocked`: read without a lock, and name what was read (a compare-and-set)."""
        self.call = call
        self.rule = rule
        self.careful = careful
        self.unlocked = unlocked
        self.timeout_ms = timeout_ms
        self.timeout_reason = timeout_reason
        self.actor = Actor.provider(call.provider)

    async def advise(self, db: Database) -> Outcome:
        """Calls that only read, as advice (no lock): one transaction as stored, or the
        provider's transactions stamped from `data["from"]` to `data["to"]` (ms), each in
        one statement without a transaction or a session."""
        kind, provider = self.call.kind, self.call.provider
        if kind == "read":
            params = {"provider": provider, "provider_tx_id": self.call.provider_tx_id}
            found = driver.one_or_none(await db.read(_TX_BY_ID, params))
            if found is None:
                raise Refused(Refusal.TX_NOT_FOUND)
            return Outcome(tx=_stored(found))
        if kind == "statement":
            period = {"start": int(self.call.data["from"]), "end": int(self.call.data["to"])}
            found = await db.read(_TXS_STAMPED, {"provider": provider, **period})
            return Outcome(txs=tuple(_stored(row) for row in found))
        raise ValueError(f"the engine has no call {kind!r}")

    async def check(self, db: Database) -> Outcome:
        """Whether the order could be paid: advice only, so no lock (`open` checks again
        under it)."""
        params = {"provider": self.call.provider, "payment_id": self.call.payment_id or ""}
        found = driver.one_or_none(await db.read(_ORDER_AND_LIVE_TX, params))
        payment = self._checked(cast(_Order | None, found))
        self._refuse_unpayable(payment, found.live if found else None)
        return Outcome(lines=tuple(lines_of(payment.items, payment.amount, payment.description)))

    async def run(self) -> ProviderTransaction:
        kind = self.call.kind
        if kind == "open":
            return await self._open()
        if kind == "complete":
            return await self._complete()
        if kind == "cancel":
            return await self._cancel()
        if kind == "annotate":
            _, tx = await self._transaction()
            assign(self.session, tx, data={**(tx.data or {}), **self.call.data})
            return tx
        raise ValueError(f"the engine has no call {kind!r}")

    # -- orders and transactions ---------------------------------------------------------

    async def _order(self) -> Payment:
        """The call's order, its row locked."""
        payment = await lock_payment(self.session, payment_id=self.call.payment_id or "")
        return self._checked(payment)

    def _checked(self, payment: _O | None) -> _O:
        """The call's order, refused when it is not this provider's or the amount differs."""
        if payment is None or payment.provider != self.call.provider:
            raise Refused(Refusal.ORDER_NOT_FOUND)
        if self.call.amount != payment.amount or self.call.currency != payment.currency:
            raise Refused(Refusal.WRONG_AMOUNT)
        return payment

    def _refuse_unpayable(self, payment: _Order, live: int | None) -> None:
        """An order is payable while open and without another live transaction of the
        provider; `live` is the state of such a transaction (completed wins over open)."""
        status = PaymentStatus(payment.status)
        if status in PAID_STATUSES:
            raise Refused(Refusal.ORDER_PAID)
        if not state_graph(payment.provider).is_open(status):
            raise Refused(Refusal.ORDER_CLOSED)
        if live == TxState.COMPLETED:
            raise Refused(Refusal.ORDER_PAID)
        if live == TxState.OPEN:
            raise Refused(Refusal.ORDER_BUSY)

    async def _transaction(self) -> tuple[Payment, ProviderTransaction]:
        """The provider transaction and its payment in one statement (a transaction's
        payment never changes): both rows locked, or read and named for a compare-and-set."""
        params = {"provider": self.call.provider, "provider_tx_id": self.call.provider_tx_id}
        statement = _TX_AND_ORDER if self.unlocked else _TX_AND_ORDER_LOCKED
        found = driver.one_or_none(await driver.rows(self.session, statement, params))
        if found is None:
            raise Refused(Refusal.TX_NOT_FOUND)
        payment, tx = found
        if self.unlocked:
            self._expect(payment, tx)
        return payment, tx

    def _expect(self, payment: Payment, tx: ProviderTransaction | None = None) -> None:
        """The rows read without a lock, and what of them the writes rely on: the payment
        as it was (every write of it sets `updated_at`), the transaction's state."""
        expect_unchanged(
            self.session,
            Payment.__table__,  # type: ignore[arg-type]
            {"id": payment.id},
            {"status": payment.status, "updated_at": payment.updated_at},
        )
        if tx is not None:
            expect_unchanged(
                self.session,
                ProviderTransaction.__table__,  # type: ignore[arg-type]
                {"id": tx.id},
                {"state": tx.state},
            )

    def _vet(self, payment: Payment, tx: ProviderTransaction) -> None:
        """What a call on a stored transaction checks before anything changes, under the
        order's lock (or on the rows a compare-and-set expects unchanged): the order it names
        is the transaction's, the amount it names is the order's (Click's Complete carries
        one; Payme's Perform and Cancel do not), and the provider's own rule holds."""
        call = self.call
        if call.payment_id and tx.payment_id != call.payment_id:
            raise Refused(Refusal.TX_OTHER_ORDER)
        if call.amount is not None and (
            call.amount != payment.amount or call.currency not in (None, payment.currency)
        ):
            raise Refused(Refusal.WRONG_AMOUNT)
        if self.rule is not None:
            refusal = self.rule(call, _stored(tx))
            if refusal is not None:
                raise Refused(refusal)

    def _expired(self, tx: ProviderTransaction) -> bool:
        """Open longer than the provider allows, counted from the provider's own time."""
        return (
            self.timeout_ms is not None
            and tx.state == TxState.OPEN
            and now_ms() - tx.provider_time > self.timeout_ms
        )

    async def _move(
        self, payment: Payment, tx: ProviderTransaction, status: PaymentStatus, **extra: object
    ) -> None:
        await apply_update(
            self.session,
            ProviderUpdate(
                provider=self.call.provider,
                event_id=f"{tx.provider_tx_id}:{tx.state}",
                payment_id=tx.payment_id,
                provider_payment_id=tx.provider_tx_id,
                status=status,
                raw={"provider_tx_id": tx.provider_tx_id, "state": tx.state, "reason": tx.reason},
                **extra,  # type: ignore[arg-type]
            ),
            actor=self.actor,
            operation="webhook",
            locked=payment,
            event_is_new=True,
        )

    async def _close(self, payment: Payment, tx: ProviderTransaction, reason: int | None) -> None:
        completed = tx.state == TxState.COMPLETED
        state = TxState.CANCELLED_AFTER_COMPLETE if completed else TxState.CANCELLED
        assign(self.session, tx, state=state, reason=reason, cancel_time=now_ms())
        if completed:
            # the whole transaction given back (Payme's CancelTransaction after Perform, as
            # its cabinet's refund sends it): a Refund the provider's transaction id names
            refund = SeenRefund(provider_refund_id=tx.provider_tx_id, amount=tx.amount)
            await self._move(payment, tx, PaymentStatus.REFUNDED, refunded_amount=tx.amount,
                             refunds=(refund,))  # fmt: skip
        else:
            await self._move(
                payment,
                tx,
                PaymentStatus.CANCELLED,
                failure_code=self.call.failure_code or f"{self.call.provider}_cancelled",
                failure_message=self.call.failure_message,
            )

    # -- the calls -----------------------------------------------------------------------

    async def _order_and_txs(self) -> tuple[Payment, Sequence[ProviderTransaction]]:
        """The order locked, and its transactions and the call's (which may be another
        order's) as they are under the lock. In one statement unless a joined row counts:
        a repeat, or one that would refuse the call, is read again after the lock."""
        params = {
            "provider": self.call.provider,
            "provider_tx_id": self.call.provider_tx_id,
            "payment_id": self.call.payment_id or "",
        }
        if self.unlocked:  # one snapshot: the joined rows are as the order's
            rows = await driver.rows(self.session, _ORDER_AND_TXS, params)
            payment = self._checked(rows[0][0] if rows else None)
            joined = [tx for _, tx in rows if tx is not None]
            if any(
                tx.state in LIVE_TX_STATES and tx.provider_tx_id != self.call.provider_tx_id
                for tx in joined
            ):
                # which refusal applies (busy, or the call's id another order's) is read
                # under the lock
                raise NeedsLock("the order has another live transaction")
            self._expect(payment)
            return payment, joined
        if self.careful:
            payment = await self._order()
        else:
            rows = await driver.rows(self.session, _ORDER_AND_TXS_LOCKED, params)
            payment = self._checked(rows[0][0] if rows else None)
            joined = [tx for _, tx in rows if tx is not None]
            if not any(
                tx.provider_tx_id == self.call.provider_tx_id or tx.state in LIVE_TX_STATES
                for tx in joined
            ):
                return payment, joined
        return payment, (await self.session.scalars(_TX_OR_ORDERS_TXS, params)).all()

    async def _open(self) -> ProviderTransaction:
        payment, found = await self._order_and_txs()
        tx = next((row for row in found if row.provider_tx_id == self.call.provider_tx_id), None)
        if tx is not None:  # a repeat: answered from storage
            self._vet(payment, tx)  # another order's transaction: refused
            if tx.state in (TxState.CANCELLED, TxState.CANCELLED_AFTER_COMPLETE):
                raise Refused(Refusal.TX_CANCELLED)
            if self._expired(tx):
                await self._close(payment, tx, reason=self.timeout_reason)
                raise _RefusedAfterCommit(Refusal.EXPIRED)
            return tx
        # the order's other transactions were read with this one, under the order's lock
        live = [row.state for row in found if row.state in LIVE_TX_STATES]
        self._refuse_unpayable(payment, max(live, default=None))
        values = dict(
            provider=self.call.provider,
            provider_tx_id=self.call.provider_tx_id,
            payment_id=payment.id,
            provider_time=self.call.provider_time or now_ms(),
            amount=payment.amount,
            state=TxState.OPEN,
            reason=None,
            create_time=now_ms(),
            perform_time=0,
            cancel_time=0,
            data=dict(self.call.data),
        )
        table = ProviderTransaction.__table__
        # written with the payment's move, in one round trip; its id comes back with it
        batch_of(self.session).insert(table, values, returning=("id",))  # type: ignore[arg-type]
        tx = new_row(ProviderTransaction, **values)
        await self._move(payment, tx, PaymentStatus.PROCESSING)
        return tx

    async def _complete(self) -> ProviderTransaction:
        payment, tx = await self._transaction()
        self._vet(payment, tx)
        if tx.state == TxState.COMPLETED:
            return tx
        if tx.state != TxState.OPEN:
            raise Refused(Refusal.TX_CANCELLED)
        if self._expired(tx):
            await self._close(payment, tx, reason=self.timeout_reason)
            raise _RefusedAfterCommit(Refusal.EXPIRED)
        if not state_graph(payment.provider).is_open(PaymentStatus(payment.status)):
            raise Refused(Refusal.ORDER_CLOSED)
        assign(self.session, tx, state=TxState.COMPLETED, perform_time=now_ms())
        await self._move(
            payment, tx, PaymentStatus.SUCCEEDED, amount=tx.amount, currency=payment.currency
        )
        return tx

    async def _cancel(self) -> ProviderTransaction:
        payment, tx = await self._transaction()
        self._vet(payment, tx)
        if tx.state in LIVE_TX_STATES:
            await self._close(payment, tx, self.call.reason)
        return tx

"""The engine for inverted providers: those that call kassa to check an order, open a
transaction for it, complete it and cancel it (Click's SHOP API; Payme's Merchant API has
the same shape). A provider package only maps its wire protocol onto these four calls
(`providers.base.InvertedCall`) and the engine's answers back onto its own.

Each call is one database transaction. Those that change anything lock the order's payment
row first (a transaction's payment never changes), so concurrent calls for one order are
serialised; the provider's transaction id is unique per provider; every move of the payment
goes through `apply_update`, handed the row already locked; and a repeated call is answered
from the stored transaction, so repeats answer identically. A transaction still open after
the provider's timeout is cancelled when it is next touched.
"""

from __future__ import annotations

import time

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.runtime import Runtime
from kassa.db.models import Payment, ProviderTransaction
from kassa.domain.fiscal import Line, lines_of
from kassa.domain.inverted import (
    InvertedCall,
    Outcome,
    Refusal,
    StoredTx,
    TxState,
)
from kassa.domain.states import PAID_STATUSES, PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.providers.plugins import state_graph
from kassa.services.context import Actor
from kassa.services.updates import apply_update, lock_payment


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def now_ms() -> int:
    return int(time.time() * 1000)


async def execute(
    rt: Runtime,
    call: InvertedCall,
    *,
    timeout_ms: int | None = None,
    timeout_reason: int | None = None,
) -> Outcome:
    """Carry out one call. A refusal whose state change must stay (an expired transaction
    cancelled, with `timeout_reason`) is committed before it is answered; any other refusal
    changes nothing."""
    try:
        async with rt.db.transaction() as session:
            engine = _Engine(session, call, timeout_ms, timeout_reason)
            if call.kind == "statement":
                return Outcome(txs=tuple(_stored(row) for row in await engine.statement()))
            try:
                row = await engine.run()
            except _RefusedAfterCommit as exc:
                return Outcome(refusal=exc.refusal)
            if row is None:
                return Outcome(lines=engine.lines)
            await session.flush()  # a new transaction's id, if its move did not flush it
            return Outcome(tx=_stored(row))
    except Refused as exc:
        return Outcome(refusal=exc.refusal)


def _stored(row: ProviderTransaction) -> StoredTx:
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
    def __init__(
        self,
        session: AsyncSession,
        call: InvertedCall,
        timeout_ms: int | None,
        timeout_reason: int | None,
    ) -> None:
        self.session = session
        self.call = call
        self.timeout_ms = timeout_ms
        self.timeout_reason = timeout_reason
        self.actor = Actor.provider(call.provider)
        self.lines: tuple[Line, ...] = ()

    async def run(self) -> ProviderTransaction | None:
        kind = self.call.kind
        if kind == "check":  # advice only, so no lock: `open` checks again under it
            payment = await self._order(lock=False)
            await self._refuse_unpayable(payment)
            self.lines = tuple(lines_of(payment.items, payment.amount, payment.description))
            return None
        if kind == "open":
            return await self._open()
        if kind == "complete":
            return await self._complete()
        if kind == "cancel":
            return await self._cancel()
        if kind == "read":
            return await self._read()
        if kind == "annotate":
            _, tx = await self._transaction()
            tx.data = {**(tx.data or {}), **self.call.data}
            return tx
        raise ValueError(f"the engine has no call {kind!r}")

    # -- orders and transactions ---------------------------------------------------------

    async def _order(self, *, lock: bool) -> Payment:
        payment_id = self.call.payment_id or ""
        if lock:
            payment = await lock_payment(self.session, payment_id=payment_id)
        else:
            payment = await self.session.get(Payment, payment_id)
        if payment is None or payment.provider != self.call.provider:
            raise Refused(Refusal.ORDER_NOT_FOUND)
        if self.call.amount != payment.amount or self.call.currency != payment.currency:
            raise Refused(Refusal.WRONG_AMOUNT)
        return payment

    async def _refuse_unpayable(
        self, payment: Payment, others: list[ProviderTransaction] | None = None
    ) -> None:
        """An order is payable while open and without another live transaction of the
        provider; `others` are its other transactions when the caller has read them."""
        status = PaymentStatus(payment.status)
        if status in PAID_STATUSES:
            raise Refused(Refusal.ORDER_PAID)
        if not state_graph(payment.provider).is_open(status):
            raise Refused(Refusal.ORDER_CLOSED)
        if others is None:
            others = list(
                await self.session.scalars(
                    select(ProviderTransaction).where(
                        ProviderTransaction.provider == self.call.provider,
                        ProviderTransaction.payment_id == payment.id,
                        ProviderTransaction.state.in_([TxState.OPEN, TxState.COMPLETED]),
                    )
                )
            )
        for other in others:
            if other.state == TxState.COMPLETED:
                raise Refused(Refusal.ORDER_PAID)
            if other.state == TxState.OPEN:
                raise Refused(Refusal.ORDER_BUSY)

    async def _transaction(self) -> tuple[Payment, ProviderTransaction]:
        """The payment of the provider transaction, locked, then the transaction under it."""
        key = and_(
            ProviderTransaction.provider == self.call.provider,
            ProviderTransaction.provider_tx_id == self.call.provider_tx_id,
        )
        owner = select(ProviderTransaction.payment_id).where(key).scalar_subquery()
        payment = (
            await self.session.execute(
                select(Payment)
                .where(Payment.id == owner)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if payment is None:
            raise Refused(Refusal.TX_NOT_FOUND)
        tx = (
            await self.session.execute(
                select(ProviderTransaction).where(key).execution_options(populate_existing=True)
            )
        ).scalar_one()
        return payment, tx

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
        )

    async def _close(self, payment: Payment, tx: ProviderTransaction, reason: int | None) -> None:
        completed = tx.state == TxState.COMPLETED
        tx.state = TxState.CANCELLED_AFTER_COMPLETE if completed else TxState.CANCELLED
        tx.reason = reason
        tx.cancel_time = now_ms()
        if completed:
            await self._move(payment, tx, PaymentStatus.REFUNDED, refunded_amount=tx.amount)
        else:
            await self._move(
                payment,
                tx,
                PaymentStatus.CANCELLED,
                failure_code=self.call.failure_code or f"{self.call.provider}_cancelled",
                failure_message=self.call.failure_message,
            )

    # -- the calls -----------------------------------------------------------------------

    async def _open(self) -> ProviderTransaction:
        payment = await self._order(lock=True)
        found = (
            await self.session.scalars(
                select(ProviderTransaction).where(
                    ProviderTransaction.provider == self.call.provider,
                    or_(
                        ProviderTransaction.provider_tx_id == self.call.provider_tx_id,
                        ProviderTransaction.payment_id == payment.id,
                    ),
                )
            )
        ).all()
        tx = next((row for row in found if row.provider_tx_id == self.call.provider_tx_id), None)
        if tx is not None:  # a repeat: answered from storage
            if tx.payment_id != payment.id:
                raise Refused(Refusal.TX_OTHER_ORDER)
            if tx.state in (TxState.CANCELLED, TxState.CANCELLED_AFTER_COMPLETE):
                raise Refused(Refusal.TX_CANCELLED)
            if self._expired(tx):
                await self._close(payment, tx, reason=self.timeout_reason)
                raise _RefusedAfterCommit(Refusal.EXPIRED)
            return tx
        # the order's other transactions were read with this one, under the order's lock
        await self._refuse_unpayable(payment, list(found))
        tx = ProviderTransaction(
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
        self.session.add(tx)  # written with the payment's move, in one flush
        await self._move(payment, tx, PaymentStatus.PROCESSING)
        return tx

    async def _complete(self) -> ProviderTransaction:
        payment, tx = await self._transaction()
        if self.call.payment_id and tx.payment_id != self.call.payment_id:
            raise Refused(Refusal.TX_OTHER_ORDER)
        if tx.state == TxState.COMPLETED:
            return tx
        if tx.state != TxState.OPEN:
            raise Refused(Refusal.TX_CANCELLED)
        if self._expired(tx):
            await self._close(payment, tx, reason=self.timeout_reason)
            raise _RefusedAfterCommit(Refusal.EXPIRED)
        if not state_graph(payment.provider).is_open(PaymentStatus(payment.status)):
            raise Refused(Refusal.ORDER_CLOSED)
        tx.state = TxState.COMPLETED
        tx.perform_time = now_ms()
        await self._move(
            payment, tx, PaymentStatus.SUCCEEDED, amount=tx.amount, currency=payment.currency
        )
        return tx

    async def _read(self) -> ProviderTransaction:
        """A transaction as stored, without any lock: only advice."""
        tx = await self.session.scalar(
            select(ProviderTransaction).where(
                ProviderTransaction.provider == self.call.provider,
                ProviderTransaction.provider_tx_id == self.call.provider_tx_id,
            )
        )
        if tx is None:
            raise Refused(Refusal.TX_NOT_FOUND)
        return tx

    async def statement(self) -> list[ProviderTransaction]:
        """The provider's transactions stamped from `data["from"]` to `data["to"]` (ms)."""
        rows = await self.session.scalars(
            select(ProviderTransaction)
            .where(
                ProviderTransaction.provider == self.call.provider,
                ProviderTransaction.provider_time >= int(self.call.data["from"]),
                ProviderTransaction.provider_time <= int(self.call.data["to"]),
            )
            .order_by(ProviderTransaction.provider_time, ProviderTransaction.id)
        )
        return list(rows)

    async def _cancel(self) -> ProviderTransaction:
        payment, tx = await self._transaction()
        if tx.state in (TxState.OPEN, TxState.COMPLETED):
            await self._close(payment, tx, self.call.reason)
        return tx

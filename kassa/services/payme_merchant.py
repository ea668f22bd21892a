"""The Payme Merchant API: Payme's calls to kassa, kept as Payme transactions.

Each method runs in one transaction. Those that change anything lock the order's payment
row first and read its Payme transactions under that lock, so concurrent Create, Perform
and Cancel for one order are serialised (CheckPerformTransaction, which only advises,
reads without it); the Payme id is unique; every move of the payment goes through
`apply_update`, handed the row already locked; and every answer to a repeated call is read
back from storage, so repeats are identical.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.runtime import Runtime
from kassa.db.models import Payment, PaymeTransaction, ProviderKey
from kassa.domain.states import OPEN_STATUSES, PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.providers.payme import protocol as p
from kassa.providers.payme.protocol import PaymeError, TxState
from kassa.services.context import Actor
from kassa.services.updates import apply_update, lock_payment

PROVIDER = "payme"
ACTOR = Actor.provider(PROVIDER)


def now_ms() -> int:
    return int(time.time() * 1000)


def _expired(tx: PaymeTransaction, at_ms: int) -> bool:
    return tx.state == TxState.CREATED and at_ms - tx.payme_time > p.TIMEOUT_MS


class PaymeMerchantApi:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.field = rt.settings.payme_account_field
        self.methods: dict[str, Callable[[AsyncSession, dict[str, Any]], Awaitable[dict[str, Any]]]]
        self.methods = {
            "CheckPerformTransaction": self.check_perform,
            "CreateTransaction": self.create,
            "PerformTransaction": self.perform,
            "CancelTransaction": self.cancel,
            "CheckTransaction": self.check,
            "GetStatement": self.statement,
            "ChangePassword": self.change_password,
            "SetFiscalData": self.set_fiscal_data,
        }

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = self.methods.get(method)
        if handler is None:
            raise PaymeError(p.METHOD_NOT_FOUND, method[:100])
        failure: CommitThenFail | None = None
        async with self.rt.db.transaction() as session:
            try:
                result = await handler(session, params)
            except CommitThenFail as exc:
                failure = exc
        if failure is not None:
            raise failure
        if method == "ChangePassword":
            forget_keys(self.rt)  # committed: the new key holds from the next call on
        return result

    # -- orders ------------------------------------------------------------------------

    async def _order(
        self, session: AsyncSession, params: dict[str, Any], *, lock: bool = True
    ) -> Payment:
        order_id = p.require_account(params, self.field)
        if lock:
            payment = await lock_payment(session, payment_id=order_id)
        else:
            payment = await session.get(Payment, order_id)
        if payment is None or payment.provider != PROVIDER:
            raise PaymeError(p.ORDER_NOT_FOUND, self.field)
        return payment

    def _check_amount(self, payment: Payment, params: dict[str, Any]) -> int:
        amount = p.require_int(params, "amount")
        if amount != payment.amount or payment.currency != "UZS":
            raise PaymeError(p.WRONG_AMOUNT, "amount")
        return amount

    async def _open_transaction(
        self, session: AsyncSession, payment: Payment
    ) -> PaymeTransaction | None:
        query = select(PaymeTransaction).where(
            PaymeTransaction.payment_id == payment.id,
            PaymeTransaction.state.in_([TxState.CREATED, TxState.PERFORMED]),
        )
        return (await session.execute(query.limit(1))).scalar_one_or_none()

    async def _ensure_payable(self, session: AsyncSession, payment: Payment) -> None:
        self._refuse_unpayable(payment, await self._open_transaction(session, payment))

    def _refuse_unpayable(self, payment: Payment, other: PaymeTransaction | None) -> None:
        """An order is payable while open and without another live Payme transaction."""
        if PaymentStatus(payment.status) not in OPEN_STATUSES:
            raise PaymeError(p.ORDER_NOT_PAYABLE, self.field)
        if other is not None:
            code = (
                p.ORDER_NOT_PAYABLE
                if other.state == TxState.PERFORMED
                else p.ORDER_AWAITING_PAYMENT
            )
            raise PaymeError(code, self.field)

    async def _transaction(
        self, session: AsyncSession, params: dict[str, Any]
    ) -> tuple[Payment, PaymeTransaction]:
        """Lock the payment of the Payme transaction `id` (found and locked in one statement:
        a transaction's payment never changes), then read the transaction under that lock."""
        payme_id = p.require_str(params, "id")
        owner = (
            select(PaymeTransaction.payment_id)
            .where(PaymeTransaction.payme_id == payme_id)
            .scalar_subquery()
        )
        payment = (
            await session.execute(
                select(Payment)
                .where(Payment.id == owner)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if payment is None:
            raise PaymeError(p.TX_NOT_FOUND, "id")
        tx = (
            await session.execute(
                select(PaymeTransaction)
                .where(PaymeTransaction.payme_id == payme_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        return payment, tx

    async def _move(
        self,
        session: AsyncSession,
        payment: Payment,
        tx: PaymeTransaction,
        status: PaymentStatus,
        **extra: Any,
    ) -> None:
        await apply_update(
            session,
            ProviderUpdate(
                provider=PROVIDER,
                event_id=f"{tx.payme_id}:{tx.state}",
                payment_id=tx.payment_id,
                provider_payment_id=tx.payme_id,
                status=status,
                raw={"payme_id": tx.payme_id, "state": tx.state, "reason": tx.reason},
                **extra,
            ),
            actor=ACTOR,
            operation="webhook",
            locked=payment,
        )

    async def _cancel_tx(
        self, session: AsyncSession, payment: Payment, tx: PaymeTransaction, reason: int
    ) -> None:
        performed = tx.state == TxState.PERFORMED
        tx.state = TxState.CANCELLED_AFTER_PERFORM if performed else TxState.CANCELLED
        tx.reason = reason
        tx.cancel_time = now_ms()
        if performed:
            await self._move(
                session, payment, tx, PaymentStatus.REFUNDED, refunded_amount=tx.amount
            )
        else:
            await self._move(
                session,
                payment,
                tx,
                PaymentStatus.CANCELLED,
                failure_code=f"payme_reason_{reason}",
                failure_message=p.REASON_TEXT.get(reason, f"Payme reason {reason}"),
            )

    # -- methods -----------------------------------------------------------------------

    async def check_perform(self, session: AsyncSession, params: dict[str, Any]) -> dict[str, Any]:
        # Advice only, so no lock: CreateTransaction checks again under the payment's lock.
        payment = await self._order(session, params, lock=False)
        self._check_amount(payment, params)
        await self._ensure_payable(session, payment)
        return {"allow": True}

    async def create(self, session: AsyncSession, params: dict[str, Any]) -> dict[str, Any]:
        payme_id = p.require_str(params, "id")
        payme_time = p.require_int(params, "time")
        payment = await self._order(session, params)
        amount = self._check_amount(payment, params)
        # This Payme id and the order's live transactions, in one read under the order's lock.
        found = (
            (
                await session.execute(
                    select(PaymeTransaction)
                    .where(
                        or_(
                            PaymeTransaction.payme_id == payme_id,
                            and_(
                                PaymeTransaction.payment_id == payment.id,
                                PaymeTransaction.state.in_([TxState.CREATED, TxState.PERFORMED]),
                            ),
                        )
                    )
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        tx = next((row for row in found if row.payme_id == payme_id), None)
        if tx is not None:
            if tx.payment_id != payment.id or tx.state != TxState.CREATED:
                raise PaymeError(p.CANNOT_PERFORM, "id")
            if _expired(tx, now_ms()):
                await self._cancel_tx(session, payment, tx, p.CancelReason.TIMEOUT)
                raise _after_commit(p.CANNOT_PERFORM, "id")
            return _created(tx)
        self._refuse_unpayable(payment, next(iter(found), None))
        tx = PaymeTransaction(
            payme_id=payme_id,
            payment_id=payment.id,
            payme_time=payme_time,
            amount=amount,
            account=dict(params["account"]),
            state=TxState.CREATED,
            reason=None,
            create_time=now_ms(),
            perform_time=0,
            cancel_time=0,
            receivers=None,
        )
        session.add(tx)
        await self._move(session, payment, tx, PaymentStatus.PROCESSING)
        return _created(tx)

    async def perform(self, session: AsyncSession, params: dict[str, Any]) -> dict[str, Any]:
        payment, tx = await self._transaction(session, params)
        if tx.state == TxState.PERFORMED:
            return {
                "transaction": tx.payment_id,
                "perform_time": tx.perform_time,
                "state": tx.state,
            }
        if tx.state != TxState.CREATED:
            raise PaymeError(p.CANNOT_PERFORM, "id")
        if _expired(tx, now_ms()):
            await self._cancel_tx(session, payment, tx, p.CancelReason.TIMEOUT)
            raise _after_commit(p.CANNOT_PERFORM, "id")
        if PaymentStatus(payment.status) not in OPEN_STATUSES:
            raise PaymeError(p.CANNOT_PERFORM, "id")
        tx.state = TxState.PERFORMED
        tx.perform_time = now_ms()
        await self._move(
            session, payment, tx, PaymentStatus.SUCCEEDED, amount=tx.amount, currency="UZS"
        )
        return {"transaction": tx.payment_id, "perform_time": tx.perform_time, "state": tx.state}

    async def cancel(self, session: AsyncSession, params: dict[str, Any]) -> dict[str, Any]:
        reason = p.require_int(params, "reason")
        payment, tx = await self._transaction(session, params)
        if tx.state in (TxState.CREATED, TxState.PERFORMED):
            await self._cancel_tx(session, payment, tx, reason)
        return {"transaction": tx.payment_id, "cancel_time": tx.cancel_time, "state": tx.state}

    async def check(self, session: AsyncSession, params: dict[str, Any]) -> dict[str, Any]:
        payme_id = p.require_str(params, "id")
        tx = await session.scalar(
            select(PaymeTransaction).where(PaymeTransaction.payme_id == payme_id)
        )
        if tx is None:
            raise PaymeError(p.TX_NOT_FOUND, "id")
        return {
            "create_time": tx.create_time,
            "perform_time": tx.perform_time,
            "cancel_time": tx.cancel_time,
            "transaction": tx.payment_id,
            "state": tx.state,
            "reason": tx.reason,
        }

    async def statement(self, session: AsyncSession, params: dict[str, Any]) -> dict[str, Any]:
        start = p.require_int(params, "from", positive=False)
        end = p.require_int(params, "to", positive=False)
        if start > end:
            raise PaymeError(p.BAD_PERIOD, "from")
        rows = (
            await session.execute(
                select(PaymeTransaction)
                .where(PaymeTransaction.payme_time >= start, PaymeTransaction.payme_time <= end)
                .order_by(PaymeTransaction.payme_time, PaymeTransaction.id)
            )
        ).scalars()
        return {
            "transactions": [
                {
                    "id": tx.payme_id,
                    "time": tx.payme_time,
                    "amount": tx.amount,
                    "account": tx.account,
                    "create_time": tx.create_time,
                    "perform_time": tx.perform_time,
                    "cancel_time": tx.cancel_time,
                    "transaction": tx.payment_id,
                    "state": tx.state,
                    "reason": tx.reason,
                    "receivers": tx.receivers,
                }
                for tx in rows
            ]
        }

    async def change_password(
        self, session: AsyncSession, params: dict[str, Any]
    ) -> dict[str, Any]:
        password = params.get("password")
        if not isinstance(password, str) or not password.strip() or len(password) > 200:
            raise PaymeError(p.BAD_PASSWORD, "password")
        if password in await current_keys(self.rt, session):
            raise PaymeError(p.INSUFFICIENT_PRIVILEGE)
        session.add(
            ProviderKey(
                provider=PROVIDER,
                account=self.rt.settings.payme_merchant_id or "",
                secret=self.rt.box.seal(password.strip()),
            )
        )
        return {"success": True}

    async def set_fiscal_data(
        self, session: AsyncSession, params: dict[str, Any]
    ) -> dict[str, Any]:
        kind = params.get("type")
        data = params.get("fiscal_data")
        if kind not in ("PERFORM", "CANCEL") or not isinstance(data, dict):
            raise PaymeError(
                p.INVALID_PARAMS, "type" if kind not in ("PERFORM", "CANCEL") else "fiscal_data"
            )
        _, tx = await self._transaction(session, params)
        if kind == "PERFORM":
            tx.fiscal_perform = data
        else:
            tx.fiscal_cancel = data
        return {"success": True}


def _created(tx: PaymeTransaction) -> dict[str, Any]:
    return {
        "create_time": tx.create_time,
        "transaction": tx.payment_id,
        "state": tx.state,
        "receivers": tx.receivers,
    }


class CommitThenFail(PaymeError):
    """An error answer whose state change (a timeout cancel) must still be committed."""


def _after_commit(code: int, data: Any) -> CommitThenFail:
    return CommitThenFail(code, data)


_KEY_CACHE: dict[int, tuple[float, list[str]]] = {}
KEY_CACHE_SECONDS = 5.0  # a ChangePassword reaches every process within this


async def current_keys(rt: Runtime, session: AsyncSession | None = None) -> list[str]:
    """The keys Payme may authenticate with: the newest rotated key, else the configured one.
    Read in `session` when given, else in a transaction of its own (on a cache miss only)."""
    cached = _KEY_CACHE.get(id(rt))
    if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
        return cached[1]
    if session is None:
        async with rt.db.transaction() as own:
            keys = await _read_keys(rt, own)
    else:
        keys = await _read_keys(rt, session)
    _KEY_CACHE[id(rt)] = (time.monotonic(), keys)
    return keys


def forget_keys(rt: Runtime) -> None:
    _KEY_CACHE.pop(id(rt), None)


async def _read_keys(rt: Runtime, session: AsyncSession) -> list[str]:
    rotated = await session.scalar(
        select(ProviderKey.secret)
        .where(ProviderKey.provider == PROVIDER)
        .order_by(ProviderKey.id.desc())
        .limit(1)
    )
    if rotated:
        return [rt.box.open(rotated)]
    configured = rt.settings.payme_secret_key
    return [configured.get_secret_value()] if configured else []

"""Payments: create at the provider, read, cancel and sync; status moves go to apply_update."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from kassa.core.context import Actor
from kassa.core.logging import get_logger
from kassa.core.security import Principal
from kassa.db.base import new_row, utcnow
from kassa.db.models import AuditRecord, IdempotencyRecord, Payment, Tariff, new_id
from kassa.db.pagination import paginate
from kassa.domain.errors import (
    IdempotencyConflict,
    InvalidState,
    NotFound,
    ProviderError,
    ValidationFailed,
)
from kassa.domain.fiscal import as_items, lines_of, tariff_lines
from kassa.domain.money import MoneyError, check_amount, normalise_currency
from kassa.domain.paging import PageParams
from kassa.domain.phones import InvalidPhone, normalise_kz_mobile
from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.fast import driver
from kassa.fast.batch import add_new, assign, batch_of
from kassa.providers.base import (
    AmountRules,
    CancelNotSupported,
    Capturable,
    Credentials,
    NotConfigured,
    NothingToPoll,
    PaymentProvider,
    PaymentRequest,
    ProviderFailure,
    RequestRules,
    provides,
)
from kassa.providers.plugins import phone_providers, state_graph
from kassa.runtime import Runtime
from kassa.services.accounts import access, customers, merchants, payment_methods
from kassa.services.ops import audit
from kassa.services.ops.idempotency import KeptAnswer
from kassa.services.payments import refund_receipts
from kassa.services.payments.pushed_updates import AsWritten, apply_unlocked
from kassa.services.payments.updates import UpdateResult, apply_update, lock_claiming, lock_payment

log = get_logger(__name__)
FIRST_CHECK = timedelta(seconds=30)  # the reconciler's first look at a payment still open


@dataclass(frozen=True, slots=True)
class NewPayment:
    provider: str
    amount: int
    currency: str
    purpose: str = "one_off"
    tariff_id: str | None = None
    organization_id: str | None = None
    user_id: str | None = None
    shop_id: str | None = None
    phone: str | None = None
    description: str | None = None
    return_url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    payment_method_id: str | None = None
    save_payment_method: bool = False
    promo_code: str | None = None
    discount_amount: int = 0  # already taken off `amount`
    subscription_id: str | None = None  # a renewal: the subscription and period it pays
    billing_period: int | None = None
    items: list[dict[str, Any]] | None = None  # what is sold (fiscal lines), summing to amount
    email: str | None = None  # the buyer's, for a 54-FZ receipt


def payment_request(
    payment: Payment,
    idempotency_key: str | None = None,
    method_token: str | None = None,
    customer_ref: str | None = None,
) -> PaymentRequest:
    return PaymentRequest(
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        user_id=payment.user_id,
        organization_id=payment.organization_id,
        description=payment.description,
        return_url=payment.return_url,
        phone=payment.phone,
        provider_payment_id=payment.provider_payment_id,
        idempotency_key=idempotency_key,
        method_token=method_token,
        customer_ref=customer_ref,
        metadata=dict(payment.metadata_ or {}),
        lines=tuple(lines_of(payment.items, payment.amount, payment.description)),
        email=payment.email,
    )


async def request_for(rt: Runtime, payment: Payment) -> PaymentRequest:
    """The provider's view of a stored payment, with its saved card's token if it has one."""
    return payment_request(
        payment, method_token=await payment_methods.token_of(rt, payment.payment_method_id)
    )


def _check_enabled(rt: Runtime, provider: str) -> None:
    if not rt.providers.has(provider):
        raise ValidationFailed(f"provider {provider!r} is not enabled on this kassa")


async def provider_for(rt: Runtime, payment: Payment) -> PaymentProvider:
    """The provider implementation, with the shop's credentials where it has any."""
    _check_enabled(rt, payment.provider)
    credentials = await merchants.credentials_for(rt, payment.provider, payment.shop_id)
    try:
        return rt.providers.get(payment.provider, credentials)
    except NotConfigured as exc:
        raise ValidationFailed(exc.message) from exc


def _provider_for_new(
    rt: Runtime, payment: NewPayment, credentials: Credentials
) -> PaymentProvider:
    try:
        provider = rt.providers.get(payment.provider, credentials)
    except NotConfigured as exc:
        raise ValidationFailed(exc.message) from exc
    allowed = provider.currencies
    if allowed is not None and payment.currency not in allowed:
        raise ValidationFailed(
            f"{payment.provider} accepts {', '.join(sorted(allowed))}, not {payment.currency}"
        )
    if provides(provider, AmountRules):
        problem = provider.amount_problem(payment.amount, payment.currency)
        if problem is not None:
            raise ValidationFailed(f"amount: {problem}")
    return provider


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.key)


async def _check_purpose(
    rt: Runtime, principal: Principal, new: NewPayment
) -> list[dict[str, Any]] | None:
    """Refuses a purpose the payment cannot have; returns the lines a tariff payment sells."""
    if new.organization_id is not None:
        access.ensure_org_member(principal, new.organization_id)
    if new.purpose == "wallet_topup" and not new.organization_id:
        raise ValidationFailed("a wallet top-up needs organization_id")
    if new.purpose == "tariff":
        if not new.tariff_id:
            raise ValidationFailed("a tariff payment needs tariff_id")
        async with rt.db.transaction() as session:
            tariff = await session.get(Tariff, new.tariff_id)
        if tariff is None or not tariff.is_active:
            raise NotFound("tariff not found")
        price = tariff.amount - new.discount_amount
        if (price, tariff.currency) != (new.amount, new.currency):
            raise ValidationFailed(f"a payment for this tariff must be {price} {tariff.currency}")
        lines = tariff_lines(tariff.name, tariff.amount, new.discount_amount, tariff.fiscal)
        return as_items(lines)
    if new.tariff_id is not None:
        raise ValidationFailed("tariff_id goes only with purpose=tariff")
    if new.items is not None:
        total = sum(line.total for line in lines_of(new.items, new.amount, None))
        if total != new.amount:
            raise ValidationFailed(
                f"items: their prices sum to {total}, the amount is {new.amount}"
            )
    return new.items


async def create_payment(
    rt: Runtime, principal: Principal, new: NewPayment, keeper: KeptAnswer | None = None
) -> Payment:
    """Record the payment as pending, then ask the provider for it, never inside a
    transaction: a slow provider must not hold database locks. `keeper`: the request's
    Idempotency-Key, written with the payment when nothing is asked of the provider."""
    try:
        currency = normalise_currency(new.currency)
        check_amount(new.amount)
    except MoneyError as exc:
        raise ValidationFailed(str(exc)) from exc
    _check_enabled(rt, new.provider)
    if new.provider in phone_providers():  # the customer is asked on their phone
        if not (new.phone or "").strip():
            raise ValidationFailed(
                f"phone: a {new.provider} payment is a request to the customer's phone; "
                "send their number (a Kazakh mobile, +7 7XX XXX XX XX)"
            )
        try:
            new = replace(new, phone=normalise_kz_mobile(new.phone or ""))
        except InvalidPhone as exc:
            raise ValidationFailed(f"phone: {exc}") from exc
    shop_id = new.shop_id or await merchants.default_shop(rt, new.provider)
    new = replace(new, currency=currency, shop_id=shop_id)
    credentials = await merchants.credentials_for(rt, new.provider, shop_id)
    provider = _provider_for_new(rt, new, credentials)
    user_id = access.acting_for(principal, new.user_id, "a payment")
    items = await _check_purpose(rt, principal, new)
    if new.save_payment_method and not getattr(provider, "saves_methods", False):
        raise ValidationFailed(
            f"save_payment_method: {new.provider} keeps no card from a payment; a card it can "
            "charge later is saved with POST /payment-methods, where it offers that"
        )
    actor = actor_of(principal)
    method_token = None
    if new.payment_method_id is not None:
        method = await payment_methods.usable_method(
            rt, principal, new.payment_method_id, new.provider, user_id
        )
        method_token = rt.box.open(method.token)

    payment = new_row(
        Payment,
        id=new_id("pay"),
        user_id=user_id,
        organization_id=new.organization_id,
        provider=new.provider,
        status=PaymentStatus.PENDING.value,
        amount=new.amount,
        currency=currency,
        refunded_amount=0,
        purpose=new.purpose,
        tariff_id=new.tariff_id,
        shop_id=new.shop_id,
        organization_bin=credentials.values.get("organization_bin"),
        description=new.description,
        metadata_=new.metadata,
        phone=new.phone,
        return_url=new.return_url,
        payment_method_id=new.payment_method_id,
        save_payment_method=new.save_payment_method and new.payment_method_id is None,
        promo_code=new.promo_code,
        discount_amount=new.discount_amount,
        subscription_id=new.subscription_id,
        billing_period=new.billing_period,
        items=items,
        email=new.email,
        next_check_at=utcnow() + FIRST_CHECK,
        check_attempts=0,
        idempotency_key=f"{principal.key}:{new.idempotency_key}" if new.idempotency_key else None,
    )
    request = payment_request(payment, None, method_token)
    if provides(provider, RequestRules) and (problem := provider.request_problem(request)):
        raise ValidationFailed(problem)
    # A provider whose create needs no call (a Payme checkout link) is asked first, so the
    # payment is written once, complete.
    offline = getattr(provider, "creates_offline", None)
    if (
        offline is not None
        and offline(request)
        and (made := await provider.create(request)).initial is None
    ):
        payment.provider_payment_id = made.provider_payment_id
        payment.checkout_url = made.checkout_url
        payment.client_secret = made.client_secret
    written_at_once = payment.checkout_url is not None
    if keeper is not None and not keeper.claimed and not written_at_once:
        await keeper.claim()  # the provider is called after the write
    existing = await _record_new(
        rt, payment, actor, None if keeper is None or keeper.claimed else keeper
    )
    if existing is not None:
        return existing
    if written_at_once:
        return payment
    key = _provider_idempotency_key(principal, new.idempotency_key, payment.id)
    return await submit(rt, payment, provider, key=key, method_token=method_token, actor=actor)


async def _record_new(
    rt: Runtime, payment: Payment, actor: Actor, keeper: KeptAnswer | None
) -> Payment | None:
    """Writes the new payment with its audit record (and the key's answer) in one round
    trip, no BEGIN. None when written; the payment already made under its idempotency key
    when that key's unique index refused it."""
    for _ in range(2):  # again once after an expired record of the key is cleared
        try:
            async with rt.db.one_statement() as session:
                add_new(session, payment)
                audit.record(session, actor=actor, operation="create", payment=payment)
                if keeper is not None:
                    keys: Any = IdempotencyRecord.__table__
                    batch_of(session).insert(keys, keeper.record(payment))
            return None
        except IntegrityError:
            # a repeat: after_conflict raises Replayed with the first answer
            if keeper is not None and await keeper.after_conflict():
                continue  # the key's record had expired and is gone: write again
            # The idempotency store lost its record (a Redis outage or flush); the unique
            # key on the payment still refuses to create a second one.
            existing = await _by_idempotency_key(rt, payment.idempotency_key)
            if existing is None:
                raise
            return existing
    raise IdempotencyConflict("the request with this key is in progress")


async def submit(
    rt: Runtime,
    payment: Payment,
    provider: PaymentProvider,
    *,
    key: str,
    method_token: str | None,
    actor: Actor,
    resumed: bool = False,
    customer_ref: str | None = None,
    as_written: AsWritten | None = None,
) -> Payment:
    """Ask the provider for a payment already recorded as pending, and record its answer.
    `key` is the provider's idempotency key: the same for every attempt at this payment, so
    an attempt repeated after a crash makes nothing twice (`resumed` says it may be one).
    `customer_ref`: the payer's customer at the provider when the caller has read it;
    `as_written`: the payment (with its subscription and tariff) as the caller wrote it,
    so an answer that carries the update is applied without reading them again."""
    try:
        customer = customer_ref
        if customer is None:
            owner = customers.owner_of(payment.user_id, payment.organization_id)
            customer = await customers.customer_for(rt, payment.provider, provider, owner)
        request = replace(
            payment_request(payment, key, method_token, customer),
            save_method=payment.save_payment_method,
            resumed=resumed,
        )
        created = await provider.create(request)
    except ProviderFailure as exc:
        await _creation_failed(rt, payment, exc, actor)
        raise ProviderError(f"{payment.provider}: {exc.message}") from exc

    made = {
        "provider_payment_id": created.provider_payment_id,
        "checkout_url": created.checkout_url,
        "client_secret": created.client_secret,
    }
    if created.initial is not None and rt.db.compares_and_sets:
        # answered at once (a saved card): a compare-and-set first, as a webhook is
        done = await apply_unlocked(
            rt.db, created.initial, actor=actor, operation="create", payment_id=payment.id,
            answered=made, as_written=None if resumed else as_written,
        )  # fmt: skip
        if done is not None:
            return done.payment
    async with rt.db.transaction() as session:
        if created.initial is not None:  # its event claimed with the lock: one round trip
            row, claimed = await lock_claiming(session, payment.id, created.initial)
        else:
            row, claimed = await lock_payment(session, payment_id=payment.id), None
        assert row is not None
        for name, value in made.items():
            set_committed_value(row, name, value)  # what the update's events describe
        if created.initial is not None:
            await apply_update(
                session,
                created.initial,
                actor=actor,
                operation="create",
                locked=row,
                claimed=claimed,
            )
        assign(session, row, **made)  # queued after the event's claim: sent with the move
        return row


async def provider_failed(
    rt: Runtime,
    payment: Payment,
    exc: ProviderFailure,
    *,
    actor: Actor,
    operation: str,
    what: str | None = None,
) -> ProviderError:
    """Record a provider call that failed and give the 502 to raise."""
    message = f"{what}: {exc.message}" if what else exc.message
    async with rt.db.transaction() as session:
        audit.record(
            session, actor=actor, operation=operation, payment=payment, error_message=message[:500]
        )
    return ProviderError(f"{payment.provider}: {exc.message}")


async def _by_idempotency_key(rt: Runtime, key: str | None) -> Payment | None:
    if key is None:
        return None
    async with rt.db.transaction() as session:
        return await session.scalar(select(Payment).where(Payment.idempotency_key == key))


def _provider_idempotency_key(principal: Principal, key: str | None, payment_id: str) -> str:
    """The provider-side key: stable for a replayed request, distinct across callers."""
    basis = f"{principal.key}:{key}" if key else payment_id
    return hashlib.sha256(basis.encode()).hexdigest()[:48]


async def _creation_failed(
    rt: Runtime, payment: Payment, exc: ProviderFailure, actor: Actor
) -> None:
    """A create the provider surely refused fails the payment; an unknown outcome leaves
    it pending for reconciliation, so money paid at the provider is never orphaned."""
    async with rt.db.transaction() as session:
        if exc.created_nothing:
            if exc.provider_payment_id:
                row = await session.get(Payment, payment.id)
                assert row is not None
                row.provider_payment_id = exc.provider_payment_id
                await session.flush()
            await apply_update(
                session,
                ProviderUpdate(
                    provider=payment.provider,
                    event_id=f"create-failed:{payment.id}",
                    payment_id=payment.id,
                    status=PaymentStatus.FAILED,
                    failure_code=exc.code,
                    failure_message=exc.message[:500],
                ),
                actor=actor,
                operation="create",
            )
        else:
            row = await session.get(Payment, payment.id)
            assert row is not None
            row.provider_payment_id = row.provider_payment_id or exc.provider_payment_id
            row.failure_code = exc.code
            row.failure_message = exc.message[:500]
            audit.record(
                session,
                actor=actor,
                operation="create",
                payment=row,
                error_message=exc.message[:500],
            )
    log.warning(
        "payment.create_failed",
        payment_id=payment.id,
        provider=payment.provider,
        error=exc.message,
        created_nothing=exc.created_nothing,
    )


_PAYMENT = select(*Payment.__table__.c).where(Payment.__table__.c.id == bindparam("payment_id"))


async def get_payment(rt: Runtime, principal: Principal, payment_id: str) -> Any:
    """The payment as a row of its columns, the attributes `PaymentOut` reads: one
    statement without a transaction or an ORM object, for clients polling a payment's
    status."""
    found = driver.one_or_none(await rt.db.read(_PAYMENT, {"payment_id": payment_id}))
    return access.ensure_can_view(principal, found)


@dataclass(frozen=True, slots=True)
class PaymentFilters:
    user_id: str | None = None
    status: str | None = None
    provider: str | None = None
    purpose: str | None = None


def _filtered(principal: Principal, filters: PaymentFilters) -> Select[Any]:
    query = select(Payment).order_by(Payment.created_at.desc(), Payment.id.desc())
    if principal.is_privileged:
        if filters.user_id:
            query = query.where(Payment.user_id == filters.user_id)
    else:
        query = query.where(Payment.user_id == principal.subject)
    for column, value in (
        (Payment.status, filters.status),
        (Payment.provider, filters.provider),
        (Payment.purpose, filters.purpose),
    ):
        if value:
            query = query.where(column == value)
    return query


async def list_payments(
    rt: Runtime, principal: Principal, filters: PaymentFilters, page: PageParams
) -> tuple[list[Payment], int]:
    async with rt.db.reading() as session:
        return await paginate(session, _filtered(principal, filters), page)


async def list_events(
    rt: Runtime, principal: Principal, payment_id: str, page: PageParams
) -> tuple[list[AuditRecord], int]:
    async with rt.db.reading() as session:
        access.ensure_can_view(principal, await session.get(Payment, payment_id))
        query = (
            select(AuditRecord)
            .where(AuditRecord.payment_id == payment_id)
            .order_by(AuditRecord.id.desc())
        )
        return await paginate(session, query, page)


async def cancel_payment(rt: Runtime, principal: Principal, payment_id: str) -> Payment:
    async with rt.db.transaction() as session:
        payment = access.ensure_can_act(principal, await session.get(Payment, payment_id))
    if not state_graph(payment.provider).is_open(PaymentStatus(payment.status)):
        raise InvalidState(f"a {payment.status} payment cannot be cancelled")
    provider = await provider_for(rt, payment)
    actor = actor_of(principal)
    try:
        update = await provider.cancel(await request_for(rt, payment))
    except CancelNotSupported as exc:
        raise InvalidState(exc.message) from exc
    except ProviderFailure as exc:
        raise await provider_failed(rt, payment, exc, actor=actor, operation="cancel") from exc
    async with rt.db.transaction() as session:
        result = await apply_update(session, update, actor=actor, operation="cancel")
    if PaymentStatus(result.payment.status) is not PaymentStatus.CANCELLED:
        raise InvalidState(f"the payment is {result.payment.status} and cannot be cancelled")
    return result.payment


async def sync_payment(
    rt: Runtime,
    principal: Principal | None,
    payment_id: str,
    *,
    actor: Actor | None = None,
    operation: str = "sync",
) -> Payment:
    """Ask the provider for the status now and apply it (also the reconciler's step).
    A provider that pushes every change (Payme) has nothing to ask: the payment stands."""
    async with rt.db.transaction() as session:
        payment = await session.get(Payment, payment_id)
        if principal is not None:
            payment = access.ensure_can_act(principal, payment)
        elif payment is None:
            raise NotFound("payment not found")
    who = actor or (actor_of(principal) if principal else Actor.system("reconciler"))
    result = await reread(rt, payment, actor=who, operation=operation)
    return result.payment if result is not None else payment


async def reread(
    rt: Runtime, payment: Payment, *, actor: Actor, operation: str, what: str | None = None
) -> UpdateResult | None:
    """The payment as its provider reports it now, applied; None when the provider pushes
    every change and has nothing to ask. A failed call is recorded and raised as a 502."""
    provider = await provider_for(rt, payment)
    request = await request_for(rt, payment)
    try:
        update = await provider.fetch(request)
    except NothingToPoll:
        return None
    except ProviderFailure as exc:
        raise await provider_failed(
            rt, payment, exc, actor=actor, operation=operation, what=what
        ) from exc
    async with rt.db.transaction() as session:
        result = await apply_update(session, update, actor=actor, operation=operation)
    if update.refunds:  # refunds made without their fiscal receipt get one now
        await refund_receipts.issue_missing(rt, provider, request, update)
    return result


async def find_by_provider_id(
    rt: Runtime, provider: str, provider_payment_id: str
) -> Payment | None:
    async with rt.db.transaction() as session:
        return await session.scalar(
            select(Payment).where(
                Payment.provider == provider, Payment.provider_payment_id == provider_payment_id
            )
        )


async def capture_payment(rt: Runtime, principal: Principal, payment_id: str) -> Payment:
    """Capture an authorised two-step payment (YooKassa's waiting_for_capture)."""
    access.ensure_privileged(principal, "capture payments")
    async with rt.db.transaction() as session:
        payment = access.ensure_can_view(principal, await session.get(Payment, payment_id))
    if PaymentStatus(payment.status) is not PaymentStatus.PROCESSING:
        raise InvalidState(f"a {payment.status} payment cannot be captured")
    provider = await provider_for(rt, payment)
    if not provides(provider, Capturable):
        raise InvalidState(f"{payment.provider} payments are captured by the provider")
    actor = actor_of(principal)
    try:
        update = await provider.capture(await request_for(rt, payment))
    except ProviderFailure as exc:
        raise await provider_failed(
            rt, payment, exc, actor=actor, operation="status", what="capture"
        ) from exc
    async with rt.db.transaction() as session:
        return (await apply_update(session, update, actor=actor, operation="status")).payment

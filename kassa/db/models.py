"""ORM models: the tables behind the contract's objects."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntPK, UTCDateTime, utcnow
from kassa.domain.billing import LIVE_SQL
from kassa.domain.inverted import LIVE_TX_SQL


def new_id(prefix: str) -> str:
    """Opaque, prefixed ids in Stripe's manner: `pay_1f0c…`."""
    return f"{prefix}_{uuid.uuid4().hex}"


class Merchant(Base):
    """A shop's provider configuration: its credentials (whatever its provider's package
    names them: a Kaspi shop's BIN and device token too) sealed as one JSON object, and
    what reads may show of them (`credential_prefixes`)."""

    __tablename__ = "merchants"

    shop_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    credentials: Mapped[str | None] = mapped_column(Text)
    credential_prefixes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Tariff(Base):
    __tablename__ = "tariffs"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tar"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    duration_days: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)  # renews with a saved method
    trial_days: Mapped[int] = mapped_column(Integer, default=0)
    # tariffs of one group replace each other; None: the default group
    group: Mapped[str | None] = mapped_column("tariff_group", String(100))
    fiscal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


POLLED_PAYMENT = "status IN ('pending', 'processing', 'failed')"  # see 0003
HAS_ORGANIZATION = "organization_id IS NOT NULL"
HAS_SHOP = "shop_id IS NOT NULL"
HAS_TARIFF = "tariff_id IS NOT NULL"
HAS_SUBSCRIPTION = "subscription_id IS NOT NULL"
BILLING_DUE = "next_attempt_at IS NOT NULL"
UNPUBLISHED = "published_at IS NULL"


def _where(predicate: str) -> dict[str, Any]:
    """A partial index's predicate, for both databases kassa runs on."""
    return {"postgresql_where": text(predicate), "sqlite_where": text(predicate)}


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_payment_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_le"),
        Index("ix_payments_user_created", "user_id", "created_at"),
        Index("ix_payments_created", "created_at"),
        Index("ix_payments_status_created", "status", "created_at"),  # the statistics
        # Partial indexes: a status change rewrites a payment's entry in every index whose
        # predicate it meets, so indexes hold only the rows their queries look for.
        Index("ix_payments_next_check", "next_check_at", **_where(POLLED_PAYMENT)),
        Index("ix_payments_organization_id", "organization_id", **_where(HAS_ORGANIZATION)),
        Index("ix_payments_shop_id", "shop_id", **_where(HAS_SHOP)),
        Index("ix_payments_tariff_id", "tariff_id", **_where(HAS_TARIFF)),
        Index("ix_payments_subscription", "subscription_id", **_where(HAS_SUBSCRIPTION)),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pay"))
    user_id: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    purpose: Mapped[str] = mapped_column(String(20), default="one_off")
    tariff_id: Mapped[str | None] = mapped_column(ForeignKey("tariffs.id"))
    shop_id: Mapped[str | None] = mapped_column(String(100))
    organization_bin: Mapped[str | None] = mapped_column(String(12))
    description: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    phone: Mapped[str | None] = mapped_column(String(32))
    return_url: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(500), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(ForeignKey("payment_methods.id"))
    provider_payment_id: Mapped[str | None] = mapped_column(String(200))
    checkout_url: Mapped[str | None] = mapped_column(Text)
    client_secret: Mapped[str | None] = mapped_column(Text)
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # reconciliation of open payments: when to ask the provider next, and how often we have
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # recurring billing: the subscription a tariff payment pays for, the period number a
    # renewal charges, and whether the method paid with is kept for renewals
    subscription_id: Mapped[str | None] = mapped_column(String(40))
    billing_period: Mapped[int | None] = mapped_column(Integer)
    save_payment_method: Mapped[bool] = mapped_column(Boolean, default=False)
    promo_code: Mapped[str | None] = mapped_column(String(64))
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # what was sold, for fiscal receipts and invoices (a one-off payment's own lines; a
    # tariff payment's come from its tariff), and the buyer's e-mail for a 54-FZ receipt
    items: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    email: Mapped[str | None] = mapped_column(String(254))


class PaymentMethod(Base):
    """A card saved at a provider for repeat payments; kassa keeps its token, not its number."""

    __tablename__ = "payment_methods"
    __table_args__ = (UniqueConstraint("provider", "token_digest"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pm"))
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    organization_id: Mapped[str | None] = mapped_column(String(200), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(Text)  # sealed (kassa.core.crypto)
    token_digest: Mapped[str] = mapped_column(String(64))
    brand: Mapped[str | None] = mapped_column(String(40))
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # detached methods stay for the payments made with them; they are not listed or usable
    detached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProviderEvent(Base):
    """Each provider signal applied once: the unique key is the deduplication."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(200))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


HAS_PROVIDER_REFUND_ID = "provider_refund_id IS NOT NULL"


class Refund(Base):
    """Money given back on a payment, whoever started it: kassa (its API or admin) or the
    provider (an operator in its cabinet or dashboard). One per refund at the provider: its
    id there is unique per provider, so a refund seen again is matched, never recorded
    twice (see 0012)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index(
            "ux_refunds_provider_refund_id",
            "provider",
            "provider_refund_id",
            unique=True,
            **_where(HAS_PROVIDER_REFUND_ID),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("re"))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))  # the payment's
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    provider_refund_id: Mapped[str | None] = mapped_column(String(200))
    initiated_by: Mapped[str] = mapped_column(String(10), default="kassa")  # kassa | provider
    credit_note_id: Mapped[str | None] = mapped_column(String(40))  # issued when it succeeded
    # the fiscal receipt kassa had the provider register for it, when the provider made none
    # (YooKassa: a cabinet refund in a shop that sends 54-FZ receipts)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failure_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subscription(Base):
    """A customer's hold on a tariff group: its current tariff and period, how it renews.
    A customer (an organisation, else a user: `owner`) has at most one live subscription
    per group; ended ones stay as history."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ux_subscriptions_live", "owner", "group_key", unique=True, **_where(LIVE_SQL)),
        Index("ix_subscriptions_billing_due", "next_attempt_at", **_where(BILLING_DUE)),
        Index("ix_subscriptions_user_created", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sub"))
    user_id: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(250))
    group_key: Mapped[str] = mapped_column(String(100), default="")
    tariff_id: Mapped[str] = mapped_column(ForeignKey("tariffs.id"))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    current_period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    current_period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    period_number: Mapped[int] = mapped_column(Integer, default=1)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=True)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_method_id: Mapped[str | None] = mapped_column(ForeignKey("payment_methods.id"))
    # how a renewal is paid when there is no saved method: the last payment's provider
    provider: Mapped[str | None] = mapped_column(String(20))
    shop_id: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    promo_code: Mapped[str | None] = mapped_column(String(64))  # a code for every period
    # billing: when the job next looks at it, and the current period's failed renewals
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    renewal_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_payment_id: Mapped[str | None] = mapped_column(String(40))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SubscriptionPeriod(Base):
    """A stretch of time a subscription was given and the money that bought it
    (`kassa.domain.service_value`): `payment_id` is the payment that bought the stretch,
    `funded_by` the payment whose money it holds (the same, or the source of carried time),
    `value` what that money is worth in it, spread evenly over its seconds."""

    __tablename__ = "subscription_periods"
    __table_args__ = (UniqueConstraint("subscription_id", "number"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # trial | purchase | renewal | change
    tariff_id: Mapped[str] = mapped_column(ForeignKey("tariffs.id"))
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), unique=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    funded_by: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PromoCode(Base):
    """A discount given by code at purchase; `redeemed` rises in one conditional UPDATE, so
    `max_redemptions` holds under any concurrency."""

    __tablename__ = "promo_codes"
    __table_args__ = (
        CheckConstraint(
            "(percent_off IS NULL) <> (amount_off IS NULL)", name="one_kind_of_discount"
        ),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    percent_off: Mapped[int | None] = mapped_column(Integer)
    amount_off: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    tariff_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every tariff
    max_redemptions: Mapped[int | None] = mapped_column(Integer)
    max_per_customer: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    redeemed: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applies_to: Mapped[str] = mapped_column(String(20), default="first_period")  # | every_period
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PromoRedemption(Base):
    """One customer's use of a promo code, taken with its payment and released with it (the
    payment failed, was cancelled or expired): `max_per_customer` counts the live ones."""

    __tablename__ = "promo_redemptions"
    __table_args__ = (Index("ix_promo_redemptions_code_owner", "code", "owner", "released_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(ForeignKey("promo_codes.code"))
    owner: Mapped[str] = mapped_column(String(250))  # customers.owner_of: a user or an org
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SandboxClock(Base):
    """The sandbox's billing time offset, one row, so every kassa process reads the same."""

    __tablename__ = "sandbox_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    offset_seconds: Mapped[int] = mapped_column(BigInteger, default=0)


class WalletEntry(Base):
    """The organisation wallet is a ledger; a balance is the sum of its entries."""

    __tablename__ = "wallet_entries"
    __table_args__ = (UniqueConstraint("payment_id", "kind", "reference"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(String(200), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"))
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InvoiceCounter(Base):
    """The last invoice number a seller issued in a year (its own), locked to keep its
    numbering gap-free. `seller_key` is a Seller's key ("" the default seller)."""

    __tablename__ = "invoice_counters"

    seller_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(BigInteger, default=0)


class CreditNoteCounter(Base):
    """Credit notes are numbered in their own gap-free series per seller and year, as
    invoices are."""

    __tablename__ = "credit_note_counters"

    seller_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(BigInteger, default=0)


class CreditNote(Base):
    """A refund's document: it names the invoice it corrects and the amount given back;
    one per move of the payment's refunded total."""

    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("payment_id", "refunded_total"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cn"))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    refunded_total: Mapped[int] = mapped_column(BigInteger)  # the payment's, after this one
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seller_key: Mapped[str] = mapped_column(String(100), default="")  # its invoice's seller
    # seller, buyer, lines and totals as issued (kassa.domain.documents.snapshot)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class Seller(Base):
    """Who sells: printed on invoices and credit notes. `key` is a shop's id, or "" for
    every payment whose shop has none of its own."""

    __tablename__ = "sellers"
    __table_args__ = (Index("ux_sellers_series", "series", unique=True),)

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(Text)
    tax_id: Mapped[str | None] = mapped_column(String(20))  # INN, STIR or BIN
    tax_id_kind: Mapped[str | None] = mapped_column(String(10))
    bank_details: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # its code in its documents' numbers (INV-ACME-2026-000042), fixed once set; None only
    # for the default seller, whose numbers have none (INV-2026-000042)
    series: Mapped[str | None] = mapped_column(String(10))
    # an IANA name: its documents' dates, and the year its series restarts in
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("inv"))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), unique=True)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seller_key: Mapped[str] = mapped_column(String(100), default="")  # whose series
    # seller, buyer, lines and totals as issued (kassa.domain.documents.snapshot)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditRecord(Base):
    """Append-only log of every operation on a payment or a configuration."""

    __tablename__ = "audit_records"
    __table_args__ = (Index("ix_audit_records_at", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(20), index=True)
    payment_id: Mapped[str | None] = mapped_column(String(40), index=True)
    shop_id: Mapped[str | None] = mapped_column(String(100), index=True)
    organization_bin: Mapped[str | None] = mapped_column(String(12))
    provider: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxEvent(Base):
    """Downstream events, written in the transaction that caused them."""

    __tablename__ = "outbox_events"
    # The relay reads unpublished events in order; published ones leave the index.
    __table_args__ = (Index("ix_outbox_events_pending", "seq", **_where(UNPUBLISHED)),)

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True, default=lambda: new_id("evt"))
    type: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """Service credentials; only a SHA-256 digest of the key is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("key"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # requests a minute for this key; None: RATE_LIMIT_SERVICE_PER_MINUTE
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyRecord(Base):
    """The first answer to a keyed request, replayed for its repeats."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(String(250))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ProviderTransaction(Base):
    """A transaction an inverted provider (one that calls kassa to check, open, complete and
    cancel, like Click) keeps for an order; times are Unix ms, 0 = unset. The row's `id` is
    what kassa tells the provider (Click's merchant_prepare_id); answers to repeated calls
    are read back from here, so they are identical."""

    __tablename__ = "provider_transactions"
    __table_args__ = (
        UniqueConstraint("provider", "provider_tx_id"),
        Index("ix_provider_transactions_provider_time", "provider", "provider_time"),
        Index(
            "ux_provider_transactions_live",
            "provider",
            "payment_id",
            unique=True,
            **_where(LIVE_TX_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_tx_id: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    provider_time: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[int] = mapped_column(Integer)
    reason: Mapped[int | None] = mapped_column(Integer)
    create_time: Mapped[int] = mapped_column(BigInteger)
    perform_time: Mapped[int] = mapped_column(BigInteger, default=0)
    cancel_time: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ProviderKey(Base):
    """A provider key rotated by the provider itself (Payme's ChangePassword)."""

    __tablename__ = "provider_keys"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20), index=True)
    account: Mapped[str] = mapped_column(String(100))
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEndpoint(Base):
    """A downstream subscriber; its signing secret is stored sealed."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("we"))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event owed to one endpoint: retried with backoff until delivered or dead."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_seq", "endpoint_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("outbox_events.seq"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProviderCustomer(Base):
    """The provider's customer object for a payer (an organisation, else a user)."""

    __tablename__ = "provider_customers"
    __table_args__ = (UniqueConstraint("provider", "owner"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(250))
    customer_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Operator(Base):
    """A person who signs in to the admin UI; the password is stored as an argon2 hash."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    language: Mapped[str | None] = mapped_column(String(5))  # the admin UI's, None: browser's


class SignInThrottle(Base):
    """Failed sign-ins of one e-mail from one address: each failure past the free ones
    doubles the wait before that address may try that e-mail again. No hard lock: others,
    and the operator from elsewhere, are not held up by someone guessing."""

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # digest of e-mail + address
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OperatorSession(Base):
    """A signed-in browser: the cookie holds a random token, this row only its digest."""

    __tablename__ = "operator_sessions"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

"""The contract's public shapes (Pydantic), shared by the API and the outbox payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    WithJsonSchema,
    computed_field,
)

from kassa.domain.fiscal import FiscalError, check_fiscal
from kassa.domain.money import MAX_AMOUNT
from kassa.providers import plugins


def _known_provider(name: str) -> str:
    if name not in plugins.names():
        raise ValueError(f"one of {', '.join(plugins.names())}")
    return name


# Any provider kassa ships (its plug-in list says which): the schema lists them as an enum.
ProviderName = Annotated[
    str,
    AfterValidator(_known_provider),
    WithJsonSchema({"type": "string", "enum": plugins.names()}),
]
Purpose = Literal["one_off", "tariff", "wallet_topup"]
AmountField = Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT, description="minor units")]


def _shop_id_as_text(value: object) -> object:
    """Shops are named by text; the Kaspi service kassa replaces sends them as integers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


ShopIdField = Annotated[
    Annotated[str, Field(max_length=100)] | None,
    BeforeValidator(_shop_id_as_text),
    Field(description="a shop's id, as a string or an integer"),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "maxLength": 100}, {"type": "integer"}, {"type": "null"}]}
    ),
]
# A shop's id where a shop is named (configured): text kassa can put in a URL path.
NewShopId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="a shop's id, as a string or an integer; kept as the string",
    ),
    BeforeValidator(_shop_id_as_text),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 100,
                    "pattern": r"^[A-Za-z0-9._:-]+$",
                },
                {"type": "integer"},
            ]
        }
    ),
]
CurrencyField = Annotated[
    str, Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code", examples=["UZS"])
]


def _fiscal(value: dict[str, Any]) -> dict[str, Any]:
    try:
        return check_fiscal(value)
    except FiscalError as exc:
        raise ValueError(str(exc)) from exc


FiscalField = Annotated[
    dict[str, Any],
    AfterValidator(_fiscal),
    Field(
        description="Uzbekistan: ikpu_code, package_code, vat_percent (units); "
        "Russia (54-FZ): vat_code, payment_subject, payment_mode",
        examples=[{"ikpu_code": "10899002001000000", "package_code": "1495086", "vat_percent": 12}],
    ),
]
EmailField = Annotated[
    str,
    Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["buyer@shop.example"]),
]


class ItemIn(BaseModel):
    """A line of what a payment sells: `quantity` of `unit_price` (minor units)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=128)
    quantity: int = Field(default=1, ge=1, le=100_000, strict=True)
    unit_price: AmountField
    fiscal: FiscalField | None = None


T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class TariffOut(Out):
    id: str
    name: str
    description: str | None
    amount: int
    currency: str
    duration_days: int
    is_active: bool
    recurring: bool = False
    trial_days: int = 0
    group: str | None = None
    fiscal: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


class PaymentOut(Out):
    id: str
    user_id: str
    organization_id: str | None
    provider: str
    status: str
    amount: int
    currency: str
    refunded_amount: int
    purpose: str
    tariff_id: str | None
    shop_id: str | None
    payment_method_id: str | None = None
    subscription_id: str | None = None
    billing_period: int | None = None
    save_payment_method: bool = False
    promo_code: str | None = None
    discount_amount: int = 0
    items: list[dict[str, Any]] | None = None
    email: str | None = None
    description: str | None
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("metadata_", "metadata"))
    provider_payment_id: str | None
    checkout_url: str | None
    client_secret: str | None
    failure_code: str | None
    failure_message: str | None
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None


class PaymentMethodOut(Out):
    id: str
    user_id: str
    organization_id: str | None
    provider: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    is_default: bool
    created_at: datetime


class FiscalReceiptOut(BaseModel):
    provider: str
    kind: Literal["sale", "refund"]
    receipt_id: str
    date: str | None = None
    terminal_id: str | None = None
    fiscal_sign: str | None = None
    qr_code_url: str | None = None


class RefundOut(Out):
    id: str
    payment_id: str
    amount: int
    currency: str
    status: str
    reason: str | None
    created_at: datetime
    # who started it (kassa, or the provider: its cabinet or dashboard), the provider's id
    # for it, and the credit note its money going back issued
    initiated_by: Literal["kassa", "provider"] = "kassa"
    provider_refund_id: str | None = None
    credit_note_id: str | None = None


class SubscriptionOut(Out):
    id: str | None
    user_id: str
    organization_id: str | None = None
    tariff_id: str | None
    status: Literal["trialing", "active", "past_due", "cancelled", "expired", "none"]
    started_at: datetime | None = None
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    auto_renew: bool = False
    cancel_at_period_end: bool = False
    payment_method_id: str | None = None
    renewal_attempts: int = 0
    # when kassa next looks at it: the renewal's charge, a dunning retry, or its end
    next_attempt_at: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def expires_at(self) -> datetime | None:
        return self.current_period_end


class SubscriptionPeriodOut(Out):
    number: int
    kind: str
    tariff_id: str
    payment_id: str | None
    starts_at: datetime
    ends_at: datetime
    taken_back_at: datetime | None
    value: int  # minor units of `currency` the stretch holds, spread evenly over its time
    currency: str
    funded_by: str | None  # the payment whose money it is (none for a trial)


class PromoCodeOut(Out):
    code: str
    percent_off: int | None
    amount_off: int | None
    currency: str | None
    tariff_ids: list[str]
    max_redemptions: int | None
    max_per_customer: int | None  # purchases one customer may hold with it; None: any
    redeemed: int
    expires_at: datetime | None
    applies_to: str
    is_active: bool
    created_at: datetime


class InvoiceOut(Out):
    id: str
    number: str
    payment_id: str
    user_id: str
    amount: int
    currency: str
    status: str
    description: str | None
    issued_at: datetime
    paid_at: datetime | None


class CreditNoteOut(Out):
    id: str
    number: str
    invoice_id: str
    payment_id: str
    amount: int
    currency: str
    issued_at: datetime


class SellerOut(Out):
    key: str
    legal_name: str
    address: str | None
    tax_id: str | None
    tax_id_kind: str | None
    bank_details: str | None
    email: str | None
    phone: str | None
    series: str | None  # its code in its documents' numbers; the default seller may have none
    time_zone: str  # an IANA name: its documents' dates and the year its numbering restarts


class AuditRecordOut(Out):
    id: int
    at: datetime
    actor: str
    operation: str
    payment_id: str | None
    shop_id: str | None
    organization_bin: str | None
    provider: str | None
    amount: int | None
    currency: str | None
    status: str | None
    error_message: str | None
    request_id: str | None


class WalletBalance(BaseModel):
    currency: str
    amount: int


class WalletOut(BaseModel):
    organization_id: str
    balances: list[WalletBalance]


class WalletEntryOut(Out):
    id: int
    organization_id: str
    currency: str
    amount: int
    kind: str
    payment_id: str
    created_at: datetime


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None

"""Payments, their refunds and their audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from kassa.domain.states import PaymentStatus
from kassa.fast.fast_path import FastPathRoute, json_object, reads_arguments
from kassa.http.deps import CurrentPrincipal, Paging, RuntimeDep, verified_caller
from kassa.http.idempotency import IdempotentDep, idempotent_for, key_headers
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.ops.idempotency import KeptAnswer
from kassa.services.payments import fiscal_receipts, refunds
from kassa.services.payments import service as payments
from kassa.services.payments.service import NewPayment, PaymentFilters
from kassa.services.schemas import (
    AmountField,
    AuditRecordOut,
    CurrencyField,
    EmailField,
    FiscalReceiptOut,
    ItemIn,
    Page,
    PaymentOut,
    ProviderName,
    Purpose,
    RefundOut,
    ShopIdField,
)

if TYPE_CHECKING:
    from kassa.db.models import Payment

router = APIRouter(
    prefix="/payments", tags=["payments"], responses=PROBLEM_RESPONSES, route_class=FastPathRoute
)
PAYMENT_ID_MAX = 64
PaymentId = Annotated[str, Path(max_length=PAYMENT_ID_MAX)]
MAX_METADATA_KEYS = 50


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: ProviderName
    amount: AmountField
    currency: CurrencyField
    purpose: Purpose = "one_off"
    tariff_id: str | None = Field(default=None, max_length=64)
    organization_id: str | None = Field(default=None, min_length=1, max_length=200)
    user_id: str | None = Field(default=None, min_length=1, max_length=200)
    shop_id: ShopIdField = None
    phone: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=1000)
    return_url: HttpUrl | None = None
    metadata: dict[str, str | int | bool | None] = Field(default_factory=dict)
    payment_method_id: str | None = Field(default=None, max_length=64)
    items: list[ItemIn] | None = Field(
        default=None, min_length=1, max_length=100, description="what is sold; sums to amount"
    )
    email: EmailField | None = None
    idempotency_key: str | None = Field(default=None, max_length=255)

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_METADATA_KEYS:
            raise ValueError(f"at most {MAX_METADATA_KEYS} metadata keys")
        for key, item in value.items():
            if len(key) > 40 or (isinstance(item, str) and len(item) > 500):
                raise ValueError("metadata keys are at most 40 characters, values 500")
            if isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**53:
                raise ValueError("metadata numbers must fit in 53 bits")
        return value


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: AmountField | None = None
    reason: str | None = Field(default=None, max_length=500)
    idempotency_key: str | None = Field(default=None, max_length=255)


async def ordinary_create(request: Request) -> dict[str, Any] | None:
    """`create_payment`'s arguments for a verified caller's valid JSON body (fast_path)."""
    principal = verified_caller(request)
    if principal is None:
        return None
    payload = await json_object(request)
    if payload is None:
        return None
    try:
        body = PaymentCreate.model_validate(payload)
    except ValidationError:
        return None  # FastAPI validates it again, to word the refusal
    return {
        "body": body,
        "rt": request.app.state.runtime,
        "principal": principal,
        "idem": idempotent_for(request, key_headers(request), payload),
    }


@router.post("", status_code=201, response_model=PaymentOut)
@reads_arguments(ordinary_create)
async def create_payment(
    body: PaymentCreate, rt: RuntimeDep, principal: CurrentPrincipal, idem: IdempotentDep
) -> Response:
    async def handler(keeper: KeptAnswer | None) -> Payment:
        return await payments.create_payment(
            rt,
            principal,
            NewPayment(
                provider=body.provider,
                amount=body.amount,
                currency=body.currency,
                purpose=body.purpose,
                tariff_id=body.tariff_id,
                organization_id=body.organization_id,
                user_id=body.user_id,
                shop_id=body.shop_id,
                phone=body.phone,
                description=body.description,
                return_url=str(body.return_url) if body.return_url else None,
                metadata=body.metadata,
                payment_method_id=body.payment_method_id,
                idempotency_key=idem.key,
                items=[
                    {
                        **item.model_dump(exclude={"fiscal"}),
                        "discount": 0,
                        "fiscal": item.fiscal or {},
                    }
                    for item in body.items
                ]
                if body.items
                else None,
                email=body.email,
            ),
            keeper,
        )

    return await idem.run_kept(rt, principal, 201, handler, payment_json)


def payment_json(payment: Payment) -> str:
    """The answer to a create, as its Idempotency-Key keeps it."""
    return PaymentOut.model_validate(payment).model_dump_json()


@router.get("", response_model=Page[PaymentOut])
async def list_payments(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    paging: Paging,
    user_id: Annotated[str | None, Query(max_length=200)] = None,
    status: PaymentStatus | None = None,
    provider: ProviderName | None = None,
    purpose: Purpose | None = None,
) -> Page[PaymentOut]:
    filters = PaymentFilters(
        user_id=user_id, status=status.value if status else None, provider=provider, purpose=purpose
    )
    rows, total = await payments.list_payments(rt, principal, filters, paging)
    return Page(
        items=[PaymentOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


async def ordinary_read(request: Request) -> dict[str, Any] | None:
    """`get_payment`'s arguments for a verified caller and an id `PaymentId` accepts
    (fast_path): what a client polling its payment's status sends."""
    principal = verified_caller(request)
    payment_id = request.path_params.get("payment_id")
    if principal is None or not isinstance(payment_id, str):
        return None
    if len(payment_id) > PAYMENT_ID_MAX:
        return None  # FastAPI's to refuse, in its words
    return {"payment_id": payment_id, "rt": request.app.state.runtime, "principal": principal}


@router.get("/{payment_id}", response_model=PaymentOut)
@reads_arguments(ordinary_read)
async def get_payment(
    payment_id: PaymentId, rt: RuntimeDep, principal: CurrentPrincipal
) -> Response:
    # serialised here, as a create's answer is: FastAPI would validate a returned model
    # against `response_model` once more (and the docstring would be the API's description)
    found = PaymentOut.model_validate(await payments.get_payment(rt, principal, payment_id))
    return Response(found.model_dump_json(), media_type="application/json")


@router.post("/{payment_id}/cancel", response_model=PaymentOut)
async def cancel_payment(
    payment_id: PaymentId, rt: RuntimeDep, principal: CurrentPrincipal
) -> PaymentOut:
    return PaymentOut.model_validate(await payments.cancel_payment(rt, principal, payment_id))


@router.post("/{payment_id}/sync", response_model=PaymentOut)
async def sync_payment(
    payment_id: PaymentId, rt: RuntimeDep, principal: CurrentPrincipal
) -> PaymentOut:
    return PaymentOut.model_validate(await payments.sync_payment(rt, principal, payment_id))


@router.post("/{payment_id}/capture", response_model=PaymentOut)
async def capture_payment(
    payment_id: PaymentId, rt: RuntimeDep, principal: CurrentPrincipal
) -> PaymentOut:
    """Two-step payments (YooKassa with `metadata.capture = false`): take the authorised money."""
    return PaymentOut.model_validate(await payments.capture_payment(rt, principal, payment_id))


@router.post("/{payment_id}/refunds", status_code=201, response_model=RefundOut)
async def create_refund(
    payment_id: PaymentId,
    body: RefundCreate,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    idem: IdempotentDep,
) -> Response:
    async def handler() -> RefundOut:
        refund = await refunds.create_refund(rt, principal, payment_id, body.amount, body.reason)
        return RefundOut.model_validate(refund)

    return await idem.run(rt, principal, 201, handler)


@router.get("/{payment_id}/refunds", response_model=Page[RefundOut])
async def list_refunds(
    payment_id: PaymentId, rt: RuntimeDep, principal: CurrentPrincipal, paging: Paging
) -> Page[RefundOut]:
    rows, total = await refunds.list_refunds(rt, principal, payment_id, paging)
    return Page(
        items=[RefundOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get("/{payment_id}/events", response_model=Page[AuditRecordOut])
async def list_events(
    payment_id: PaymentId, rt: RuntimeDep, principal: CurrentPrincipal, paging: Paging
) -> Page[AuditRecordOut]:
    rows, total = await payments.list_events(rt, principal, payment_id, paging)
    return Page(
        items=[AuditRecordOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get("/{payment_id}/fiscal-receipts", response_model=list[FiscalReceiptOut])
async def list_fiscal_receipts(
    payment_id: PaymentId, rt: RuntimeDep, principal: CurrentPrincipal
) -> list[FiscalReceiptOut]:
    """The fiscal receipts the provider made for this payment (Payme's SetFiscalData): the
    sale's and, after a refund, its reversal's, each with the tax office's check link."""
    found = await fiscal_receipts.for_caller(rt, principal, payment_id)
    return [FiscalReceiptOut.model_validate(r) for r in found]

"""Tariffs: read by anyone, managed by admins, bought by users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from kassa.api.payments import payment_json
from kassa.http.deps import CurrentPrincipal, OptionalPrincipal, Paging, RuntimeDep
from kassa.http.idempotency import IdempotentDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.billing import purchases, tariffs
from kassa.services.ops.idempotency import KeptAnswer
from kassa.services.schemas import (
    AmountField,
    CurrencyField,
    EmailField,
    FiscalField,
    Page,
    PaymentOut,
    ProviderName,
    ShopIdField,
    TariffOut,
)

if TYPE_CHECKING:
    from kassa.db.models import Payment

router = APIRouter(prefix="/tariffs", tags=["tariffs"], responses=PROBLEM_RESPONSES)
TariffId = Annotated[str, Path(max_length=64)]


class TariffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    amount: AmountField
    currency: CurrencyField
    duration_days: int = Field(ge=1, le=3660, strict=True)
    is_active: bool = True
    recurring: bool = False
    trial_days: int = Field(default=0, ge=0, le=365, strict=True)
    group: str | None = Field(default=None, min_length=1, max_length=100)
    fiscal: FiscalField | None = None


class TariffUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    amount: AmountField | None = None
    currency: CurrencyField | None = None
    duration_days: int | None = Field(default=None, ge=1, le=3660, strict=True)
    is_active: bool | None = None
    recurring: bool | None = None
    trial_days: int | None = Field(default=None, ge=0, le=365, strict=True)
    group: str | None = Field(default=None, min_length=1, max_length=100)
    fiscal: FiscalField | None = None


class Purchase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: ProviderName
    return_url: HttpUrl | None = None
    phone: str | None = Field(default=None, max_length=32)
    shop_id: ShopIdField = None
    payment_method_id: str | None = Field(
        default=None, max_length=64, description="pay with this saved method, customer absent"
    )
    save_payment_method: bool = Field(
        default=False, description="keep the method paid with, for renewals"
    )
    promo_code: str | None = Field(default=None, min_length=1, max_length=64)
    email: EmailField | None = Field(default=None, description="the buyer's, for receipts")
    organization_id: str | None = Field(default=None, max_length=200)
    user_id: str | None = Field(default=None, max_length=200, description="services only")


@router.get("", response_model=Page[TariffOut])
async def list_tariffs(
    rt: RuntimeDep, principal: OptionalPrincipal, paging: Paging
) -> Page[TariffOut]:
    rows, total = await tariffs.list_tariffs(rt, principal, paging)
    return Page(
        items=[TariffOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get("/{tariff_id}", response_model=TariffOut)
async def get_tariff(
    rt: RuntimeDep, principal: OptionalPrincipal, tariff_id: TariffId
) -> TariffOut:
    return TariffOut.model_validate(await tariffs.get_tariff(rt, principal, tariff_id))


@router.post("", status_code=201, response_model=TariffOut)
async def create_tariff(
    body: TariffCreate, rt: RuntimeDep, principal: CurrentPrincipal, idem: IdempotentDep
) -> Response:
    async def handler() -> TariffOut:
        tariff = await tariffs.create_tariff(rt, principal, body.model_dump())
        return TariffOut.model_validate(tariff)

    return await idem.run(rt, principal, 201, handler)


@router.patch("/{tariff_id}", response_model=TariffOut)
async def update_tariff(
    tariff_id: TariffId, body: TariffUpdate, rt: RuntimeDep, principal: CurrentPrincipal
) -> TariffOut:
    changes = body.model_dump(exclude_unset=True)
    for required in (
        "name",
        "amount",
        "currency",
        "duration_days",
        "is_active",
        "recurring",
        "trial_days",
    ):
        if required in changes and changes[required] is None:
            changes.pop(required)
    return TariffOut.model_validate(await tariffs.update_tariff(rt, principal, tariff_id, changes))


@router.delete("/{tariff_id}", status_code=204)
async def delete_tariff(
    tariff_id: TariffId, rt: RuntimeDep, principal: CurrentPrincipal
) -> Response:
    await tariffs.delete_tariff(rt, principal, tariff_id)
    return Response(status_code=204)


@router.post("/{tariff_id}/purchase", status_code=201, response_model=PaymentOut)
async def purchase(
    tariff_id: TariffId,
    body: Purchase,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    idem: IdempotentDep,
) -> Response:
    async def handler(keeper: KeptAnswer | None) -> Payment:
        return await purchases.purchase(
            rt,
            principal,
            tariff_id,
            purchases.PurchaseRequest(
                provider=body.provider,
                user_id=body.user_id,
                organization_id=body.organization_id,
                shop_id=body.shop_id,
                phone=body.phone,
                return_url=str(body.return_url) if body.return_url else None,
                payment_method_id=body.payment_method_id,
                save_payment_method=body.save_payment_method,
                promo_code=body.promo_code,
                email=body.email,
                idempotency_key=idem.key,
            ),
            keeper,
        )

    return await idem.run_kept(rt, principal, 201, handler, payment_json)

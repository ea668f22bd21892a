"""Promo codes, created and listed by admins; applied with `promo_code` at purchase."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kassa.http.deps import CurrentAdmin, Paging, RuntimeDep
from kassa.http.idempotency import IdempotentDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.billing import promo_codes
from kassa.services.schemas import AmountField, CurrencyField, Page, PromoCodeOut

router = APIRouter(prefix="/admin/promo-codes", tags=["promo codes"], responses=PROBLEM_RESPONSES)


class PromoCodeCreate(BaseModel):
    """`percent_off`, or `amount_off` with its `currency`; `tariff_ids` empty: any tariff;
    `applies_to`: the first period only, or every renewal too; `max_per_customer`: the
    purchases one customer may hold with it (left out: 1 for a first-period code, any for
    an every-period one; null: any)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    percent_off: int | None = Field(default=None, ge=1, le=100, strict=True)
    amount_off: AmountField | None = None
    currency: CurrencyField | None = None
    tariff_ids: list[str] = Field(default_factory=list, max_length=100)
    max_redemptions: int | None = Field(default=None, ge=1, strict=True)
    max_per_customer: int | None = Field(default=None, ge=1, strict=True)
    expires_at: datetime | None = None
    applies_to: Literal["first_period", "every_period"] = "first_period"
    is_active: bool = True

    @model_validator(mode="after")
    def _one_discount(self) -> Self:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("give percent_off or amount_off (with currency), not both")
        if (self.amount_off is None) != (self.currency is None):
            raise ValueError("amount_off goes with its currency, and only with it")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at needs a UTC offset")
        return self


@router.get("", response_model=Page[PromoCodeOut])
async def list_promo_codes(
    rt: RuntimeDep, principal: CurrentAdmin, paging: Paging
) -> Page[PromoCodeOut]:
    rows, total = await promo_codes.list_codes(rt, principal, paging)
    return Page(
        items=[PromoCodeOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post("", status_code=201, response_model=PromoCodeOut)
async def create_promo_code(
    body: PromoCodeCreate, rt: RuntimeDep, principal: CurrentAdmin, idem: IdempotentDep
) -> Response:
    async def handler() -> PromoCodeOut:
        fields = body.model_dump()
        if "max_per_customer" not in body.model_fields_set:
            del fields["max_per_customer"]  # the code's kind decides
        promo = await promo_codes.create(rt, principal, fields)
        return PromoCodeOut.model_validate(promo)

    return await idem.run(rt, principal, 201, handler)

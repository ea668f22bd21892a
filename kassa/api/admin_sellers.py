"""Sellers: the legal details printed on invoices, per shop or the default (`default`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from kassa.domain.documents import SERIES
from kassa.http.deps import CurrentAdmin, RuntimeDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.accounts import sellers
from kassa.services.schemas import SellerOut

router = APIRouter(prefix="/admin/sellers", tags=["admin: sellers"], responses=PROBLEM_RESPONSES)
DEFAULT_KEY = "default"


class SellerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    legal_name: str = Field(min_length=1, max_length=300)
    address: str | None = Field(default=None, max_length=1000)
    tax_id: str | None = Field(default=None, pattern=r"^\d{9,12}$", description="INN, STIR or BIN")
    tax_id_kind: Literal["INN", "STIR", "BIN"] | None = None
    bank_details: str | None = Field(default=None, max_length=1000)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    series: str | None = Field(
        default=None,
        pattern=SERIES.pattern,
        description="its code in its invoice and credit note numbers (INV-ACME-2026-000042): "
        "fixed once set; left out, a shop's seller gets one made from the shop's id",
    )
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description="an IANA time zone: its documents' dates, and the year its numbering "
        "restarts in; left out, the seller keeps its own (a new one: UTC)",
        examples=["Asia/Tashkent"],
    )


def _key(key: str) -> str:
    return sellers.DEFAULT if key == DEFAULT_KEY else key


@router.get("", response_model=list[SellerOut])
async def list_sellers(rt: RuntimeDep, principal: CurrentAdmin) -> list[SellerOut]:
    rows = await sellers.list_sellers(rt, principal)
    return [
        SellerOut.model_validate(r).model_copy(update={"key": r.key or DEFAULT_KEY}) for r in rows
    ]


@router.put("/{key}", response_model=SellerOut)
async def put_seller(
    key: Annotated[str, Path(min_length=1, max_length=100)],
    body: SellerIn,
    rt: RuntimeDep,
    principal: CurrentAdmin,
) -> SellerOut:
    """`default` is the seller of every shop without details of its own; a shop's id sets
    that shop's. Documents already issued keep the seller they were issued with."""
    seller = await sellers.put(rt, principal, _key(key), body.model_dump())
    return SellerOut.model_validate(seller).model_copy(update={"key": key})

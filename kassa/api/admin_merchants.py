"""Shop configurations and the operations audit log (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from kassa.http.deps import CurrentAdmin, Paging, RuntimeDep
from kassa.http.idempotency import IdempotentDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.accounts import merchants
from kassa.services.accounts.merchants import MerchantFields, Shop
from kassa.services.ops import audit
from kassa.services.ops.audit import OPERATIONS
from kassa.services.schemas import AuditRecordOut, NewShopId, Page, ProviderName

router = APIRouter(prefix="/admin", tags=["admin: shops and audit"], responses=PROBLEM_RESPONSES)
ShopId = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
Credentials = dict[Annotated[str, Field(max_length=60)], Annotated[str, Field(max_length=2000)]]


class MerchantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shop_id: NewShopId
    provider: ProviderName
    organization_bin: str | None = Field(default=None, pattern=r"^\d{12}$")
    device_token: str | None = Field(default=None, max_length=100)
    credentials: Credentials | None = Field(default=None, max_length=20)
    is_active: bool = True
    description: str | None = Field(default=None, max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=255)


class MerchantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: ProviderName | None = None
    organization_bin: str | None = Field(default=None, pattern=r"^\d{12}$")
    device_token: str | None = Field(default=None, max_length=100)
    credentials: Credentials | None = Field(default=None, max_length=20)
    is_active: bool | None = None
    description: str | None = Field(default=None, max_length=1000)


class MerchantOut(BaseModel):
    shop_id: str
    provider: str
    organization_bin: str | None
    device_token: str | None = Field(description="masked: at most the first 8 characters")
    credentials: dict[str, str] = Field(description="masked values, by name")
    is_active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime


def _out(merchant: Shop) -> MerchantOut:
    return MerchantOut(
        shop_id=merchant.shop_id,
        provider=merchant.provider,
        organization_bin=merchant.organization_bin,
        device_token=merchant.device_token_prefix,
        credentials=dict(merchant.credential_prefixes or {}),
        is_active=merchant.is_active,
        description=merchant.description,
        created_at=merchant.created_at,
        updated_at=merchant.updated_at,
    )


def _fields(body: MerchantCreate | MerchantUpdate) -> tuple[MerchantFields, set[str]]:
    present = set(body.model_fields_set) - {"shop_id", "idempotency_key"}
    return MerchantFields(
        provider=body.provider,
        organization_bin=body.organization_bin,
        device_token=body.device_token,
        credentials=body.credentials,
        is_active=body.is_active,
        description=body.description,
    ), present | ({"provider"} if isinstance(body, MerchantCreate) else set())


@router.get("/merchants", response_model=Page[MerchantOut])
async def list_merchants(
    rt: RuntimeDep, _admin: CurrentAdmin, paging: Paging, provider: ProviderName | None = None
) -> Page[MerchantOut]:
    rows, total = await merchants.list_merchants(rt, provider, paging)
    return Page(
        items=[_out(m) for m in rows], total=total, page=paging.page, page_size=paging.page_size
    )


@router.post("/merchants", status_code=201, response_model=MerchantOut)
async def create_merchant(
    body: MerchantCreate, rt: RuntimeDep, admin: CurrentAdmin, idem: IdempotentDep
) -> Response:
    async def handler() -> MerchantOut:
        fields, present = _fields(body)
        return _out(await merchants.create_merchant(rt, admin, body.shop_id, fields, present))

    return await idem.run(rt, admin, 201, handler)


@router.get("/merchants/{shop_id}", response_model=MerchantOut)
async def get_merchant(shop_id: ShopId, rt: RuntimeDep, _admin: CurrentAdmin) -> MerchantOut:
    return _out(await merchants.get_merchant(rt, shop_id))


@router.patch("/merchants/{shop_id}", response_model=MerchantOut)
async def update_merchant(
    shop_id: ShopId, body: MerchantUpdate, rt: RuntimeDep, admin: CurrentAdmin
) -> MerchantOut:
    fields, present = _fields(body)
    return _out(await merchants.update_merchant(rt, admin, shop_id, fields, present))


@router.delete("/merchants/{shop_id}", status_code=204)
async def delete_merchant(shop_id: ShopId, rt: RuntimeDep, admin: CurrentAdmin) -> Response:
    await merchants.delete_merchant(rt, admin, shop_id)
    return Response(status_code=204)


@router.get("/audit-log", response_model=Page[AuditRecordOut])
async def audit_log(
    rt: RuntimeDep,
    _admin: CurrentAdmin,
    paging: Paging,
    shop_id: Annotated[str | None, Query(max_length=100)] = None,
    payment_id: Annotated[str | None, Query(max_length=64)] = None,
    operation: Annotated[str | None, Query(pattern="^(" + "|".join(OPERATIONS) + ")$")] = None,
    provider: ProviderName | None = None,
) -> Page[AuditRecordOut]:
    filters = audit.AuditFilters(shop_id, payment_id, operation, provider)
    rows, total = await audit.list_records(rt, filters, paging)
    return Page(
        items=[AuditRecordOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )

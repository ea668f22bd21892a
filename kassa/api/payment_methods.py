"""Saved payment methods (cards) of a user or an organisation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from kassa.http.deps import CurrentUser, RuntimeDep
from kassa.http.idempotency import IdempotentDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.accounts import payment_methods
from kassa.services.schemas import PaymentMethodOut, ProviderName

router = APIRouter(prefix="/payment-methods", tags=["payment methods"], responses=PROBLEM_RESPONSES)
MethodId = Annotated[str, Path(max_length=64)]


class MethodAttach(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: ProviderName
    token: str = Field(min_length=1, max_length=500)
    organization_id: str | None = Field(default=None, min_length=1, max_length=200)
    idempotency_key: str | None = Field(default=None, max_length=255)


class MethodList(BaseModel):
    items: list[PaymentMethodOut]


@router.get("", response_model=MethodList)
async def list_methods(
    rt: RuntimeDep,
    principal: CurrentUser,
    organization_id: Annotated[str | None, Query(max_length=200)] = None,
) -> MethodList:
    rows = await payment_methods.list_methods(rt, principal, organization_id)
    return MethodList(items=[PaymentMethodOut.model_validate(r) for r in rows])


@router.post("", status_code=201, response_model=PaymentMethodOut)
async def attach(
    body: MethodAttach, rt: RuntimeDep, principal: CurrentUser, idem: IdempotentDep
) -> Response:
    async def handler() -> PaymentMethodOut:
        method = await payment_methods.attach(
            rt, principal, body.provider, body.token, body.organization_id
        )
        return PaymentMethodOut.model_validate(method)

    return await idem.run(rt, principal, 201, handler)


@router.post("/{method_id}/set-default", response_model=PaymentMethodOut)
async def set_default(
    method_id: MethodId, rt: RuntimeDep, principal: CurrentUser
) -> PaymentMethodOut:
    return PaymentMethodOut.model_validate(
        await payment_methods.set_default(rt, principal, method_id)
    )


@router.delete("/{method_id}", status_code=204)
async def detach(method_id: MethodId, rt: RuntimeDep, principal: CurrentUser) -> Response:
    await payment_methods.detach(rt, principal, method_id)
    return Response(status_code=204)

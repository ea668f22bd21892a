"""Subscriptions: the holder's, an organisation's, or (admins, services) anyone's."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from kassa.http.deps import CurrentPrincipal, CurrentUser, Paging, RuntimeDep
from kassa.http.idempotency import IdempotentDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.billing import subscriptions
from kassa.services.schemas import Page, SubscriptionOut, SubscriptionPeriodOut

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"], responses=PROBLEM_RESPONSES)
SubscriptionId = Annotated[str, Path(max_length=64)]
Status = Literal["trialing", "active", "past_due", "cancelled", "expired"]


class SubscriptionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    auto_renew: bool | None = None
    payment_method_id: str | None = Field(default=None, max_length=64)


class Cancellation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at_period_end: bool = True


class TrialStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tariff_id: str = Field(max_length=64)
    payment_method_id: str | None = Field(default=None, max_length=64)
    organization_id: str | None = Field(default=None, max_length=200)
    user_id: str | None = Field(default=None, max_length=200, description="services only")


@router.get("/me", response_model=SubscriptionOut)
async def my_subscription(rt: RuntimeDep, principal: CurrentUser) -> SubscriptionOut:
    return await subscriptions.current(rt, principal.subject)


@router.get("", response_model=Page[SubscriptionOut])
async def list_subscriptions(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    paging: Paging,
    user_id: Annotated[str | None, Query(max_length=200)] = None,
    status: Status | None = None,
    tariff_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[SubscriptionOut]:
    filters = subscriptions.SubscriptionFilters(user_id=user_id, status=status, tariff_id=tariff_id)
    items, total = await subscriptions.list_subscriptions(rt, principal, filters, paging)
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)


@router.post("", status_code=201, response_model=SubscriptionOut)
async def start_trial(
    body: TrialStart, rt: RuntimeDep, principal: CurrentPrincipal, idem: IdempotentDep
) -> Response:
    """Starts a trial of a tariff with `trial_days` (no payment now; the first period is
    charged when it ends). Paid subscriptions start with `POST /tariffs/{id}/purchase`."""

    async def handler() -> SubscriptionOut:
        return await subscriptions.start_trial(
            rt,
            principal,
            body.tariff_id,
            user_id=body.user_id,
            organization_id=body.organization_id,
            payment_method_id=body.payment_method_id,
        )

    return await idem.run(rt, principal, 201, handler)


@router.get("/{subscription_id}", response_model=SubscriptionOut)
async def get_subscription(
    subscription_id: SubscriptionId, rt: RuntimeDep, principal: CurrentPrincipal
) -> SubscriptionOut:
    return await subscriptions.get(rt, principal, subscription_id)


@router.get("/{subscription_id}/periods", response_model=list[SubscriptionPeriodOut])
async def subscription_periods(
    subscription_id: SubscriptionId, rt: RuntimeDep, principal: CurrentPrincipal
) -> list[SubscriptionPeriodOut]:
    rows = await subscriptions.periods(rt, principal, subscription_id)
    return [SubscriptionPeriodOut.model_validate(r) for r in rows]


@router.patch("/{subscription_id}", response_model=SubscriptionOut)
async def change_subscription(
    subscription_id: SubscriptionId,
    body: SubscriptionChange,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
) -> SubscriptionOut:
    return await subscriptions.change(
        rt,
        principal,
        subscription_id,
        auto_renew=body.auto_renew,
        payment_method_id=body.payment_method_id,
    )


@router.post("/{subscription_id}/cancel", response_model=SubscriptionOut)
async def cancel_subscription(
    subscription_id: SubscriptionId,
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    body: Cancellation | None = None,
) -> SubscriptionOut:
    at_end = body.at_period_end if body is not None else True
    return await subscriptions.cancel(rt, principal, subscription_id, at_period_end=at_end)

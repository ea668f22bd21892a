"""The sandbox clock (SANDBOX only): billing time moved forward so renewals, dunning and
expiry can be watched without waiting a month. Tokens, signatures and webhook timestamps
keep the wall clock."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kassa.http.deps import RuntimeDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.billing import sandbox_clock

router = APIRouter(prefix="/sandbox/clock", tags=["sandbox"], responses=PROBLEM_RESPONSES)
TEN_YEARS = 10 * 366 * 86400


class Advance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: int = Field(ge=1, le=TEN_YEARS, strict=True)


class ClockOut(BaseModel):
    now: datetime
    offset_seconds: int


@router.get("", response_model=ClockOut)
async def read_clock(rt: RuntimeDep) -> ClockOut:
    now, offset = await sandbox_clock.read(rt)
    return ClockOut(now=now, offset_seconds=offset)


@router.post("/advance", response_model=ClockOut)
async def advance_clock(body: Advance, rt: RuntimeDep) -> ClockOut:
    """Moves billing time forward and runs the billing that has come due."""
    now, offset = await sandbox_clock.advance(rt, body.seconds)
    return ClockOut(now=now, offset_seconds=offset)

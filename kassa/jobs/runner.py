"""The table of loops the worker (or `kassa serve`) runs, each over one service function, on
its interval until stopped; a failing pass is logged and the loop goes on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kassa.core.logging import describe_exception, get_logger
from kassa.runtime import Runtime
from kassa.services.accounts.payment_methods import describe_saved
from kassa.services.billing.renewals import bill_due
from kassa.services.ops.idempotency import purge_idempotency_keys
from kassa.services.ops.outbox_relay import relay_once
from kassa.services.payments.reconciler import reconcile_due

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    run: Callable[[Runtime], Awaitable[int]]
    interval_seconds: float
    # a pass that found work is followed by the next one at once, so a backlog (a month's
    # renewals falling due on the 1st) drains at the job's speed, not one batch an interval
    drains: bool = False


def default_jobs() -> list[Job]:
    return [
        Job("outbox_relay", relay_once, 1.0),
        Job("reconcile_payments", reconcile_due, 5.0),
        Job("billing", bill_due, 10.0, drains=True),
        Job("describe_saved_methods", describe_saved, 15.0),
        Job("purge_idempotency_keys", purge_idempotency_keys, 300.0),
    ]


async def run_job_forever(rt: Runtime, job: Job, stop: asyncio.Event) -> None:
    while not stop.is_set():
        done = 0
        try:
            done = await job.run(rt)
            if done:
                log.info("job.ran", job=job.name, items=done)
        except Exception as exc:
            log.error("job.failed", job=job.name, **describe_exception(exc))
        if done and job.drains:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=job.interval_seconds)


async def run_jobs(rt: Runtime, stop: asyncio.Event, jobs: list[Job] | None = None) -> None:
    async with asyncio.TaskGroup() as group:
        for job in jobs or default_jobs():
            group.create_task(run_job_forever(rt, job, stop), name=f"job:{job.name}")

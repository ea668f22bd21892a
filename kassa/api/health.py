"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kassa.core.logging import get_logger
from kassa.http.deps import RuntimeDep

router = APIRouter(tags=["health"])
log = get_logger(__name__)


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "a dependency is not answering"}})
async def ready(rt: RuntimeDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await rt.db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("ready.database_failed", error=type(exc).__name__)
        checks["database"] = "unavailable"
    if rt.redis is not None:
        try:
            await rt.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            log.warning("ready.redis_failed", error=type(exc).__name__)
            checks["redis"] = "unavailable"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

"""FastAPI dependencies: the runtime, the caller, and list paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from kassa.core.security import VERIFIED_PRINCIPAL, InvalidToken, Principal, Role, read_token
from kassa.domain.errors import Forbidden, Unauthorized
from kassa.domain.paging import PageParams
from kassa.runtime import Runtime
from kassa.services.accounts.api_keys import principal_for_key

bearer = HTTPBearer(auto_error=False, description="HS256 access token (`kassa token`)")
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="service key (`kassa api-key create`)"
)


# Dependencies are `async def` even when they never await: FastAPI runs a plain `def` in
# its thread pool, and a thread hop per request costs more than most of the request.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
ApiKey = Annotated[str | None, Depends(api_key_header)]


# The caller is solved on every authenticated request: one dependency over the two security
# schemes (which the OpenAPI document lists), the runtime taken from the app rather than
# from another dependency. Each level FastAPI solves costs as much as a small dependency's
# work (it looks for path, query, header and cookie parameters at every level).
async def optional_principal(
    request: Request, credentials: BearerCredentials, api_key: ApiKey
) -> Principal | None:
    verified = request.scope.get(VERIFIED_PRINCIPAL)  # the rate limiter read it already
    if api_key:
        if isinstance(verified, Principal) and verified.role is Role.SERVICE:
            return verified
        runtime: Runtime = request.app.state.runtime
        principal = await principal_for_key(runtime.db, api_key[:200])
        if principal is None:
            raise Unauthorized("invalid API key")
        return principal
    if credentials is not None:
        if isinstance(verified, Principal):
            return verified
        runtime = request.app.state.runtime
        try:
            return read_token(runtime.settings.signing_key, credentials.credentials)
        except InvalidToken as exc:
            raise Unauthorized("invalid or expired access token") from exc
    return None


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def verified_caller(request: Request) -> Principal | None:
    """The caller `optional_principal` would find, when the rate limiter has verified it
    already from the very header `optional_principal` reads first; else None."""
    verified = request.scope.get(VERIFIED_PRINCIPAL)
    if not isinstance(verified, Principal):
        return None
    if request.headers.get("x-api-key"):
        return verified if verified.role is Role.SERVICE else None
    return verified  # verified from the bearer token


async def current_principal(
    request: Request, credentials: BearerCredentials, api_key: ApiKey
) -> Principal:
    principal = await optional_principal(request, credentials, api_key)
    if principal is None:
        raise Unauthorized("send a bearer token or an X-API-Key")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def current_user(principal: CurrentPrincipal) -> Principal:
    """Endpoints about 'me': a person with a token, not a service."""
    if principal.role is Role.SERVICE:
        raise Forbidden("this endpoint is for users; services name the user instead")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


async def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


Paging = Annotated[PageParams, Depends(page_params)]


async def current_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.is_admin:
        raise Forbidden("admin role required")
    return principal


CurrentAdmin = Annotated[Principal, Depends(current_admin)]

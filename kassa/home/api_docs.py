"""`/docs` (Swagger UI) and `/redoc` (ReDoc) from files kassa serves itself.

FastAPI's own pages load their scripts from a CDN and ReDoc's fonts from Google, so they
stay blank on a machine without internet. The scripts come instead from the
`fastapi-offline` package (Swagger UI's and ReDoc's released bundles, kept current on
PyPI), served under `/docs/static/`; ReDoc draws in the system's fonts."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = "/docs/static"
# Swagger UI would send the document to swagger.io's validator for its badge: not offline
SWAGGER_PARAMETERS = {"validatorUrl": None}


def install(app: FastAPI) -> None:
    """Serves the docs pages and their assets (the app is made with docs_url=None,
    redoc_url=None, so FastAPI's CDN pages are never served)."""
    app.mount(STATIC, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-static")
    app.include_router(router(app))


def router(app: FastAPI) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/docs", response_class=HTMLResponse)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} API",
            swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC}/favicon.png",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )

    @pages.get("/redoc", response_class=HTMLResponse)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} API reference",
            redoc_js_url=f"{root}{STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC}/favicon.png",
            with_google_fonts=False,
        )

    return pages

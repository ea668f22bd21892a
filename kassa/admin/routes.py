"""The admin UI's one router: every page's routes under /admin, each page's messages signed
with the key bound here (kassa.admin.flash); and its static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.staticfiles import StaticFiles

from kassa.admin import flash
from kassa.admin.pages import (
    audit,
    customers,
    dashboard,
    invoices,
    language,
    payment_actions,
    payment_export,
    payments,
    promo_codes,
    sellers,
    shops,
    sign_in,
    subscriptions,
    tariffs,
    webhooks,
)

PAGES = (
    sign_in,
    language,
    dashboard,
    payment_export,
    payments,
    payment_actions,
    invoices,
    tariffs,
    shops,
    audit,
    webhooks,
    subscriptions,
    customers,
    promo_codes,
    sellers,
)
router = APIRouter(include_in_schema=False, dependencies=[Depends(flash.bind_key)])
for _page in PAGES:  # the prefix given here: the dashboard is /admin itself
    router.include_router(_page.router, prefix="/admin")


def static_files() -> StaticFiles:
    return StaticFiles(directory=str(Path(__file__).parent / "static"))

"""Invoices worth the name: seller and buyer, lines with quantity, unit price, discount and
VAT, totals in the currency's own format, the fiscal receipt's link and QR; credit notes for
refunds in their own gap-free series. Each seller numbers its own documents, dated in its
time zone, and a document prints what it was issued with, whatever is edited later. The
PDFs are read back as text."""

from __future__ import annotations

import asyncio
import io
import os
import random
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pypdf import PdfReader
from sqlalchemy import select

from kassa.core.context import Actor
from kassa.db.models import Invoice, OutboxEvent
from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.runtime import Runtime
from kassa.services.payments.updates import apply_update
from tests.conftest import bearer, make_tariff, unique
from tests.payments.test_fiscal import UZ, fiscal_receipts

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


def look_at(pdf: bytes, name: str) -> None:
    """A picture of the first page for a person to look at (build/screenshots)."""
    if shutil.which("pdftoppm") is None or os.environ.get("KASSA_SCREENSHOTS", "1") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", "-", str(SHOTS / name)],
                   input=pdf, check=True, capture_output=True)


async def seller(client: httpx.AsyncClient, admin: dict[str, str], key: str, **fields: Any) -> dict[str, Any]:
    made = await client.put(f"/api/v1/admin/sellers/{key}", json={
        "legal_name": "OOO Kassa Demo", "address": "Tashkent, Amir Temur 1", "tax_id": "305123456",
        "tax_id_kind": "STIR", "bank_details": "Kapitalbank, MFO 01158, a/c 20208000900123456001",
        **fields}, headers=admin)
    assert made.status_code == 200, made.text
    result: dict[str, Any] = made.json()
    return result


async def test_an_invoice_says_who_sold_what_with_vat_discount_and_the_fiscal_receipt(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    await seller(client, admin, "default")
    tariff = await make_tariff(client, amount=5_000_000, fiscal=UZ, name="Pro plan")
    code = unique("TEN").upper()
    await client.post("/api/v1/admin/promo-codes", json={"code": code, "percent_off": 10}, headers=admin)
    user = unique("u")
    payment = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "payme", "promo_code": code, "email": "buyer@shop.example"}, headers=bearer(user))).json()
    await client.post(payment["checkout_url"], data={"action": "pay"})
    await fiscal_receipts(client, payment, user)
    invoice = next(i for i in (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"]
                   if i["payment_id"] == payment["id"])
    pdf = (await client.get(f"/api/v1/invoices/{invoice['id']}.pdf", headers=bearer(user))).content
    look_at(pdf, "30-invoice")
    text = text_of(pdf)
    for expected in (f"Invoice {invoice['number']}", "OOO Kassa Demo", "STIR 305123456", "Kapitalbank",
                     user, "buyer@shop.example", "Pro plan", "IKPU 10899002001000000",
                     "50 000,00 UZS",  # the price, in Uzbek format
                     "-5 000,00 UZS",  # the promo code's discount
                     "45 000,00 UZS",  # the total paid
                     "4 821,43 UZS",  # the 12% VAT inside it
                     "12%", code, "Fiscal receipt No.", "ofd.soliq.uz/check"):
        assert expected in text, (expected, text)
    # in Russian, for the accountant in Tashkent: asked for, or the browser's language
    russian = (await client.get(f"/api/v1/invoices/{invoice['id']}.pdf?lang=ru", headers=bearer(user))).content
    look_at(russian, "32-invoice-ru")
    text = text_of(russian)
    for expected in (f"Счёт {invoice['number']}", "ПРОДАВЕЦ", "ПОКУПАТЕЛЬ", "Оплачено", "ИКПУ 10899002001000000",
                     "НДС", "в том числе НДС", "45 000,00 UZS", "Фискальный чек №", "STIR 305123456"):
        assert expected in text, (expected, text)
    browser = await client.get(f"/api/v1/invoices/{invoice['id']}.pdf",
                               headers={**bearer(user), "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert f"Счёт {invoice['number']}" in text_of(browser.content)
    wrong = await client.get(f"/api/v1/invoices/{invoice['id']}.pdf?lang=xx", headers=bearer(user))
    assert wrong.status_code == 422 and wrong.headers["content-type"] == "application/problem+json"
    # invoice.paid carries what a mailer needs to send it
    async with runtime.db.transaction() as session:
        sent = [e.data for e in (await session.execute(select(OutboxEvent).where(
            OutboxEvent.type == "invoice.paid"))).scalars() if e.data["payment_id"] == payment["id"]]
    assert len(sent) == 1 and sent[0]["number"] == invoice["number"]
    assert sent[0]["email"] == "buyer@shop.example" and sent[0]["pdf_path"] == f"/api/v1/invoices/{invoice['id']}.pdf"
    assert sent[0]["items"][0]["fiscal"]["ikpu_code"] == UZ["ikpu_code"] and sent[0]["discount_amount"] == 500_000


async def test_refunds_issue_credit_notes_numbered_in_their_own_series(
    client: httpx.AsyncClient, admin: dict[str, str], service_key: dict[str, str]
) -> None:
    shop_id = unique("web")
    await client.post("/api/v1/admin/merchants", json={"shop_id": shop_id, "provider": "stripe"}, headers=admin)
    await seller(client, admin, shop_id, legal_name="Web Shop LLC", tax_id="7701234567", tax_id_kind="INN")
    user = unique("u")
    card = (await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                              headers=bearer(user))).json()
    paid = (await client.post("/api/v1/payments", json={
        "provider": "stripe", "amount": 4_500, "currency": "EUR", "shop_id": shop_id,
        "payment_method_id": card["id"], "items": [
            {"title": "Notebook", "quantity": 3, "unit_price": 1_000},
            {"title": "Pen", "quantity": 6, "unit_price": 250}]}, headers=bearer(user))).json()
    assert paid["status"] == "succeeded", paid
    for amount in (1_000, 500):
        refunded = await client.post(f"/api/v1/payments/{paid['id']}/refunds", json={"amount": amount},
                                     headers=service_key)
        assert refunded.status_code == 201, refunded.text
    invoice = next(i for i in (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"]
                   if i["payment_id"] == paid["id"])
    notes = (await client.get(f"/api/v1/invoices/{invoice['id']}/credit-notes", headers=bearer(user))).json()
    assert [n["amount"] for n in notes] == [1_000, 500]
    first, second = (int(n["number"].rsplit("-", 1)[1]) for n in notes)
    assert second == first + 1 and notes[0]["number"].startswith("CN-")  # gap-free, its own series
    stranger = await client.get(f"/api/v1/invoices/{invoice['id']}/credit-notes", headers=bearer(unique("u")))
    assert stranger.status_code == 404

    note_pdf = await client.get(f"/api/v1/credit-notes/{notes[0]['id']}.pdf", headers=bearer(user))
    assert note_pdf.status_code == 200
    look_at(note_pdf.content, "31-credit-note")
    note = text_of(note_pdf.content)
    assert f"Credit note {notes[0]['number']}" in note and f"Corrects invoice {invoice['number']}" in note
    assert "Web Shop LLC" in note and "INN 7701234567" in note and "10.00 EUR" in note
    invoice_text = text_of((await client.get(f"/api/v1/invoices/{invoice['id']}.pdf", headers=bearer(user))).content)
    assert "Notebook" in invoice_text and "Pen" in invoice_text and "45.00 EUR" in invoice_text
    assert notes[1]["number"] in invoice_text and "-5.00 EUR" in invoice_text


def local(moment: str, zone: str) -> str:
    """A moment as an invoice prints it: in its seller's time zone, named."""
    return f"{datetime.fromisoformat(moment).astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


async def paid_purchase(client: httpx.AsyncClient, user: str, tariff: dict[str, Any], shop_id: str) -> dict[str, Any]:
    card = (await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                              headers=bearer(user))).json()
    paid = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "stripe", "shop_id": shop_id, "payment_method_id": card["id"]}, headers=bearer(user))).json()
    assert paid["status"] == "succeeded", paid
    return next(i for i in (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"]
                if i["payment_id"] == paid["id"])


async def test_an_issued_invoice_prints_what_it_was_issued_with_whatever_is_edited_later(
    client: httpx.AsyncClient, admin: dict[str, str], service_key: dict[str, str]
) -> None:
    shop_id = unique("desk")
    await client.post("/api/v1/admin/merchants", json={"shop_id": shop_id, "provider": "stripe"}, headers=admin)
    made = await seller(client, admin, shop_id, legal_name="Old Desk LLC", tax_id="305000001",
                        address="Tashkent, Bobur 1", time_zone="Asia/Tashkent")
    series = made["series"]  # made from the shop's id
    assert made["time_zone"] == "Asia/Tashkent" and series and series == shop_id.upper().replace("-", "")[:10]
    tariff = await make_tariff(client, name="Desk plan", amount=3_000, currency="EUR")
    user = unique("u")
    invoice = await paid_purchase(client, user, tariff, shop_id)
    assert invoice["number"].startswith(f"INV-{series}-")
    card = (await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                              headers=bearer(user))).json()
    lamps = (await client.post("/api/v1/payments", json={
        "provider": "stripe", "amount": 3_000, "currency": "EUR", "shop_id": shop_id, "payment_method_id": card["id"],
        "items": [{"title": "Desk lamp", "quantity": 2, "unit_price": 1_500}]}, headers=bearer(user))).json()
    assert lamps["status"] == "succeeded", lamps

    async def printed(path: str) -> str:
        answer = await client.get(path, headers=bearer(user))
        assert answer.status_code == 200, answer.text
        return text_of(answer.content)

    issued = await printed(f"/api/v1/invoices/{invoice['id']}.pdf")
    for expected in ("Old Desk LLC", "STIR 305000001", "Tashkent, Bobur 1", "Desk plan", "30.00 EUR",
                     local(invoice["issued_at"], "Asia/Tashkent")):
        assert expected in issued, (expected, issued)

    # the seller moves and renames itself, the tariff is renamed and repriced
    await seller(client, admin, shop_id, legal_name="New Desk LLC", tax_id="305000002",
                 address="Moscow, Tverskaya 2", time_zone="Europe/Moscow")
    edited = await client.patch(f"/api/v1/tariffs/{tariff['id']}", json={"name": "Desk plan XL", "amount": 4_000},
                                headers=admin)
    assert edited.status_code == 200, edited.text

    again = await printed(f"/api/v1/invoices/{invoice['id']}.pdf")
    for expected in ("Old Desk LLC", "STIR 305000001", "Tashkent, Bobur 1", "Desk plan", "30.00 EUR",
                     local(invoice["issued_at"], "Asia/Tashkent")):
        assert expected in again, (expected, again)
    for edit in ("New Desk LLC", "305000002", "Moscow", "Desk plan XL", "40.00 EUR"):
        assert edit not in again, (edit, again)

    # a credit note issued now names the seller as it is now, and what its invoice sold
    refunded = await client.post(f"/api/v1/payments/{lamps['id']}/refunds", json={"amount": 1_000},
                                 headers=service_key)
    assert refunded.status_code == 201, refunded.text
    lamp_invoice = next(i for i in (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"]
                        if i["payment_id"] == lamps["id"])
    note = (await client.get(f"/api/v1/invoices/{lamp_invoice['id']}/credit-notes", headers=bearer(user))).json()[0]
    assert note["number"].startswith(f"CN-{series}-")
    credit = await printed(f"/api/v1/credit-notes/{note['id']}.pdf")
    for expected in ("New Desk LLC", "STIR 305000002", "Desk lamp", "10.00 EUR",
                     f"Corrects invoice {lamp_invoice['number']}", local(note["issued_at"], "Europe/Moscow")):
        assert expected in credit, (expected, credit)
    assert "Old Desk LLC" in await printed(f"/api/v1/invoices/{lamp_invoice['id']}.pdf")
    await seller(client, admin, shop_id, legal_name="Newest Desk LLC")
    assert "New Desk LLC" in await printed(f"/api/v1/credit-notes/{note['id']}.pdf")

    # the next invoice: the seller and tariff of now, the next number of the seller's series
    later = await paid_purchase(client, user, tariff, shop_id)
    printed_later = await printed(f"/api/v1/invoices/{later['id']}.pdf")
    for expected in ("Newest Desk LLC", "Desk plan XL", "40.00 EUR", local(later["issued_at"], "Europe/Moscow")):
        assert expected in printed_later, (expected, printed_later)
    first, second = (int(i["number"].rsplit("-", 1)[1]) for i in (invoice, later))
    assert second == first + 2  # the lamps' invoice between them


async def test_a_sellers_series_is_its_own_and_fixed_and_its_time_zone_a_real_one(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id, other = unique("fixed"), unique("other")
    series = f"F{os.urandom(3).hex().upper()}"
    made = await seller(client, admin, shop_id, series=series)
    assert made["series"] == series and made["time_zone"] == "UTC"  # kassa's dates until now
    kept = await seller(client, admin, shop_id, legal_name="Renamed")  # left out: kept
    assert kept["series"] == series

    async def refused(key: str, **fields: Any) -> dict[str, Any]:
        answer = await client.put(f"/api/v1/admin/sellers/{key}", json={"legal_name": "X", **fields}, headers=admin)
        assert answer.headers["content-type"] == "application/problem+json", answer.text
        assert answer.status_code in (409, 422), answer.text
        result: dict[str, Any] = answer.json()
        return result

    assert (await refused(shop_id, series="G" + series[1:]))["status"] == 409  # numbers carry it
    assert (await refused(other, series=series))["status"] == 409  # another seller's
    assert (await refused(other, series="lower"))["status"] == 422
    for zone in ("Mars/Olympus", "../../etc/passwd", "Asia/Tashkent; DROP", "asia"):
        assert (await refused(other, time_zone=zone))["status"] == 422, zone
    listed = (await client.get("/api/v1/admin/sellers", headers=admin)).json()
    assert not any(s["key"] == other for s in listed)  # nothing of the refused was kept
    assert next(s for s in listed if s["key"] == shop_id)["series"] == series


async def test_two_sellers_paid_at_once_each_number_their_invoices_one_to_n(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    """Each seller has its own gap-free series a year: many payments of two sellers succeed at
    once (on PostgreSQL, truly concurrently) and each seller's invoices are its 1..n."""
    zones = {unique("north"): "Asia/Almaty", unique("south"): "Europe/Moscow"}
    series = {}
    for shop_id, zone in zones.items():
        await client.post("/api/v1/admin/merchants", json={"shop_id": shop_id, "provider": "payme"}, headers=admin)
        series[shop_id] = (await seller(client, admin, shop_id, legal_name=f"{shop_id} LLC", time_zone=zone))["series"]
    user = unique("u")
    payments = []
    for shop_id in zones:
        for _ in range(15):
            created = await client.post("/api/v1/payments", json={
                "provider": "payme", "amount": 1_000, "currency": "UZS", "shop_id": shop_id}, headers=bearer(user))
            assert created.status_code == 201, created.text
            payments.append(created.json()["id"])
    random.Random(11).shuffle(payments)

    async def succeed(payment_id: str) -> None:
        async with runtime.db.transaction() as session:
            await apply_update(session, ProviderUpdate(provider="payme", event_id=f"ok-{payment_id}",
                                                       payment_id=payment_id, status=PaymentStatus.SUCCEEDED),
                               actor=Actor.provider("payme"))

    await asyncio.gather(*(succeed(p) for p in payments))
    async with runtime.db.reading() as session:
        issued = (await session.execute(select(Invoice.seller_key, Invoice.number, Invoice.issued_at)
                                        .where(Invoice.seller_key.in_(list(zones))))).all()
    for shop_id, zone in zones.items():
        mine = [(number, at) for key, number, at in issued if key == shop_id]
        year = mine[0][1].astimezone(ZoneInfo(zone)).year
        assert {at.astimezone(ZoneInfo(zone)).year for _, at in mine} == {year}
        assert sorted(number for number, _ in mine) == [
            f"INV-{series[shop_id]}-{year}-{n:06d}" for n in range(1, 16)]


async def test_a_sellers_year_and_dates_are_its_own_time_zones(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    """New Year comes to Tashkent five hours before it comes to UTC: a payment paid at
    19:30 UTC on 31 December opens the Tashkent seller's next year's series."""
    shop_id = unique("east")
    await client.post("/api/v1/admin/merchants", json={"shop_id": shop_id, "provider": "payme"}, headers=admin)
    series = (await seller(client, admin, shop_id, time_zone="Asia/Tashkent"))["series"]
    user = unique("u")
    numbers = []
    for paid_at in (datetime(2025, 12, 31, 18, 30, tzinfo=UTC), datetime(2025, 12, 31, 19, 30, tzinfo=UTC)):
        created = (await client.post("/api/v1/payments", json={
            "provider": "payme", "amount": 1_000, "currency": "UZS", "shop_id": shop_id}, headers=bearer(user))).json()
        async with runtime.db.transaction() as session:
            await apply_update(session, ProviderUpdate(
                provider="payme", event_id=f"ok-{created['id']}", payment_id=created["id"],
                status=PaymentStatus.SUCCEEDED, occurred_at=paid_at), actor=Actor.provider("payme"))
        invoice = next(i for i in (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"]
                       if i["payment_id"] == created["id"])
        numbers.append(invoice["number"])
        printed = text_of((await client.get(f"/api/v1/invoices/{invoice['id']}.pdf", headers=bearer(user))).content)
        local_time = "2025-12-31 23:30" if paid_at.hour == 18 else "2026-01-01 00:30"
        assert f"Issued {local_time} Asia/Tashkent" in printed, printed
    assert numbers == [f"INV-{series}-2025-000001", f"INV-{series}-2026-000001"]

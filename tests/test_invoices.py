"""Invoices worth the name: seller and buyer, lines with quantity, unit price, discount and
VAT, totals in the currency's own format, the fiscal receipt's link and QR; credit notes for
refunds in their own gap-free series. The PDFs are read back as text."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
from pypdf import PdfReader
from sqlalchemy import select

from kassa.core.runtime import Runtime
from kassa.db.models import OutboxEvent
from tests.conftest import bearer, make_tariff, unique
from tests.test_fiscal import UZ, fiscal_receipts

SHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


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

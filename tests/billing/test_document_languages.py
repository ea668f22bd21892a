"""Invoices and credit notes in every language a customer reads: Russian with the credit
note's own gender, Uzbek in Latin script with its oʻ and gʻ, Kazakh; every letter they print
is in the font they print with, and a server without that font says so instead of printing
'?'."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fontTools.ttLib import TTFont

from kassa.domain.language import STATES
from kassa.services.billing import invoice_pdf
from kassa.services.billing.document_words import CATALOGUES
from tests.billing.test_invoices import look_at, seller, text_of
from tests.conftest import bearer, make_tariff, unique
from tests.payments.test_fiscal import UZ


async def _paid_and_refunded(
    client: httpx.AsyncClient, admin: dict[str, str], service_key: dict[str, str]
) -> tuple[str, dict[str, str], dict[str, str]]:
    """A tariff paid by card (its fiscal line Uzbek), partly refunded: its invoice and its
    credit note, and the buyer."""
    shop_id = unique("lang")
    await client.post("/api/v1/admin/merchants", json={"shop_id": shop_id, "provider": "stripe"},
                      headers=admin)  # fmt: skip
    await seller(client, admin, shop_id, legal_name="OOO Til", time_zone="Asia/Tashkent")
    tariff = await make_tariff(client, amount=5_000_000, currency="UZS", fiscal=UZ, name="Oʻquv kursi")
    user = unique("u")
    card = (await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                              headers=bearer(user))).json()
    paid = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "stripe", "shop_id": shop_id, "payment_method_id": card["id"]}, headers=bearer(user))).json()
    assert paid["status"] == "succeeded", paid
    refunded = await client.post(f"/api/v1/payments/{paid['id']}/refunds", json={"amount": 1_000_000},
                                 headers=service_key)
    assert refunded.status_code == 201, refunded.text
    invoice = next(i for i in (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"]
                   if i["payment_id"] == paid["id"])
    note = (await client.get(f"/api/v1/invoices/{invoice['id']}/credit-notes", headers=bearer(user))).json()[0]
    return user, invoice, note


async def test_invoices_and_credit_notes_print_in_russian_uzbek_and_kazakh(
    client: httpx.AsyncClient, admin: dict[str, str], service_key: dict[str, str]
) -> None:
    user, invoice, note = await _paid_and_refunded(client, admin, service_key)

    async def printed(path: str, language: str, name: str) -> str:
        answer = await client.get(f"{path}?lang={language}", headers=bearer(user))
        assert answer.status_code == 200, answer.text
        look_at(answer.content, name)
        return text_of(answer.content)

    invoice_pdf_path = f"/api/v1/invoices/{invoice['id']}.pdf"
    note_pdf_path = f"/api/v1/credit-notes/{note['id']}.pdf"
    russian = await printed(note_pdf_path, "ru", "41-credit-note-ru")
    # a credit note is feminine in Russian: "Кредит-нота … Выставлена", an invoice "Счёт … Выставлен"
    for expected in (f"Кредит-нота {note['number']}", "Выставлена ", f"К счёту {invoice['number']}",
                     "Возвращено", "10 000,00 UZS", "ПРОДАВЕЦ", "в том числе НДС"):
        assert expected in russian, (expected, russian)
    assert "Выставлен " in await printed(invoice_pdf_path, "ru", "40-invoice-ru")
    uzbek = await printed(invoice_pdf_path, "uz", "42-invoice-uz")
    for expected in (f"Hisobvaraq {invoice['number']}", "Yozib berilgan", "SOTUVCHI", "XARIDOR",
                     "Holati", "Qisman qaytarilgan", "Oʻquv kursi", "MXIK 10899002001000000", "QQS",
                     "shu jumladan QQS", "50 000,00 UZS", "Kredit-notalar", note["number"]):
        assert expected in uzbek, (expected, uzbek)
    assert "?" not in uzbek.replace("?lang", "")
    uzbek_note = await printed(note_pdf_path, "uz", "43-credit-note-uz")
    assert f"Kredit-nota {note['number']}" in uzbek_note and "Qaytarilgan" in uzbek_note
    kazakh = await printed(invoice_pdf_path, "kk", "44-invoice-kk")
    for expected in (f"Шот {invoice['number']}", "Жазып берілген", "САТУШЫ", "САТЫП АЛУШЫ", "Күйі",
                     "Ішінара қайтарылды", "ҚҚС", "оның ішінде ҚҚС", "Барлығы", "Кредит-ноталар"):
        assert expected in kazakh, (expected, kazakh)
    kazakh_note = await printed(note_pdf_path, "kk", "45-credit-note-kk")
    assert f"Кредит-нота {note['number']}" in kazakh_note and f"Шот бойынша {invoice['number']}" in kazakh_note
    # the browser's language, where it is one kassa prints
    browser = await client.get(invoice_pdf_path, headers={**bearer(user), "Accept-Language": "uz-UZ,uz;q=0.9"})
    assert f"Hisobvaraq {invoice['number']}" in text_of(browser.content)


def test_every_letter_a_document_prints_is_in_its_font() -> None:
    """DejaVu Sans (Debian's fonts-dejavu-core) has every letter of every document word and
    state in Russian, Uzbek and Kazakh: nothing prints as a blank box or '?'."""
    font = invoice_pdf.font_path()
    covered = set(TTFont(str(font)).getBestCmap())
    texts = [*(w for words in CATALOGUES.values() for w in words.values()),
             *(w for lang in ("ru", "uz", "kk") for w in STATES[lang].values()), "oʻ gʻ Oʻ Gʻ maʼlumot"]
    missing = sorted({c for text in texts for c in text if ord(c) not in covered})
    assert not missing, missing


async def test_a_server_without_the_font_says_so_instead_of_printing_question_marks(
    client: httpx.AsyncClient, admin: dict[str, str], service_key: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, invoice, _ = await _paid_and_refunded(client, admin, service_key)
    nowhere = (Path("/nonexistent/DejaVuSans.ttf"),)
    monkeypatch.setattr(invoice_pdf, "FONT_CANDIDATES", nowhere)
    monkeypatch.setattr(invoice_pdf.font_path, "__defaults__", (nowhere,))
    assert invoice_pdf.unprintable() is not None and "fonts-dejavu-core" in str(invoice_pdf.unprintable())
    answer = await client.get(f"/api/v1/invoices/{invoice['id']}.pdf?lang=uz", headers=bearer(user))
    assert answer.status_code == 503 and answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "service_unavailable" and "fonts-dejavu-core" in problem["detail"], problem

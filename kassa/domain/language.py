"""The languages kassa's pages and documents speak, English and Russian (operators and
customers in Tashkent, Almaty and Moscow read Russian), and the words every face shares: the
states of payments, refunds, subscriptions, invoices and deliveries, and dates in words.

English is the source text; each face keeps its own Russian catalogue. The language of what is
being rendered is a context variable, set by the face before it renders or composes a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date

LANGUAGES = {"en": "English", "ru": "Русский"}
current: ContextVar[str] = ContextVar("language", default="en")

# Every state a page or a document shows, named as a Russian accountant would name it.
# tests/test_admin_i18n.py checks that each state of kassa's enums is here.
STATES_RU: dict[str, str] = {
    # a badge reads alone, so the forms are impersonal ("оплачено", not "оплачен" or "оплачена")
    # payments and refunds
    "pending": "ожидает", "processing": "в обработке", "succeeded": "успешно",
    "partially_refunded": "возвращено частично", "refunded": "возвращено",
    "cancelled": "отменено", "failed": "не прошло",
    # subscriptions
    "trialing": "пробный период", "active": "действует", "past_due": "просрочка оплаты",
    "expired": "истекло",
    # invoices and webhook deliveries
    "paid": "оплачено", "delivered": "доставлено", "dead": "не доставлено",
}  # fmt: skip

# Months in the genitive, as a date is written in Russian ("5 декабря 2026").
MONTHS_RU = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря")  # fmt: skip
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip


def choose(saved: str | None, accept_language: str | None) -> str:
    """The reader's own choice, else the browser's first language kassa speaks."""
    if saved in LANGUAGES:
        return saved
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return "en"


def translate(catalogue: Mapping[str, str], message: str, language: str | None = None) -> str:
    """`message` in the current language; English, the source, when no Russian is known."""
    if (language or current.get()) == "ru":
        return catalogue.get(message, message)
    return message


def state(value: str | None, language: str | None = None) -> str:
    """A state as words: `past_due` → "past due" / "просрочена"."""
    if not value:
        return ""
    if (language or current.get()) == "ru" and value in STATES_RU:
        return STATES_RU[value]
    return value.replace("_", " ")


def long_date(day: date, language: str | None = None) -> str:
    """`5 December 2026` / `5 декабря 2026`: months in words, never a locale of the server."""
    months = MONTHS_RU if (language or current.get()) == "ru" else MONTHS_EN
    return f"{day.day} {months[day.month - 1]} {day.year}"

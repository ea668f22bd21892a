"""The languages kassa's pages and documents speak, and the words every face shares: the
states of payments, refunds, subscriptions, invoices and deliveries, and dates in words.

Operators (the admin) read English, Russian or Uzbek; customers (the portal, invoices and
credit notes) also Kazakh. Uzbek is written in its Latin script with oʻ and gʻ as the
alphabet has them (U+02BB MODIFIER LETTER TURNED COMMA) and the tutuq belgisi as U+02BC
(maʼlumot), never a typewriter apostrophe. English is the source text; each face keeps a
catalogue per language, keyed by the English (`context|English` where one English word is
two: "noun|Refund"). The words follow docs/glossary.md. The language of what is being
rendered is a context variable, set by the face before it renders or composes a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date

LANGUAGES = {"en": "English", "ru": "Русский", "uz": "Oʻzbekcha", "kk": "Қазақша"}
OPERATOR_LANGUAGES = ("en", "ru", "uz")  # the admin
CUSTOMER_LANGUAGES = ("en", "ru", "uz", "kk")  # the portal, invoices and credit notes
current: ContextVar[str] = ContextVar("language", default="en")

Catalogues = Mapping[str, Mapping[str, str]]  # language → English → that language

# Every state a page or a document shows, named as an accountant of each language names it.
# tests/test_admin_i18n.py checks that each state of kassa's enums is here, in each language.
# A badge reads alone, so the Russian forms are impersonal ("оплачено", not "оплачен").
STATES_RU: dict[str, str] = {
    # payments and refunds
    "pending": "ожидает", "processing": "в обработке", "succeeded": "успешно",
    "partially_refunded": "возвращено частично", "refunded": "возвращено",
    "cancelled": "отменено", "failed": "не прошло",
    # subscriptions
    "trialing": "пробный период", "active": "действует", "past_due": "просрочка оплаты",
    "expired": "истекло",
    # invoices, webhook deliveries, shops
    "paid": "оплачено", "delivered": "доставлено", "dead": "не доставлено",
    "inactive": "не действует",
    # a refund's own state, as the event trail records it
    "refund_pending": "возврат ожидает", "refund_succeeded": "возврат проведён",
    "refund_failed": "возврат не прошёл",
}  # fmt: skip
STATES_UZ: dict[str, str] = {
    "pending": "kutilmoqda", "processing": "ishlov berilmoqda", "succeeded": "muvaffaqiyatli",
    "partially_refunded": "qisman qaytarilgan", "refunded": "qaytarilgan",
    "cancelled": "bekor qilingan", "failed": "muvaffaqiyatsiz",
    "trialing": "sinov davri", "active": "faol", "past_due": "toʻlov muddati oʻtgan",
    "expired": "muddati tugagan",
    "paid": "toʻlangan", "delivered": "yetkazilgan", "dead": "yetkazilmagan",
    "inactive": "faol emas",
    "refund_pending": "qaytarish kutilmoqda", "refund_succeeded": "qaytarildi",
    "refund_failed": "qaytarish amalga oshmadi",
}  # fmt: skip
STATES_KK: dict[str, str] = {
    "pending": "күтуде", "processing": "өңделуде", "succeeded": "сәтті",
    "partially_refunded": "ішінара қайтарылды", "refunded": "қайтарылды",
    "cancelled": "күші жойылды", "failed": "сәтсіз",
    "trialing": "сынақ кезеңі", "active": "белсенді", "past_due": "төлем мерзімі өтті",
    "expired": "мерзімі аяқталды",
    "paid": "төленді", "delivered": "жеткізілді", "dead": "жеткізілмеді",
    "inactive": "белсенді емес",
    "refund_pending": "қайтару күтуде", "refund_succeeded": "қайтарылды",
    "refund_failed": "қайтару сәтсіз",
}  # fmt: skip
STATES: dict[str, dict[str, str]] = {"ru": STATES_RU, "uz": STATES_UZ, "kk": STATES_KK}

MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    # the genitive, as a date is written in Russian ("5 декабря 2026")
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),
    "uz": ("yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avgust", "sentabr",
           "oktabr", "noyabr", "dekabr"),
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз",
           "қыркүйек", "қазан", "қараша", "желтоқсан"),
}  # fmt: skip


def speaking(language: str | None = None) -> str:
    """The language asked for, else the one being rendered."""
    return language or current.get()


def choose(
    saved: str | None, accept_language: str | None, offered: tuple[str, ...] = CUSTOMER_LANGUAGES
) -> str:
    """The reader's own choice, else the browser's first language kassa offers them."""
    if saved in offered:
        return saved
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in offered:
            return tag
    return "en"


def translate(
    catalogues: Catalogues, message: str, language: str | None = None, context: str | None = None
) -> str:
    """`message` in the language; the English source where a catalogue has none (the
    tests keep every catalogue complete)."""
    words = catalogues.get(speaking(language))
    if not words:
        return message
    if context and f"{context}|{message}" in words:
        return words[f"{context}|{message}"]
    return words.get(message, message)


def state(value: str | None, language: str | None = None) -> str:
    """A state as words: `past_due` → "past due" / "просрочка оплаты"."""
    if not value:
        return ""
    words = STATES.get(speaking(language), {})
    return words.get(value) or value.replace("_", " ")


def long_date(day: date, language: str | None = None) -> str:
    """A date with its month in words, as each language writes one, never a locale of the
    server: 5 December 2026, 5 декабря 2026, 2026-yil 5-dekabr, 2026 жылғы 5 желтоқсан."""
    lang = speaking(language)
    month = MONTHS.get(lang, MONTHS["en"])[day.month - 1]
    if lang == "uz":
        return f"{day.year}-yil {day.day}-{month}"
    if lang == "kk":
        return f"{day.year} жылғы {day.day} {month}"
    return f"{day.day} {month} {day.year}"

"""The values of kassa's own lists as an operator reads them, in each language the admin
speaks: an audit record's operation and who acted, a payment's purpose, what a promo code
applies to, a fiscal receipt's kind and a fiscal line's fields. The API keeps the values
themselves (`one_off`); pages show these words. tests/test_admin_i18n.py checks that every
value of each list is here."""

from __future__ import annotations

from kassa.domain.language import speaking

TERMS: dict[str, dict[str, dict[str, str]]] = {
    "operation": {
        "create": {"en": "create", "ru": "создание", "uz": "yaratish"},
        "status": {"en": "status check", "ru": "запрос статуса", "uz": "holat soʻrovi"},
        "sync": {"en": "sync", "ru": "сверка с провайдером", "uz": "provayder bilan solishtirish"},
        "webhook": {"en": "webhook", "ru": "уведомление провайдера", "uz": "provayder xabarnomasi"},
        "cancel": {"en": "cancel", "ru": "отмена", "uz": "bekor qilish"},
        "refund": {"en": "refund", "ru": "возврат", "uz": "qaytarish"},
        "config": {"en": "configuration", "ru": "настройка", "uz": "sozlash"},
    },
    "purpose": {
        "one_off": {"en": "one-off payment", "ru": "разовый платёж", "uz": "bir martalik toʻlov"},
        "tariff": {"en": "tariff", "ru": "тариф", "uz": "tarif"},
        "wallet_topup": {"en": "wallet top-up", "ru": "пополнение кошелька",
                         "uz": "hamyonni toʻldirish"},
    },
    "applies_to": {
        "first_period": {"en": "first period", "ru": "первый период", "uz": "birinchi davr"},
        "every_period": {"en": "every period", "ru": "каждый период", "uz": "har bir davr"},
    },
    "receipt": {
        "sale": {"en": "sale", "ru": "продажа", "uz": "sotuv"},
        "refund": {"en": "refund", "ru": "возврат", "uz": "qaytarish"},
    },
    # a fiscal line's fields (Uzbekistan's IKPU set, Russia's 54-FZ set), as a page lists them
    "fiscal": {
        "ikpu_code": {"en": "IKPU", "ru": "ИКПУ", "uz": "MXIK"},
        "package_code": {"en": "package code", "ru": "код упаковки", "uz": "qadoq kodi"},
        "vat_percent": {"en": "VAT %", "ru": "НДС %", "uz": "QQS %"},
        "units": {"en": "unit code", "ru": "код единицы", "uz": "oʻlchov birligi kodi"},
        "vat_code": {"en": "VAT code", "ru": "код НДС", "uz": "QQS kodi"},
        "payment_subject": {"en": "payment subject", "ru": "предмет расчёта",
                            "uz": "hisob-kitob predmeti"},
        "payment_mode": {"en": "payment method", "ru": "способ расчёта",
                         "uz": "hisob-kitob usuli"},
    },
    # who acted: the kind of party before the colon of an audit record's actor, and the jobs
    "actor": {
        "user": {"en": "user", "ru": "пользователь", "uz": "foydalanuvchi"},
        "admin": {"en": "admin", "ru": "администратор", "uz": "administrator"},
        "service": {"en": "service", "ru": "сервис", "uz": "servis"},
        "provider": {"en": "provider", "ru": "провайдер", "uz": "provayder"},
        "system": {"en": "kassa", "ru": "kassa", "uz": "kassa"},
        "reconciler": {"en": "status checks", "ru": "проверка статусов",
                       "uz": "holatlarni tekshirish"},
        "billing": {"en": "billing", "ru": "биллинг", "uz": "billing"},
        "kassa": {"en": "kassa", "ru": "kassa", "uz": "kassa"},
    },
}  # fmt: skip


def term(kind: str, value: str | None, language: str | None = None) -> str:
    """A list's value in words: `one_off` → "one-off payment" / "разовый платёж"; a value
    the list does not have reads as itself (an id, a provider's name)."""
    if not value:
        return ""
    entry = TERMS[kind].get(value)
    if entry is None:
        return value
    return entry.get(speaking(language)) or entry["en"]


def actor(name: str | None, language: str | None = None) -> tuple[str, str]:
    """An audit record's actor as (who, which): `system:billing` → ("kassa", "billing"),
    `admin:ops@example.com` → ("admin", "ops@example.com"), `provider:payme` →
    ("provider", "payme")."""
    kind, _, which = (name or "").partition(":")
    if not which:
        return term("actor", kind, language), ""
    if kind == "system":
        return term("actor", kind, language), term("actor", which, language)
    return term("actor", kind, language), which

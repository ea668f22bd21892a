"""The words an invoice and a credit note print, in each language a customer reads them in:
Russian (as accountants in Tashkent, Almaty and Moscow file them), Uzbek (Latin script) and
Kazakh, as docs/glossary.md has each term and where it comes from. English is the source.
kassa's invoice is a bill for a paid service (счёт, hisobvaraq, шот), not the tax office's
счёт-фактура (hisobvaraq-faktura, шот-фактура), which only its electronic system issues."""

from __future__ import annotations

from kassa.domain.language import STATES, speaking

RU: dict[str, str] = {
    "Invoice": "Счёт", "Credit note": "Кредит-нота",
    # the date of issue agrees with the document: "Счёт … Выставлен", "Кредит-нота … Выставлена"
    "Invoice|Issued": "Выставлен", "Credit note|Issued": "Выставлена", "Issued": "Выставлен",
    "Corrects invoice": "К счёту", "Seller": "Продавец", "Buyer": "Покупатель",
    "Status": "Статус", "Paid": "Оплачен", "Payment": "Платёж",
    "{payment} via {provider}": "{payment} через {provider}",
    "Promo code": "Промокод", "Refunded": "Возвращено", "Description": "Наименование",
    "Qty": "Кол-во", "Unit price": "Цена", "Discount": "Скидка", "VAT": "НДС",
    "Amount": "Сумма", "no VAT": "без НДС", "Subtotal": "Итого без скидки", "Total": "Итого",
    "of which VAT": "в том числе НДС", "Credit notes": "Кредит-ноты",
    "Fiscal receipt": "Фискальный чек", "Fiscal receipt (refund)": "Фискальный чек (возврат)",
    "No.": "№", "package": "упаковка", "IKPU": "ИКПУ", "Organisation": "Организация",
    "Customer": "Клиент", "Tax id": "ИНН",
}  # fmt: skip
UZ: dict[str, str] = {
    "Invoice": "Hisobvaraq", "Credit note": "Kredit-nota",
    "Invoice|Issued": "Yozib berilgan", "Credit note|Issued": "Yozib berilgan",
    "Issued": "Yozib berilgan",
    "Corrects invoice": "Hisobvaraq boʻyicha", "Seller": "Sotuvchi", "Buyer": "Xaridor",
    "Status": "Holati", "Paid": "Toʻlangan", "Payment": "Toʻlov",
    "{payment} via {provider}": "{payment}, {provider} orqali",
    "Promo code": "Promokod", "Refunded": "Qaytarilgan", "Description": "Nomi",
    "Qty": "Soni", "Unit price": "Narxi", "Discount": "Chegirma", "VAT": "QQS",
    "Amount": "Summa", "no VAT": "QQSsiz", "Subtotal": "Chegirmasiz jami", "Total": "Jami",
    "of which VAT": "shu jumladan QQS", "Credit notes": "Kredit-notalar",
    "Fiscal receipt": "Fiskal chek", "Fiscal receipt (refund)": "Fiskal chek (qaytarish)",
    "No.": "№", "package": "qadoq", "IKPU": "MXIK", "Organisation": "Tashkilot",
    "Customer": "Mijoz", "Tax id": "STIR",
}  # fmt: skip
KK: dict[str, str] = {
    "Invoice": "Шот", "Credit note": "Кредит-нота",
    "Invoice|Issued": "Жазып берілген", "Credit note|Issued": "Жазып берілген",
    "Issued": "Жазып берілген",
    "Corrects invoice": "Шот бойынша", "Seller": "Сатушы", "Buyer": "Сатып алушы",
    "Status": "Күйі", "Paid": "Төленген", "Payment": "Төлем",
    "{payment} via {provider}": "{payment}, {provider} арқылы",
    "Promo code": "Промокод", "Refunded": "Қайтарылған", "Description": "Атауы",
    "Qty": "Саны", "Unit price": "Бірлік бағасы", "Discount": "Жеңілдік", "VAT": "ҚҚС",
    "Amount": "Сомасы", "no VAT": "ҚҚС-сыз", "Subtotal": "Жеңілдіксіз барлығы",
    "Total": "Барлығы", "of which VAT": "оның ішінде ҚҚС", "Credit notes": "Кредит-ноталар",
    "Fiscal receipt": "Фискалдық чек", "Fiscal receipt (refund)": "Фискалдық чек (қайтару)",
    "No.": "№", "package": "қаптама", "IKPU": "ИКПУ", "Organisation": "Ұйым",
    "Customer": "Клиент", "Tax id": "БСН",
}  # fmt: skip
CATALOGUES: dict[str, dict[str, str]] = {"ru": RU, "uz": UZ, "kk": KK}

# An invoice's status in English (the other languages name it as their states do).
STATUS = {"paid": "Paid", "refunded": "Refunded", "partially_refunded": "Partially refunded"}


def status_of(status: str, language: str | None = None) -> str:
    """An invoice's status as its document prints it."""
    words = STATES.get(speaking(language), {})
    if status in words:
        return words[status].capitalize()
    return STATUS.get(status, status)

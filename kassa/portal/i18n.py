"""The customer portal in English and Russian: the customer's choice (a link from
`POST /portal-sessions` with `language`, or the switch on the page, kept in a cookie), else
the browser's. English is the source text; `RU` is its Russian catalogue, kept complete by
tests/test_portal_i18n.py."""

from __future__ import annotations

from kassa.domain.language import LANGUAGES, choose, current, long_date, state, translate

__all__ = ["LANGUAGES", "RU", "choose", "current", "gettext", "long_date", "state"]

RU: dict[str, str] = {
    "Your subscriptions": "Ваши подписки", "This link has expired": "Ссылка устарела",
    "Portal links work for an hour. Open the portal again from the service you subscribe to.":
        "Ссылка действует час. Откройте кабинет снова из сервиса, на который вы подписаны.",
    "Link expired": "Ссылка устарела", "every": "каждые", "days": "дн.",
    "paid until": "оплачено до", "ended": "завершена", "Next try": "Следующая попытка",
    "Next charge": "Следующее списание", "to your saved card": "с сохранённой карты",
    "(you will be asked to pay)": "(мы попросим вас оплатить)",
    "Your last renewal did not go through. Your subscription stays on while we retry.":
        "Последнее продление не прошло. Подписка действует, пока мы пробуем снова.",
    "Pay now": "Оплатить сейчас", "Turn renewal off": "Отключить продление",
    "Turn renewal on": "Включить продление", "You have no subscriptions.": "У вас нет подписок.",
    "Saved cards": "Сохранённые карты", "Card": "Карта", "Expires": "Срок",
    "default": "основная", "Make default": "Сделать основной", "Remove": "Удалить",
    "No saved cards.": "Сохранённых карт нет.", "Invoices": "Счета", "Number": "Номер",
    "Date": "Дата", "Amount": "Сумма", "Status": "Статус", "fiscal receipt": "фискальный чек",
    "No invoices yet.": "Счетов пока нет.", "← Back": "← Назад",
    # messages after a button
    "Renewal turned on.": "Продление включено.",
    "Renewal turned off: it ends with its period.": "Продление отключено: подписка закончится "
    "вместе с оплаченным периодом.",
    "Paid: your subscription is renewed.": "Оплачено: подписка продлена.",
    "The payment did not go through ({code}).": "Платёж не прошёл ({code}).",
    "The payment is on its way: confirm it where your provider asks you to.":
        "Платёж в пути: подтвердите его там, где просит ваш платёжный сервис.",
    "Default card changed.": "Основная карта изменена.",
    "Card removed. Renewals that used it will ask you to pay.":
        "Карта удалена. Продления, которые шли с неё, попросят вас оплатить.",
    "That did not work:": "Не получилось:",
}  # fmt: skip


def gettext(message: str) -> str:
    """The message in the language of the page being rendered."""
    return translate(RU, message)

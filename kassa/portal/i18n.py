"""The customer portal in English, Russian, Uzbek and Kazakh: the customer's choice (a link
from `POST /portal-sessions` with `language`, or the switch on the page, kept in a cookie),
else the browser's. English is the source text; `RU` is its Russian catalogue, `UZ` and `KK`
(kassa.portal.i18n_uz, i18n_kk) the others, kept complete by tests/portal/test_portal.py."""

from __future__ import annotations

from kassa.domain import language
from kassa.domain.language import current, long_date, state, translate
from kassa.portal.i18n_kk import KK
from kassa.portal.i18n_uz import UZ

__all__ = ["CATALOGUES", "LANGUAGES", "RU", "choose", "current", "gettext", "long_date", "state"]

LANGUAGES = {code: language.LANGUAGES[code] for code in language.CUSTOMER_LANGUAGES}

RU: dict[str, str] = {
    "Your subscriptions": "Ваши подписки", "This link has expired": "Ссылка устарела",
    "Portal links work for an hour. Open the portal again from the service you subscribe to.":
        "Ссылка действует час. Откройте кабинет снова из сервиса, на который вы подписаны.",
    "Link expired": "Ссылка устарела", "every": "каждые", "for": "на", "days": "дн.",
    "every {n} days": "каждые {n} дн.", "for {n} days": "на {n} дн.",
    "paid until": "оплачено до", "ended": "завершена", "Next try": "Следующая попытка",
    "Next charge": "Следующее списание", "to your card": "с карты",
    "(you will be asked to pay)": "(мы попросим вас оплатить)",
    "Your last renewal did not go through. Your subscription stays on while we retry.":
        "Последнее продление не прошло. Подписка действует, пока мы пробуем снова.",
    "Pay now": "Оплатить сейчас", "Turn renewal off": "Отключить продление",
    "Pay with": "Чем оплатить", "renewals use it": "для продлений",
    "another card, on the payment page": "другая карта, на странице оплаты",
    "use this card for renewals from now on": "продлевать подписку с этой карты",
    "renewals of": "продление:",
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
    "Paid: your subscription is renewed, and renews with this card.":
        "Оплачено: подписка продлена и дальше будет продлеваться с этой карты.",
    # why a payment did not go through (kassa.portal.failures)
    "Your bank declined the card. Try another card, or ask your bank why.":
        "Банк отклонил оплату картой. Попробуйте другую карту или узнайте причину в банке.",
    "There is not enough money on the card. Top it up, or try another card.":
        "На карте недостаточно денег. Пополните её или выберите другую карту.",
    "Your bank wants you to confirm this payment yourself: choose “another card, on the "
    "payment page” and pay there.": "Банк просит вас подтвердить платёж: выберите «другая "
    "карта, на странице оплаты» и оплатите там.",
    "The card has expired. Try another card.": "Срок действия карты истёк. Выберите другую карту.",
    "The card's details were not accepted. Try another card.":
        "Данные карты не приняты. Выберите другую карту.",
    "The card's limit does not allow this payment. Try another card, or ask your bank.":
        "Лимит карты не позволяет этот платёж. Выберите другую карту или обратитесь в банк.",
    "The payment could not be made just now. Please try again in a few minutes.":
        "Сейчас провести платёж не удалось. Попробуйте ещё раз через несколько минут.",
    "The payment did not go through. Try another card, or try again later.":
        "Платёж не прошёл. Выберите другую карту или попробуйте позже.",
    # what a service refuses, in its words
    "payment method not found": "карта не найдена", "subscription not found": "подписка не найдена",
    "there is nothing to pay for this subscription now":
        "по этой подписке сейчас нечего оплачивать",
    "there is no card or provider to pay this subscription with":
        "для этой подписки нет ни карты, ни платёжного сервиса",
    "The payment is on its way: confirm it where your provider asks you to.":
        "Платёж в пути: подтвердите его там, где просит ваш платёжный сервис.",
    "Default card changed.": "Основная карта изменена.",
    "Card removed. Renewals that used it will ask you to pay.":
        "Карта удалена. Продления, которые шли с неё, попросят вас оплатить.",
    "That did not work:": "Не получилось:",
}  # fmt: skip


CATALOGUES = {"ru": RU, "uz": UZ, "kk": KK}


def gettext(message: str) -> str:
    """The message in the language of the page being rendered."""
    return translate(CATALOGUES, message)


def choose(saved: str | None, accept_language: str | None) -> str:
    """The customer's own choice, else the browser's first language the portal speaks."""
    return language.choose(saved, accept_language, language.CUSTOMER_LANGUAGES)

"""The admin UI in English, Russian and Uzbek (operators in Tashkent, Almaty and Moscow),
chosen per operator. English is the source text; `RU` is its Russian catalogue and `UZ`
(kassa.admin.i18n_uz) its Uzbek one, for the pages and for the messages shown after a button
(composed in the operator's language before the redirect). A template says
`{{ _("Payments") }}`, `{{ state(p.status) }}`, `{{ term("purpose", p.purpose) }}` and
`{{ note(e.error_message) }}`; tests/test_admin_i18n.py keeps every text translated."""

from __future__ import annotations

from kassa.admin.i18n_uz import UZ
from kassa.domain import language, refusals, vocabulary
from kassa.domain.language import current, state, translate

__all__ = [
    "CATALOGUES",
    "LANGUAGES",
    "RU",
    "UZ",
    "choose",
    "current",
    "gettext",
    "state",
]

LANGUAGES = {code: language.LANGUAGES[code] for code in language.OPERATOR_LANGUAGES}

RU: dict[str, str] = {
    # navigation and frame
    "Dashboard": "Обзор", "Payments": "Платежи", "Subscriptions": "Подписки",
    "Customers": "Клиенты", "Tariffs": "Тарифы", "Promo codes": "Промокоды",
    "Shops": "Магазины", "Sellers": "Продавцы", "Audit log": "Журнал аудита",
    "Webhooks": "Вебхуки", "Log out": "Выйти", "Log in": "Войти", "kassa admin": "kassa: вход",
    "E-mail": "E-mail", "Password": "Пароль", "Language": "Язык",
    # common words
    "Search": "Поиск", "Filter": "Найти", "Status": "Статус", "Provider": "Провайдер",
    "Shop": "Магазин", "From": "С", "To": "По", "Show": "Показать", "any": "любой",
    "Created": "Создан", "Payment": "Платёж", "User": "Пользователь", "Amount": "Сумма",
    "Customer": "Клиент", "Tariff": "Тариф", "Period": "Период", "Next": "Далее",
    "Renews": "Продлевается", "Cancel": "Отменить", "Name": "Название", "Price": "Цена",
    "Currency": "Валюта", "Days": "Дней", "Trial days": "Пробных дней", "Group": "Группа",
    "Save": "Сохранить", "Id": "Id", "Active": "Активен", "Billing": "Оплата",
    "Code": "Код", "Discount": "Скидка", "Value": "Значение", "Limit": "Лимит",
    "Expires": "Истекает", "Every period": "Каждый период", "Redeemed": "Использован",
    "Applies to": "Действует", "Description": "Описание", "Date": "Дата", "Kind": "Вид",
    "Receipt": "Чек", "Check": "Проверка", "Count": "Количество", "Day": "День",
    "Succeeded": "Успешно", "Failure code": "Код ошибки", "Refund": "Вернуть",
    "Refunded": "Возвращено", "Refunds": "Возвраты", "Reason": "Причина", "Note": "Пометка",
    "Started by": "Инициатор", "Provider's id": "Id у провайдера", "Credit note": "Кредит-нота",
    "At": "Время", "Operation": "Операция", "Actor": "Кто", "Error": "Ошибка",
    "Request": "Запрос", "Shop / BIN": "Магазин / БИН", "BIN": "БИН", "Card": "Карта",
    "Default": "Основная", "Until": "До", "Open": "Открыть", "None.": "Нет.",
    "none": "нет", "now": "сейчас", "Remove": "Удалить", "Event": "Событие",
    "Delivery": "Доставка", "Attempts": "Попыток", "Last answer": "Последний ответ",
    "Redeliver": "Доставить снова", "URL": "URL", "Address": "Адрес", "Contacts": "Контакты",
    "Bank": "Банк", "Bank details": "Банковские реквизиты", "Legal name": "Юр. название",
    "Tax id": "ИНН / СТИР / БИН", "Phone": "Телефон", "For": "Для", "Lines": "Позиции",
    "Qty": "Кол-во", "Unit price": "Цена за ед.", "Fiscal": "Фискальные данные",
    "Fiscal receipts": "Фискальные чеки", "open the receipt": "открыть чек",
    "Event trail": "История событий", "Credentials": "Ключи", "Device token": "Токен устройства",
    "Organisation BIN": "БИН организации", "Shop id": "Id магазина",
    "Test payment": "Тестовый платёж", "Create shop": "Создать магазин",
    "Create tariff": "Создать тариф", "Create code": "Создать код",
    "Add endpoint": "Добавить адрес", "Save seller": "Сохранить продавца",
    # pages
    "Success rate": "Доля успешных", "Median time to success": "Медиана до оплаты",
    "Subscriptions active / past due": "Подписки: активные / просроченные",
    "Webhooks applied / duplicates ignored": "Вебхуки: применены / повторы пропущены",
    "Webhooks refused": "Вебхуки отклонены",
    "Outbox pending / dead": "Исходящие: в очереди / не доставлены",
    "Payments per day (all, succeeded)": "Платежи по дням (все, успешные)",
    "Revenue per day, net of refunds": "Выручка по дням за вычетом возвратов",
    "Export CSV": "Выгрузить CSV", "No payments.": "Платежей нет.", "older →": "раньше →",
    "Open the checkout page": "Открыть страницу оплаты",
    "Refund in the sandbox cabinet": "Вернуть в кабинете песочницы",
    "Advance the clock": "Перевести часы", "Sandbox billing time:": "Время биллинга песочницы:",
    "at period end": "в конце периода", "No subscriptions.": "Подписок нет.",
    "User or organisation id": "Id пользователя или организации",
    "Saved cards": "Сохранённые карты", "Subscription": "Подписка",
    "All tariffs": "Все тарифы", "Its subscriptions": "Его подписки",
    "percent off": "скидка в процентах", "amount off": "скидка суммой",
    "Currency (amount off)": "Валюта (для суммы)", "No promo codes.": "Промокодов нет.",
    "Per customer": "На клиента",
    "Per customer: the purchases one customer may hold with the code; left empty, 1 for a "
    "first-period code and any number for an every-period one.": "На клиента: сколько покупок "
    "с кодом может быть у одного клиента; если пусто, 1 для кода на первый период и без "
    "ограничений для кода на каждый период.",
    "20 or 5 000,00": "20 или 5 000,00",
    "Percent off is a whole number; an amount off is typed in its currency, as prices are "
    "(5 000,00 UZS).": "Скидка в процентах: целое число; скидка суммой: в её валюте, как цены "
    "(5 000,00 UZS).",
    "every shop (default)": "все магазины (по умолчанию)",
    "No sellers yet: invoices name INVOICE_SELLER only.":
        "Продавцов пока нет: в счетах только INVOICE_SELLER.",
    "Printed on invoices and credit notes: a shop's own details, else the default seller's.":
        "Печатаются в счетах и корректировочных документах: данные магазина, иначе продавца "
        "по умолчанию.",
    "No shops yet.": "Магазинов пока нет.", "Downstream webhooks": "Исходящие вебхуки",
    "Signing secret (shown once):": "Секрет подписи (показывается один раз):",
    "Events (comma-separated, empty: all)": "События (через запятую, пусто: все)",
    "no deliveries yet": "доставок пока нет",
    "the last 14 days": "последние 14 дней", "Revenue": "Выручка",
    "net of refunds": "за вычетом возвратов",
    "payments": "платежей", "page": "страница", "of": "из",
    "id, provider id or user": "id, id у провайдера или пользователь",
    "failed renewals": "неудачных продлений",
    "Renewals per day (renewed, failed)": "Продления по дням (успешные, неудачные)",
    "succeeded": "успешных", "renewed": "продлено", "failed": "не прошло",
    "Time": "Время",
    # payment detail, tariffs, sellers, shops, subscriptions
    "organisation": "организация", "shop": "магазин", "Purpose": "Назначение",
    "one_off": "разовый платёж", "tariff": "тариф", "wallet_topup": "пополнение кошелька",
    "paid": "оплачен", "Invoice": "Счёт", "Promo code": "Промокод", "discount": "скидка",
    "renewal for period": "продление за период", "Failure": "Ошибка",
    "Refund it in the sandbox cabinet?": "Вернуть в кабинете песочницы?",
    "Amount in": "Сумма в", "empty: the rest,": "пусто: весь остаток,",
    "why the money goes back": "почему деньги возвращаются",
    "Cancel this payment?": "Отменить этот платёж?", "Wallet": "Кошелёк",
    "renewal": "продление", "← newer": "← новее", "every shop": "все магазины",
    "digits": "цифры", "days ahead": "дней вперёд",
    "Subscriptions shown (newest 200):": "Показано подписок (новейшие 200):",
    "active": "активен", "inactive": "не активен", "fiscal": "фискальные данные",
    "renews": "продлевается", "once": "разово", "trial days": "пробных дней",
    "yes": "да", "no": "нет", "Remove this endpoint?": "Удалить этот адрес?",
    "letters, digits, dots, colons, hyphens and underscores":
        "буквы, цифры, точки, двоеточия, дефисы и подчёркивания",
    "12 digits": "12 цифр", "from": "из", "default": "основная",
    "Series": "Серия", "Time zone": "Часовой пояс", "from the shop's id": "из id магазина",
    "A document keeps the seller it was issued with. Each seller numbers its own documents, a "
    "series a year (INV-SERIES-2026-000001), dated in its time zone; a series is fixed once "
    "set.": "Документ хранит продавца, с которым он выставлен. Каждый продавец нумерует свои "
    "документы сам, по серии в год (INV-СЕРИЯ-2026-000001), с датами в своём часовом поясе; "
    "серия после задания не меняется.",
    # messages after a button (tests/test_admin_i18n.py finds each in the views)
    "Cancelled at the period's end.": "Отменена: действует до конца периода.",
    "Ended.": "Завершена.", "Give 1 to 400 days (sandbox only).": "Укажите от 1 до 400 дней "
    "(только в песочнице).", "Billing time is now {now} UTC.": "Время биллинга: {now} UTC.",
    "A code is 3 to 64 letters, digits, - or _.": "Код: от 3 до 64 букв, цифр, - или _.",
    "Percent off is a whole number from 1 to 100.": "Скидка в процентах: целое число от 1 до 100.",
    "An amount off is more than zero.": "Скидка суммой должна быть больше нуля.",
    "The limit is a whole number.": "Лимит: целое число.",
    "The limit per customer is a whole number from 1.": "Лимит на клиента: целое число от 1.",
    "The expiry is a date, YYYY-MM-DD.": "Срок: дата в виде ГГГГ-ММ-ДД.",
    "An amount off needs its currency.": "Для скидки суммой нужна валюта.",
    "Promo code {code} created.": "Промокод {code} создан.",
    "A seller needs its legal name.": "Нужно юридическое название продавца.",
    "A tax id (INN, STIR, BIN) is 9 to 12 digits.": "ИНН / СТИР / БИН: от 9 до 12 цифр.",
    "Seller for {shop} saved.": "Продавец для {shop} сохранён.",
    "Seller for every shop saved.": "Продавец для всех магазинов сохранён.",
    "The sign-in form expired; please try again.": "Форма входа устарела, попробуйте ещё раз.",
    "Wrong e-mail or password. After several failures, wait a little and retry.":
        "Неверный e-mail или пароль. После нескольких ошибок подождите немного и повторите.",
    "Only sandbox payments refunded in a cabinet.":
        "В кабинете возвращаются только платежи песочницы.",
    "The sandbox cabinet could not refund it.": "Кабинет песочницы не смог вернуть платёж.",
    "Refunded in the sandbox cabinet.": "Возвращено в кабинете песочницы.",
    "No such payment.": "Такого платежа нет.",
    "Type the amount in {currency}, like {example}.":
        "Укажите сумму в {currency}, например {example}.",
    "{currency} has {decimals} decimal places: {typed} has more.":
        "У {currency} знаков после запятой: {decimals}, а в {typed} больше.",
    "{currency} is not a currency kassa knows.": "Валюты {currency} kassa не знает.",
    "Refunded {amount} ({status}).": "Возврат {amount} ({status}).",
    "Cancelled.": "Отменено.",
    "A name, a price in its currency, days, and 0 to 365 trial days.":
        "Название, цена в валюте тарифа, дни и от 0 до 365 пробных дней.",
    "Tariff created.": "Тариф создан.", "No such tariff.": "Такого тарифа нет.",
    "Tariff saved. Subscriptions renew at the new price from their next period.":
        "Тариф сохранён. Подписки продлятся по новой цене со следующего периода.",
    "A shop id and a provider are needed.": "Нужны id магазина и провайдер.",
    "Shop {shop} created.": "Магазин {shop} создан.",
    "Test payment created: open its checkout page.":
        "Тестовый платёж создан: откройте страницу оплаты.",
    "An http(s) URL is needed.": "Нужен адрес http(s).", "Endpoint removed.": "Адрес удалён.",
    "Queued for redelivery.": "Поставлено на повторную доставку.",
    # what a service refuses: the error's title, and the details an operator meets most
    "Invalid request": "Неверные данные", "Not found": "Не найдено", "Not allowed": "Нельзя",
    "Invalid state": "Нельзя в этом состоянии", "Payment provider error": "Ошибка провайдера",
    "Internal error": "Внутренняя ошибка", "Too many requests": "Слишком много запросов",
    "tariff not found": "тариф не найден", "subscription not found": "подписка не найдена",
    "shop not found": "магазин не найден", "payment method not found": "карта не найдена",
    "webhook endpoint not found": "адрес вебхука не найден",
    "delivery not found": "доставка не найдена",
    # the refund-id column names a refund, the button beside a payment does one
    "noun|Refund": "Возврат",
    "card": "карта", "never": "бессрочно", "all": "все", "Activate": "Включить",
    "Deactivate": "Отключить", "no: ends": "нет: завершится", "asks customer": "просит клиента",
    "{n} d": "{n} дн.", "{n} s": "{n} с", "MRR": "MRR",
    # the providers' own settings, as their plug-ins name them
    "Service id": "Id сервиса", "Merchant id": "Id мерчанта",
    "Merchant user id": "Id пользователя мерчанта", "Secret key": "Секретный ключ",
    "Checkout address": "Адрес страницы оплаты", "Merchant API address": "Адрес Merchant API",
    "Gateway access token": "Токен доступа к шлюзу", "Merchant API key": "Ключ Merchant API",
    "54-FZ receipts (on/off)": "Чеки по 54-ФЗ (on/off)",
    "Payme checkout payments are refunded in the Payme merchant cabinet; Payme then calls "
    "CancelTransaction and kassa records the refund.": "Платежи через страницу Payme "
    "возвращают в кабинете мерчанта Payme; затем Payme вызывает CancelTransaction, и kassa "
    "записывает возврат.",
}  # fmt: skip

CATALOGUES = {"ru": RU, "uz": UZ}


def gettext(message: str, context: str | None = None) -> str:
    """The message in the language of the page being rendered; `context` tells one English
    word used two ways apart ("noun" for the Refund column, the button is the verb)."""
    return translate(CATALOGUES, message, context=context)


def choose(saved: str | None, accept_language: str | None) -> str:
    """The operator's own choice, else the browser's first language the admin speaks."""
    return language.choose(saved, accept_language, language.OPERATOR_LANGUAGES)


def term(kind: str, value: str | None) -> str:
    """A value of one of kassa's lists in words (kassa.domain.vocabulary)."""
    return vocabulary.term(kind, value)


def actor(name: str | None) -> tuple[str, str]:
    """An audit record's actor as (who, which), in words."""
    return vocabulary.actor(name)


def note(text: str | None, source: str = "provider") -> str:
    """An event note, a failure message or a delivery's last error in words: kassa's own
    translated, a provider's (or an endpoint's) quoted as its answer (kassa.domain.refusals)."""
    return refusals.note(text, source=source)


def refusal(code: str, title: str, detail: str) -> str:
    """What a service refused, in the operator's language, never English under a heading."""
    return refusals.refusal(code, title, detail)


def days(n: int) -> str:
    """A number of days, short: "30 d", "30 дн.", "30 kun"."""
    return gettext("{n} d").format(n=n)


def seconds(value: float) -> str:
    """A duration in seconds with one decimal, as the language writes it: "34.1 s", "34,1 с"."""
    number = f"{value:.1f}"
    if current.get() != "en":
        number = number.replace(".", ",")
    return gettext("{n} s").format(n=number)

"""The admin UI in English and Russian (operators in Tashkent and Almaty read Russian), chosen
per operator. English is the source text; `RU` is its Russian catalogue. A template says
`{{ _("Payments") }}`; the language of the request being rendered is a context variable,
set before the template renders. tests/test_admin_i18n.py keeps every text translated."""

from __future__ import annotations

from contextvars import ContextVar

LANGUAGES = {"en": "English", "ru": "Русский"}
current: ContextVar[str] = ContextVar("admin_language", default="en")

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
    "Webhooks applied / not": "Вебхуки: применены / нет",
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
}  # fmt: skip


def gettext(message: str) -> str:
    """The message in the language of the page being rendered."""
    if current.get() == "ru":
        return RU.get(message, message)
    return message


def choose(saved: str | None, accept_language: str | None) -> str:
    """The operator's own choice, else the browser's first language kassa speaks."""
    if saved in LANGUAGES:
        return saved
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return "en"

"""The Payme Merchant API's vocabulary: states, reasons, error codes and their messages.

Pure values only; `inbound` maps the methods onto the engine for inverted providers
(`kassa.services.payments.inverted`), which keeps the transactions.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from kassa.domain.inverted import TxState

TIMEOUT_MS = 43_200_000  # 12 h after Payme's creation time, a state-1 transaction is void
MAX_TIMESTAMP_MS = 10**13  # thirteen digits, as Payme's Timestamp type


# Payme's transaction graph (Merchant API, "Transaction states",
# https://developer.help.paycom.uz/metody-merchant-api/): created (1) is performed (2) or
# cancelled (-1); a performed one can only be cancelled as a refund (-2); -1 and -2 are final.
# Payme's numbers are the engine's own states (`TxState`: OPEN 1, COMPLETED 2, CANCELLED -1,
# CANCELLED_AFTER_COMPLETE -2), which the engine moves along exactly these arrows.
TX_MOVES: dict[TxState, frozenset[TxState]] = {
    TxState.OPEN: frozenset({TxState.COMPLETED, TxState.CANCELLED}),
    TxState.COMPLETED: frozenset({TxState.CANCELLED_AFTER_COMPLETE}),
    TxState.CANCELLED: frozenset(),
    TxState.CANCELLED_AFTER_COMPLETE: frozenset(),
}


class CancelReason(IntEnum):
    RECEIVER_NOT_FOUND = 1
    DEBIT_FAILED = 2
    EXECUTION_FAILED = 3
    TIMEOUT = 4
    REFUND = 5
    UNKNOWN = 10


REASON_TEXT = {
    1: "a receiver was not found or is inactive in Payme Business",
    2: "debit failed at the processing centre",
    3: "transaction execution failed",
    4: "cancelled by timeout",
    5: "refund",
    10: "unknown error",
}

MESSAGES: dict[int, dict[str, str]] = {
    -32300: {"ru": "Метод запроса не POST", "uz": "So'rov usuli POST emas",
             "en": "Request method is not POST"},
    -32700: {"ru": "Ошибка парсинга JSON", "uz": "JSON tahlilida xatolik", "en": "Parse error"},
    -32600: {"ru": "Отсутствуют обязательные поля в RPC-запросе или тип полей не соответствует "
                   "спецификации", "uz": "RPC so'rovida majburiy maydonlar yo'q yoki turi noto'g'ri",
             "en": "Invalid JSON-RPC object"},
    -32601: {"ru": "Запрашиваемый метод не найден", "uz": "So'ralgan usul topilmadi",
             "en": "Method not found"},
    -32602: {"ru": "Неверные параметры", "uz": "Noto'g'ri parametrlar", "en": "Invalid params"},
    -32504: {"ru": "Недостаточно привилегий для выполнения метода",
             "uz": "Usulni bajarish uchun huquqlar yetarli emas",
             "en": "Insufficient privilege to perform this method"},
    -32400: {"ru": "Внутренняя ошибка сервиса", "uz": "Tizimda xatolik yuzaga keldi",
             "en": "Internal service error"},
    -32001: {"ru": "Чек не найден", "uz": "Chek topilmadi", "en": "Receipt not found"},
    -31001: {"ru": "Неверная сумма", "uz": "Noto'g'ri summa", "en": "Incorrect amount"},
    -31003: {"ru": "Транзакция не найдена", "uz": "Tranzaksiya topilmadi",
             "en": "Transaction not found"},
    -31007: {"ru": "Невозможно отменить транзакцию. Товар или услуга предоставлена потребителю "
                   "в полном объеме", "uz": "Tranzaksiyani bekor qilib bo'lmaydi. Xizmat to'liq "
                   "ko'rsatilgan", "en": "Could not cancel transaction. Order is delivered"},
    -31008: {"ru": "Невозможно выполнить операцию", "uz": "Amalni bajarib bo'lmaydi",
             "en": "Could not perform this operation"},
    -31050: {"ru": "Неверный код заказа", "uz": "Harid kodida xatolik", "en": "Incorrect order code"},
    -31051: {"ru": "Заказ уже оплачен или закрыт", "uz": "Buyurtma allaqachon to'langan yoki yopilgan",
             "en": "Order is already paid or closed"},
    -31052: {"ru": "Заказ ожидает оплаты в другой транзакции",
             "uz": "Buyurtma boshqa tranzaksiyada to'lovni kutmoqda",
             "en": "Order is awaiting payment in another transaction"},
    -31053: {"ru": "Неверный период", "uz": "Noto'g'ri davr", "en": "Incorrect period"},
    -31054: {"ru": "Неверный пароль", "uz": "Noto'g'ri parol", "en": "Incorrect password"},
}  # fmt: skip

NOT_POST = -32300
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INSUFFICIENT_PRIVILEGE = -32504
SYSTEM_ERROR = -32400
RECEIPT_NOT_FOUND = (
    -32001
)  # SetFiscalData for an unknown receipt (payme-details.md § SetFiscalData)
WRONG_AMOUNT = -31001
TX_NOT_FOUND = -31003
CANNOT_CANCEL = -31007
CANNOT_PERFORM = -31008
ORDER_NOT_FOUND = -31050
ORDER_NOT_PAYABLE = -31051
ORDER_AWAITING_PAYMENT = -31052
BAD_PERIOD = -31053
BAD_PASSWORD = -31054


class PaymeError(Exception):
    """An error Payme expects in the JSON-RPC body (always with HTTP 200)."""

    def __init__(self, code: int, data: Any = None) -> None:
        super().__init__(code)
        self.code = code
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": MESSAGES[self.code]}
        if self.data is not None:
            error["data"] = self.data
        return error


def require_int(params: dict[str, Any], name: str, *, positive: bool = True) -> int:
    """Payme's Amount and Timestamp: JSON integers (never bools, floats or strings)."""
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PaymeError(INVALID_REQUEST, name)
    if positive and value <= 0:
        raise PaymeError(INVALID_REQUEST, name)
    if abs(value) >= 2**63:
        raise PaymeError(INVALID_REQUEST, name)
    return value


def require_str(params: dict[str, Any], name: str, *, max_length: int = 64) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise PaymeError(INVALID_REQUEST, name)
    return value


def require_account(params: dict[str, Any], field: str) -> str:
    account = params.get("account")
    if not isinstance(account, dict):
        raise PaymeError(INVALID_REQUEST, "account")
    value = account.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > 64:
        raise PaymeError(ORDER_NOT_FOUND, field)
    return value

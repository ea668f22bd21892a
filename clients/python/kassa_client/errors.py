"""kassa's RFC 9457 problem answers as an exception."""

from __future__ import annotations

from typing import Any


class KassaError(Exception):
    """A problem answer: `status` (HTTP), `code` (kassa's stable code: validation_error,
    not_found, invalid_state, …), `detail` (for people)."""

    def __init__(self, status: int, code: str, detail: str, body: dict[str, Any] | None = None):
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.body = body or {}

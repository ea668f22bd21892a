"""Who and what asked for an operation, carried into audit records and logs."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

request_id_var: ContextVar[str | None] = ContextVar("kassa_request_id", default=None)


@dataclass(frozen=True, slots=True)
class Actor:
    """The party an audit record names: `user:42`, `service:crm`, `provider:stripe`."""

    name: str

    @classmethod
    def provider(cls, provider: str) -> Actor:
        return cls(f"provider:{provider}")

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(f"system:{job}")


def current_request_id() -> str | None:
    return request_id_var.get()

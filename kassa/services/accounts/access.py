"""Object-level access: who may see or act on what. A foreign object is 'not found'."""

from __future__ import annotations

from typing import Protocol, TypeVar

from kassa.core.security import Principal
from kassa.db.models import Payment
from kassa.domain.errors import Forbidden, NotFound, ValidationFailed


class Owned(Protocol):
    """What access reads of a payment: a `Payment`, or a row of its columns."""

    @property
    def user_id(self) -> str: ...

    @property
    def organization_id(self) -> str | None: ...


_O = TypeVar("_O", bound=Owned)


def can_view_payment(principal: Principal, payment: Owned) -> bool:
    if principal.is_privileged or payment.user_id == principal.subject:
        return True
    return payment.organization_id is not None and payment.organization_id in principal.orgs


def ensure_can_view(principal: Principal, payment: _O | None) -> _O:
    if payment is None or not can_view_payment(principal, payment):
        raise NotFound("payment not found")
    return payment


def ensure_can_act(principal: Principal, payment: Payment | None) -> Payment:
    """Cancel and sync: the owner, admins and services."""
    payment = ensure_can_view(principal, payment)
    if not (principal.is_privileged or payment.user_id == principal.subject):
        raise Forbidden("only the payment's owner may do this")
    return payment


def ensure_privileged(principal: Principal, what: str) -> None:
    if not principal.is_privileged:
        raise Forbidden(f"only admins and services may {what}")


def ensure_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("admin role required")


def ensure_org_member(principal: Principal, organization_id: str) -> None:
    """Organisation objects of other organisations do not exist for the caller."""
    if not principal.is_privileged and organization_id not in principal.orgs:
        raise NotFound("organization not found")


def acting_for(principal: Principal, user_id: str | None, what: str) -> str:
    """The user a request makes `what` for: the caller, or the user a service or admin
    names with `user_id` (which only they may name)."""
    if principal.is_privileged:
        if not user_id:
            raise ValidationFailed(f"user_id is required when a service or admin creates {what}")
        return user_id
    if user_id and user_id != principal.subject:
        raise Forbidden(f"only services may create {what} for another user")
    return principal.subject

"""Every provider's calls to kassa as one path. The provider's package verifies and reads
the raw request: an inverted provider's call (Payme, Click) goes to the engine
(`inverted`) and the package writes the outcome back in its protocol; a pushing provider's
event is applied (Stripe's, signed) or the payment re-read first (YooKassa's, unsigned)."""

from __future__ import annotations

from dataclasses import replace

from kassa.core.context import Actor
from kassa.core.logging import describe_exception, get_logger
from kassa.domain.errors import NotFound, ProviderError
from kassa.domain.inverted import InvertedCall, Outcome, Refusal
from kassa.domain.updates import ProviderUpdate
from kassa.providers import plugins
from kassa.providers.base import (
    InboundRequest,
    InvertedInbound,
    ProviderContext,
    Reply,
    Reread,
    TransactionRules,
    provides,
)
from kassa.runtime import Runtime
from kassa.services.accounts import payment_methods
from kassa.services.payments import inverted, provider_keys
from kassa.services.payments import service as payments
from kassa.services.payments.pushed_updates import apply_unlocked
from kassa.services.payments.updates import apply_update

log = get_logger(__name__)


async def handle(rt: Runtime, provider: str, request: InboundRequest) -> Reply:
    """The provider's answer to its call. Raises NotConfigured when its credentials are
    missing (the caller answers 503: the provider retries)."""
    found = plugins.plugin(provider)
    assert found is not None and found.inbound is not None
    credentials = rt.providers.default_credentials(provider)
    try:
        rotated = await provider_keys.rotated_key(rt, provider)
        unavailable = False
    except Exception as exc:  # the database is down: answered below, once the call is read
        log.error("inbound.keys_unavailable", provider=provider, **describe_exception(exc))
        rotated, unavailable = None, True
    if rotated is not None:
        credentials = replace(credentials, values={**credentials.values, "secret_key": rotated})
    side = found.inbound(ProviderContext(rt.settings, credentials, rt.http, rt.providers.kept))
    call = side.read(request)
    if isinstance(call, Reply):
        return call
    if isinstance(call, ProviderUpdate | Reread):
        return await _pushed(rt, provider, call)
    assert provides(side, InvertedInbound)
    if unavailable:
        return side.failed(call)
    try:
        if call.kind == "rotate_key":
            outcome = await _rotate(rt, call, credentials.values.get("secret_key"))
        else:
            outcome = await inverted.execute(
                rt,
                call,
                timeout_ms=side.timeout_ms,
                timeout_reason=side.timeout_reason,
                rule=side.transaction_problem if provides(side, TransactionRules) else None,
            )
    except Exception as exc:
        # the provider's protocol answers even a fault of ours in its own words
        log.error("inbound.failed", provider=provider, **describe_exception(exc))
        return side.failed(call)
    return side.answer(call, outcome)


async def _pushed(rt: Runtime, provider: str, signal: ProviderUpdate | Reread) -> Reply:
    """A pushing provider's event: applied as it is (a signed event), or the payment re-read
    from the provider first (a notification nobody signed). Acknowledged with what it did."""
    actor = Actor.provider(provider)
    if isinstance(signal, ProviderUpdate):
        try:
            result = None
            if rt.db.compares_and_sets:  # a compare-and-set first; under the lock when it cannot
                result = await apply_unlocked(rt.db, signal, actor=actor, operation="webhook")
            if result is None:
                async with rt.db.transaction() as session:
                    result = await apply_update(session, signal, actor=actor, operation="webhook")
        except NotFound:
            return Reply(body={"received": True, "ignored": "unknown payment"})
        await _describe_saved_card(rt, provider, signal)
        return Reply(body={"received": True, "outcome": result.outcome.value})
    payment = await payments.find_by_provider_id(rt, provider, signal.provider_payment_id)
    if payment is None:
        log.info("inbound.unknown_payment", provider=provider)
        return Reply(body={"received": True, "ignored": "unknown payment"})
    try:
        reread = await payments.reread(
            rt, payment, actor=actor, operation="webhook", what="re-read failed"
        )
    except ProviderError:
        # not acknowledged: the provider retries, and the reconciler asks again meanwhile
        detail = f"{provider} could not be asked; retry"
        return Reply(status=503, problem=("provider_error", "Provider unavailable", detail))
    except NotFound:
        return Reply(body={"received": True, "ignored": "unknown payment"})
    assert reread is not None  # a provider that pushes notifications is always asked
    return Reply(
        body={"received": True, "outcome": reread.outcome.value, "status": reread.payment.status}
    )


async def _describe_saved_card(rt: Runtime, provider: str, signal: ProviderUpdate) -> None:
    """A card the payment saved, named by the event without its details (Stripe's events
    carry the PaymentMethod's id only): described now, so it shows right after paying."""
    saved = signal.saved_method
    if saved is None or saved.last4:
        return
    try:
        await payment_methods.describe_now(rt, provider, saved.token)
    except Exception as exc:  # the payment is applied: the describing job tries again later
        log.warning("inbound.card_not_described", provider=provider, **describe_exception(exc))


async def _rotate(rt: Runtime, call: InvertedCall, current: str | None) -> Outcome:
    key = str(call.data["key"])
    if key == current:
        return Outcome(refusal=Refusal.KEY_UNCHANGED)
    await provider_keys.rotate(rt, call.provider, str(call.data.get("account", "")), key)
    return Outcome()

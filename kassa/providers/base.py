"""The Protocol every provider implements, the plain values it exchanges, and the
`ProviderPlugin` a provider package declares itself with.

Providers receive `PaymentRequest` values (never ORM rows) and answer with
`ProviderPayment`, `ProviderRefund` or a `ProviderUpdate`; failures are `ProviderFailure`.
A package's plugin.py says everything the rest of kassa derives from it (its settings, its
credentials, the shop form, what a payment needs, its webhook route, its emulator) without
loading its code: `factory`, `inbound` and `emulator` import it on first use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeGuard, TypeVar, cast, runtime_checkable

import httpx

from kassa.core.declared import Declared
from kassa.core.settings import Settings
from kassa.domain.fiscal import Line
from kassa.domain.inverted import InvertedCall, Outcome, Refusal, StoredTx
from kassa.domain.states import BASE_GRAPH, PaymentStatus, StateGraph
from kassa.domain.updates import ProviderUpdate, SavedMethod


@dataclass(frozen=True, slots=True)
class Credentials:
    """Where and as whom to reach a provider: from a shop's configuration over the settings
    its package declares. Every value is one of `values`, by the name the package gives it
    (a Kaspi shop's `organization_bin` and `device_token` as a Stripe shop's `secret_key`)."""

    values: dict[str, str] = field(default_factory=dict)
    shop_id: str | None = None

    def get(self, name: str) -> str:
        value = self.values.get(name)
        if not value:
            raise NotConfigured(f"its credential {name!r} is not configured")
        return value


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """What a provider needs to know of a kassa payment."""

    payment_id: str
    amount: int
    currency: str
    user_id: str
    organization_id: str | None = None
    description: str | None = None
    return_url: str | None = None
    phone: str | None = None
    provider_payment_id: str | None = None
    idempotency_key: str | None = None
    customer_ref: str | None = None
    method_token: str | None = None  # a saved payment method to charge
    save_method: bool = False  # keep the method the customer pays with, for renewals
    # an earlier attempt at this very create may have reached the provider (a worker died
    # mid-call): a provider without idempotency keys looks for what it made before
    resumed: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    # what is sold, for the provider's fiscal receipt (Payme's detail, YooKassa's receipt)
    lines: tuple[Line, ...] = ()
    email: str | None = None  # the buyer's, where a receipt is sent to them


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider_payment_id: str | None
    checkout_url: str | None = None
    client_secret: str | None = None
    initial: ProviderUpdate | None = None


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    provider_refund_id: str | None
    amount: int
    succeeded: bool = True


def closed_by_merchant(provider: str, request: PaymentRequest) -> ProviderUpdate:
    """The cancel of a provider that calls kassa (Payme, Click) and has no merchant-side
    cancel: the order is closed here, and the provider's later calls for it are refused."""
    return ProviderUpdate(
        provider=provider,
        event_id=f"cancel:{request.payment_id}",
        payment_id=request.payment_id,
        status=PaymentStatus.CANCELLED,
        failure_code="cancelled_by_merchant",
        failure_message="cancelled before payment",
    )


class ProviderFailure(Exception):
    """A provider call that did not give an answer kassa can use.

    `created_nothing` says the request certainly had no effect at the provider (it was
    refused before processing), so kassa may fail the payment instead of reconciling it.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        created_nothing: bool = False,
        code: str = "provider_error",
        provider_payment_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider_payment_id = provider_payment_id
        self.retryable = retryable
        self.created_nothing = created_nothing
        self.code = code


class NotConfigured(ProviderFailure):
    """The provider lacks a credential (in settings or the shop's configuration): nothing
    was sent, and nothing can be until an operator configures it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, created_nothing=True, code="not_configured")


class RefundNotSupported(ProviderFailure):
    """The provider offers no refund API for this payment (it is refunded elsewhere)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, code="refund_not_supported")


class CancelNotSupported(ProviderFailure):
    """The provider cannot cancel the payment in its present state (it expires there)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, code="cancel_not_supported")


class NothingToPoll(ProviderFailure):
    """The provider pushes this payment's state to kassa; there is nothing to ask."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, code="nothing_to_poll")


SavedCard = SavedMethod  # what kassa keeps of a card saved at a provider (never the number)


_P = TypeVar("_P")
_PROVIDES: dict[tuple[type, type], bool] = {}


def provides(found: object, protocol: Callable[..., _P]) -> TypeGuard[_P]:
    """`isinstance(found, protocol)` for the runtime-checkable protocols below, answered
    once a class: Python's check walks the protocol's members on every call, which a
    request paid several times. A provider's methods are its class's."""
    key = (type(found), cast(type, protocol))
    known = _PROVIDES.get(key)
    if known is None:
        known = _PROVIDES[key] = isinstance(found, key[1])
    return known


@runtime_checkable
class AmountRules(Protocol):
    """Providers that refuse some amounts (minimums, whole units): said before any call."""

    def amount_problem(self, amount: int, currency: str) -> str | None: ...


@runtime_checkable
class RequestRules(Protocol):
    """Providers that refuse some payments for what they lack (a receipt's fiscal lines, the
    buyer's contact): said as a 422 before the payment is recorded or the provider asked."""

    def request_problem(self, request: PaymentRequest) -> str | None: ...


@runtime_checkable
class Capturable(Protocol):
    """Providers with two-step payments: authorised first, captured on the merchant's word."""

    async def capture(self, request: PaymentRequest) -> ProviderUpdate: ...


@runtime_checkable
class CustomerVault(Protocol):
    """Providers that keep a customer object per payer (an organisation, else a user)."""

    async def create_customer(self, owner: str) -> str: ...


@runtime_checkable
class MethodVault(Protocol):
    """Providers that keep cards for repeat payments."""

    async def attach_method(self, token: str, customer_ref: str | None) -> SavedCard: ...

    async def detach_method(self, token: str) -> None: ...


@runtime_checkable
class MethodDetails(Protocol):
    """Providers whose payment events name a saved method without its card (Stripe): kassa
    asks for the card's brand, last digits and expiry afterwards, to show them."""

    async def describe_method(self, token: str) -> SavedCard: ...


@runtime_checkable
class RefundReceipts(Protocol):
    """Providers that register the shop's fiscal receipts (YooKassa's 54-FZ receipts): a
    refund made without one (in the provider's cabinet) is given the receipt kassa sends
    with its own refunds. Answers the receipt as the provider registered it: `receipt_id`,
    `status`, and where known `date`, `terminal_id`, `fiscal_sign`."""

    async def refund_receipt(
        self, request: PaymentRequest, provider_refund_id: str, amount: int
    ) -> dict[str, Any]: ...


@runtime_checkable
class PaymentProvider(Protocol):
    name: str
    currencies: frozenset[str] | None  # None: any currency the provider accepts

    async def create(self, request: PaymentRequest) -> ProviderPayment: ...

    async def fetch(self, request: PaymentRequest) -> ProviderUpdate: ...

    async def cancel(self, request: PaymentRequest) -> ProviderUpdate: ...

    async def refund(
        self, request: PaymentRequest, amount: int, *, idempotency_key: str
    ) -> ProviderRefund: ...


_Client = TypeVar("_Client")


class KeptClients:
    """The clients providers keep for the life of the runtime that built them (an SDK's
    client with its connection pool, made once per key and address), closed with it: a
    provider is built for every call, its connections are not."""

    def __init__(self) -> None:
        self._clients: dict[Hashable, Any] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def get(
        self,
        key: Hashable,
        make: Callable[[], _Client],
        close: Callable[[_Client], Awaitable[None]],
    ) -> _Client:
        if key not in self._clients:
            client = make()
            self._clients[key] = client
            self._closers.append(lambda: close(client))
        return cast(_Client, self._clients[key])

    async def aclose(self) -> None:
        closers, self._closers = self._closers, []
        self._clients.clear()
        for close in closers:
            await close()


@dataclass(frozen=True, slots=True)
class ProviderContext:
    """What a provider factory is built from."""

    settings: Settings
    credentials: Credentials
    http: httpx.AsyncClient
    # the runtime's registry passes its own; a context made without one (a test building a
    # provider) keeps its clients in a fresh one, closed by whoever closes it
    kept: KeptClients = field(default_factory=KeptClients)


ProviderFactory = Callable[[ProviderContext], PaymentProvider]
CredentialsFromSettings = Callable[[Settings], Credentials]


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """A provider's call as it arrived, for its package to verify and read."""

    body: bytes
    headers: dict[str, str]
    method: str = "POST"
    sender: str | None = None  # the resolved sender's address (after TRUSTED_PROXIES)


@dataclass(frozen=True, slots=True)
class Reply:
    """What kassa answers the provider: its own protocol's body (JSON), or a problem
    (`problem` = code, title, detail; answered as RFC 9457 with `status`). A call that did
    not verify is counted against its sender, and past the limit answered 429 if `throttle`
    (never for a provider whose protocol must answer every call itself)."""

    body: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    verified: bool = True
    throttle: bool = True
    problem: tuple[str, str, str] | None = None


@dataclass(frozen=True, slots=True)
class Reread:
    """Believe the provider's API, not the notification: ask it for this payment now."""

    provider_payment_id: str


@runtime_checkable
class PushInbound(Protocol):
    """The inbound side of a provider that pushes events (Stripe, YooKassa): verify the
    call and read it into a ProviderUpdate to apply, a payment to re-read, or an answer."""

    def read(self, request: InboundRequest) -> ProviderUpdate | Reread | Reply: ...


@runtime_checkable
class InvertedInbound(Protocol):
    """The inbound side of an inverted provider: its wire protocol onto the engine's calls
    (`read`), and the engine's outcome back onto its answers (`answer`). `outcome` is a
    the engine's (`kassa.services.payments.inverted`); `timeout_ms`: how long a transaction may stay
    open (None: as long as the provider likes)."""

    timeout_ms: int | None
    timeout_reason: int | None  # the cancel reason of a transaction that timed out

    def read(self, request: InboundRequest) -> InvertedCall | Reply: ...

    def answer(self, call: InvertedCall, outcome: Outcome) -> Reply: ...

    def failed(self, call: InvertedCall) -> Reply:
        """The answer when kassa could not carry the call out (its database is down)."""
        ...


@runtime_checkable
class TransactionRules(Protocol):
    """Inverted providers with rules of their own for a call on a transaction kassa holds
    (Click's Complete names kassa's id of it, and may not cancel a confirmed one): the
    engine asks under the order's lock, before anything changes, so a refusal changes
    nothing. `kassa.domain.inverted.TxRule`."""

    def transaction_problem(self, call: InvertedCall, tx: StoredTx) -> Refusal | None: ...


# Made on first use: the factory imports the package's inbound module then, not at start-up.
InboundFactory = Callable[["ProviderContext"], InvertedInbound | PushInbound]
# The emulator's package (kassa/sandbox/<name>/, with `build(ctx)`), imported when called.
EmulatorFactory = Callable[[], Any]


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential a provider needs, from its setting (`env`) or a shop's configuration
    (`name`); `sandbox` is what the emulator accepts (`{sandbox}` is the emulators' base)."""

    name: str
    env: str
    label: str
    secret: bool = True  # masked on reads, scrubbed from logs
    sandbox: str | None = None
    default: str | None = None  # outside the sandbox, when the setting is not given

    @property
    def setting(self) -> Declared:
        """The setting it is read from when a shop does not give it."""
        return Declared(self.env, self.default, self.sandbox, self.secret)


def settings_of(*secrets: Secret) -> tuple[Declared, ...]:
    """The settings credentials are read from (for `ProviderPlugin.settings`)."""
    return tuple(item.setting for item in secrets)


def credentials_from(secrets: tuple[Secret, ...]) -> CredentialsFromSettings:
    """Credentials from the settings a provider declares: each as the settings read it (its
    sandbox value in the sandbox, else its default when not given)."""

    def read(settings: Settings) -> Credentials:
        values: dict[str, str] = {}
        for item in secrets:
            value = settings.value(item.env)
            if value:
                values[item.name] = value
        return Credentials(values=values)

    return read


@dataclass(frozen=True, slots=True)
class ProviderPlugin:
    """What kassa knows of a provider package before using it: everything the rest of kassa
    derives from it (settings, the shop form, what a payment needs, the webhook route and
    how it refuses what it cannot read, the customer's words for its failures, the
    emulator). Nothing outside the package names the provider: it declares, kassa reads."""

    name: str
    factory: ProviderFactory
    # its credentials from the settings (`credentials_from(SECRETS)`), a shop's over them
    default_credentials: CredentialsFromSettings
    # kassa's state graph for this provider's payments, as the provider documents its own
    graph: StateGraph = BASE_GRAPH
    # every setting it reads (`settings_of(*SECRETS)` and its addresses and switches):
    # `Settings` reads them by these names, with their sandbox values and defaults
    settings: tuple[Declared, ...] = ()
    # the values a shop's configuration gives (the admin's shop form is built from these)
    secrets: tuple[Secret, ...] = ()
    example_currency: str = "USD"  # for the admin's test payments
    needs_organization_bin: bool = False  # a shop of this provider names its BIN (Kaspi)
    needs_phone: bool = False  # a payment names the customer's phone, where it is asked
    # makes its inbound side: the provider calls POST /webhooks/<name>
    inbound: InboundFactory | None = None
    # what its protocol answers, with HTTP 200, a call kassa cannot read (a JSON-RPC parse
    # error): None, a problem (422) as for any other request
    unreadable: Callable[[], dict[str, Any]] | None = None
    # its failure codes (as kassa records them) by what the customer is told: one of
    # kassa.domain.failures's reasons
    failure_reasons: dict[str, str] = field(default_factory=dict)
    emulator: EmulatorFactory | None = None  # its emulator's package, for SANDBOX
    # where a checkout payment (one not made with a saved card) is refunded when kassa
    # cannot do it through the provider's API: shown instead of a Refund button; the
    # emulator then offers the cabinet's action at POST /sandbox/<name>/_cabinet/refund
    cabinet_refunds: str | None = None
    # the credentials its provider cannot be built without (`factory` raises NotConfigured):
    # what `ProviderRegistry.unconfigured` checks at start-up, so that building nothing it
    # loads no provider's code or SDK (tests/providers/test_plugins.py holds the two in step)
    required: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        declared = {item.env for item in self.settings}
        unread = [item.env for item in self.secrets if item.env not in declared]
        assert not unread, f"{self.name} reads settings it does not declare: {unread}"

    def missing(self, credentials: Credentials) -> list[str]:
        """The required credentials `credentials` lacks."""
        return [name for name in self.required if not credentials.values.get(name)]

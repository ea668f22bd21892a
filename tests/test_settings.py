"""Where kassa reaches each provider is a setting of its own: the real provider unless said
otherwise, the emulators in sandbox mode; no provider code asks which mode it is in."""

from __future__ import annotations

import secrets

import pytest
from pydantic import SecretStr, ValidationError

from kassa.core.crypto import SecretBox
from kassa.core.security import Principal, Role
from kassa.core.settings import Settings
from kassa.runtime import Runtime
from kassa.services.accounts import merchants
from kassa.services.accounts.merchants import MerchantFields
from tests.conftest import unique

SECRET = "settings-test-secret-0123456789abcdef"
STRONG = "Zq3v9L-tR7mXw2Kp8sYb4HnJ6cFd1GeU0aVi5oTz"  # 40 distinct characters


def test_production_reaches_the_providers_themselves() -> None:
    real = Settings(_env_file=None, environment="production", secret_key=SECRET)  # type: ignore[call-arg]
    assert (real.payme_checkout_url, real.payme_subscribe_url) == (
        "https://checkout.paycom.uz", "https://checkout.paycom.uz/api")
    assert real.yookassa_api_url == "https://api.yookassa.ru/v3"
    assert real.stripe_api_base is None and real.stripe_elements_page is None  # the SDK's own, the shop's page
    assert real.kaspi_request_page is None and real.webhook_allowed_networks == ""
    test_mode = Settings(_env_file=None, environment="production", secret_key=SECRET, payme_test_mode=True)  # type: ignore[call-arg]
    assert test_mode.payme_checkout_url == "https://test.paycom.uz"


def test_the_sandbox_points_every_provider_at_its_emulator() -> None:
    sandbox = Settings(_env_file=None, environment="test", secret_key=SECRET, public_url="http://127.0.0.1:9100")  # type: ignore[call-arg]
    emulators = "http://127.0.0.1:9100/sandbox"
    assert sandbox.payme_checkout_url == f"{emulators}/payme"
    assert sandbox.stripe_api_base == f"{emulators}/stripe"
    assert sandbox.yookassa_api_url == f"{emulators}/yookassa/v3"
    assert sandbox.kaspi_api_url == f"{emulators}/kaspi"
    assert "127.0.0.0/8" in sandbox.webhook_allowed_networks
    chosen = Settings(_env_file=None, environment="test", secret_key=SECRET,  # type: ignore[call-arg]
                      yookassa_api_url="https://yookassa.example/v3")
    assert chosen.yookassa_api_url == "https://yookassa.example/v3"  # an explicit address wins


def test_production_refuses_a_guessable_secret_key() -> None:
    for weak in ("k" * 64, "ab" * 40, "абвгдежзийклмноп"):
        with pytest.raises(ValidationError) as refused:
            Settings(_env_file=None, environment="production", secret_key=weak)  # type: ignore[call-arg]
        said = str(refused.value)
        assert "SECRET_KEY" in said and "ENCRYPTION_KEY" in said and weak not in said
    for fine in (SECRET, STRONG, secrets.token_urlsafe(48), secrets.token_hex(32)):
        if len(set(fine)) >= 16:  # a random hex key misses one of its 16 digits now and then
            Settings(_env_file=None, environment="production", secret_key=fine)  # type: ignore[call-arg]
    Settings(_env_file=None, environment="test", secret_key="k" * 64)  # type: ignore[call-arg]


async def test_what_a_weak_key_sealed_stays_readable_once_it_moves_to_encryption_key(runtime: Runtime) -> None:
    """A kassa whose SECRET_KEY was weak saved a shop's credentials; the operator follows
    the refusal's advice (the old key into ENCRYPTION_KEY, a new SECRET_KEY) and the
    production kassa still pays through that shop."""
    weak = "k" * 40
    before = runtime.settings.model_copy(update={"secret_key": SecretStr(weak), "encryption_key": None})
    shop = unique("shop")
    await merchants.create_merchant(
        _with(runtime, before), Principal(subject="admin-1", role=Role.ADMIN), shop,
        MerchantFields(provider="payme", credentials={"secret_key": "shop-payme-key-7"}),
        {"provider", "credentials"},
    )
    with pytest.raises(ValidationError, match="ENCRYPTION_KEY"):
        Settings(_env_file=None, environment="production", secret_key=weak)  # type: ignore[call-arg]
    moved = Settings(_env_file=None, environment="production", secret_key=STRONG,  # type: ignore[call-arg]
                     encryption_key=weak, database_url=runtime.settings.database_url)
    read = await merchants.credentials_for(_with(runtime, moved), "payme", shop)
    assert read.values["secret_key"] == "shop-payme-key-7"
    forgotten = moved.model_copy(update={"encryption_key": None})  # what the advice prevents
    with pytest.raises(ValueError, match="unknown key"):
        await merchants.credentials_for(_with(runtime, forgotten), "payme", shop)


def _with(runtime: Runtime, settings: Settings) -> Runtime:
    """The test's kassa (its database) run with other keys."""
    return Runtime(settings=settings, db=runtime.db, http=runtime.http, providers=runtime.providers,
                   box=SecretBox(settings.at_rest_key), redis=runtime.redis, limiter=runtime.limiter)

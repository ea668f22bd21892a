"""Where kassa reaches each provider is a setting of its own: the real provider unless said
otherwise, the emulators in sandbox mode; no provider code asks which mode it is in."""

from __future__ import annotations

from kassa.core.settings import Settings

SECRET = "settings-test-secret-0123456789abcdef"


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

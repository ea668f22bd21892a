"""Settings: the only place kassa reads its environment (and `.env`)."""

from __future__ import annotations

import math
import os
import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from kassa.domain.billing import parse_schedule

DEV_SECRET_FILE = Path(".kassa-secret")
MIN_SECRET_KEY_BYTES = 32  # HS256 wants a key at least as long as its 256-bit output
# A long key of few characters ("aaaa…", "abab…") is as guessable as a short one: each
# character is counted at log2 of the distinct characters used (a random hex key: 4 bits).
MIN_SECRET_KEY_DISTINCT = 16
MIN_SECRET_KEY_BITS = 128

# Sandbox credentials: known, harmless values the emulators accept (never production).
SANDBOX_PAYME_MERCHANT_ID = "5e730e8e0b852a417aa49ceb"
SANDBOX_PAYME_SECRET_KEY = "sandbox-payme-key"  # noqa: S105
SANDBOX_STRIPE_SECRET_KEY = "sk_test_kassa_sandbox"  # noqa: S105
SANDBOX_STRIPE_PUBLISHABLE_KEY = "pk_test_kassa_sandbox"
SANDBOX_STRIPE_WEBHOOK_SECRET = "whsec_kassa_sandbox"  # noqa: S105
SANDBOX_YOOKASSA_SHOP_ID = "100500"
SANDBOX_YOOKASSA_SECRET_KEY = "test_kassa_sandbox"  # noqa: S105
SANDBOX_KASPI_ACCESS_TOKEN = "kaspi-sandbox-token"  # noqa: S105


def _dev_secret() -> str:
    """A development signing key, generated once and kept beside the database."""
    if DEV_SECRET_FILE.exists():
        return DEV_SECRET_FILE.read_text().strip()
    value = secrets.token_urlsafe(48)
    DEV_SECRET_FILE.write_text(value + "\n")
    DEV_SECRET_FILE.chmod(0o600)
    return value


def estimated_bits(key: str) -> float:
    """A key's strength as its length times log2 of its distinct characters: a bound from
    above for a random key, and low for the repetitive keys people type."""
    distinct = len(set(key))
    return len(key) * math.log2(distinct) if distinct > 1 else 0.0


def secret_key_weakness(key: str) -> str | None:
    """Why SECRET_KEY is guessable, or None; says nothing of the key itself."""
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        return f"is under {MIN_SECRET_KEY_BYTES} bytes"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return f"has fewer than {MIN_SECRET_KEY_DISTINCT} distinct characters"
    if estimated_bits(key) < MIN_SECRET_KEY_BITS:
        return f"holds under {MIN_SECRET_KEY_BITS} bits"
    return None


class ConfigurationError(ValueError):
    """Settings kassa cannot start with. The message names each setting and what is wrong
    with it, never a value given (a secret would reach the terminal or a log)."""


def load_settings(**values: Any) -> Settings:
    """Settings from the environment (and `values`), or a ConfigurationError that says
    which setting is wrong and why: pydantic's own message quotes the input, secrets too."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigurationError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """One line per error: the setting's environment name and pydantic's reason."""
    lines = []
    for error in exc.errors(include_url=False, include_context=False, include_input=False):
        reason = error["msg"].removeprefix("Value error, ")
        name = ".".join(str(part) for part in error["loc"]).upper()
        lines.append(f"{name}: {reason}" if name else reason)
    return "; ".join(lines)


class Settings(BaseSettings):
    # hide_input_in_errors: a ValidationError printed anywhere shows no value given
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, hide_input_in_errors=True
    )
    _env_file_read: str | Path | None = PrivateAttr(default=".env")

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self._env_file_read = values.get("_env_file", ".env")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./kassa.db"
    # Transactions a process runs at once (its pool; further requests queue for one, see
    # kassa.db.session). One process is one core of Python, which keeps about this many
    # busy; more only hold row locks longer while they wait for that core, and crowd
    # PostgreSQL (bench: 10 → 5 on 2 API processes, Payme at 64 clients 115-149 → 151-164
    # payments/s, p99 340-372 → 210-220 ms; docs/scaling.md).
    database_pool_size: int = Field(default=5, ge=1, le=200)
    # requests one API process works on at once; the rest wait at its door in arrival order
    # (kassa.core.admission); 0: no door. 32 is six requests for each of the pool's turns:
    # the door shuts only under overload, and then what 256 clients hold stays what 64 do
    # (2 processes after 256 clients: 117-119 MB each with the door, 120-122 MB without;
    # docs/scaling.md). Raise it with the pool.
    api_concurrency: int = Field(default=32, ge=0, le=10_000)
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    encryption_key: SecretStr | None = None  # defaults to a key derived from SECRET_KEY
    access_token_expire_minutes: int = Field(default=30, ge=1)
    public_url: str = "http://127.0.0.1:8000"
    sandbox: bool | None = None

    payme_merchant_id: str | None = None
    payme_secret_key: SecretStr | None = None
    payme_account_field: str = "order_id"
    payme_test_mode: bool = False
    # Where each provider is reached. Unset, the provider's own addresses (Payme's test
    # hosts with PAYME_TEST_MODE); with SANDBOX on, the emulators. Providers read only these,
    # never the sandbox switch.
    payme_checkout_url: str | None = None
    payme_subscribe_url: str | None = None
    stripe_api_base: str | None = None  # unset: Stripe's own
    # a shop's own Stripe.js page, to which a payment's client_secret is appended
    stripe_elements_page: str | None = None
    yookassa_api_url: str | None = None
    # where a Kaspi customer sees the request (the sandbox's "phone"); unset: their app
    kaspi_request_page: str | None = None
    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: SecretStr | None = None
    # how customers pay a Stripe payment: on Stripe's hosted Checkout page (`checkout_url`),
    # or in the shop's own page with Stripe.js (`client_secret`); a shop's configuration
    # may say otherwise with the credential `checkout`
    stripe_checkout: Literal["hosted", "elements"] = "hosted"
    yookassa_shop_id: str | None = None
    yookassa_secret_key: SecretStr | None = None
    kaspi_api_url: str | None = None
    kaspi_access_token: SecretStr | None = None
    kaspi_organization_bin: str | None = None  # for Kaspi payments that name no shop
    kaspi_device_token: str | None = None
    default_shop_id: str | None = None  # the shop a payment uses when it names none

    events_broker_url: str | None = None
    idempotency_key_ttl: int = Field(default=86400, ge=1)
    idempotency_lock_seconds: int = Field(default=60, ge=1)  # an unfinished claim's lifetime
    cors_origins: str = ""
    # comma-separated CIDRs downstream webhooks may reach although internal (see
    # kassa.services.ops.destinations); sandbox mode adds loopback
    webhook_allowed_networks: str = ""
    # notification senders believed besides YooKassa's networks; sandbox mode adds loopback
    yookassa_extra_networks: str = ""
    # comma-separated addresses/CIDRs whose X-Forwarded-For is believed
    trusted_proxies: str = ""
    invoice_seller: str = "kassa"  # the seller's name printed on invoices
    rate_limit_per_minute: int = Field(default=1200, ge=1)  # per signed-in user
    # per service API key (a business's backend acts for all its users; Stripe allows
    # 100 requests a second in live mode); `kassa api-key create --rate-limit` overrides it
    rate_limit_service_per_minute: int = Field(default=6000, ge=1)
    # per address: no credentials, or credentials that did not verify
    rate_limit_anonymous_per_minute: int = Field(default=300, ge=1)
    login_attempts_per_minute: int = Field(default=10, ge=1)  # admin sign-ins per address
    webhook_failures_per_minute: int = Field(default=20, ge=1)  # unauthentic webhooks per address
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    provider_timeout_seconds: float = Field(default=10.0, gt=0)
    log_level: str = "INFO"
    log_json: bool = True
    pending_payment_ttl_hours: int = Field(default=24, ge=1)
    # how long an unpaid payment holding a promo code keeps its redemption, unless the
    # customer is paying it (an inverted provider's open transaction); then it expires
    promo_reservation_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    # recurring billing: how long before a period ends its renewal is charged, and when a
    # failed one is retried, counted from the period's end ("1d,3d,5d"; s, m, h, d units)
    renewal_lead_hours: int = Field(default=24, ge=0, le=24 * 30)
    dunning_schedule: str = "1d,3d,5d"

    @field_validator("dunning_schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_schedule(value)  # a ScheduleError is a ValueError: refused at start-up
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if self.sandbox is None:
            self.sandbox = self.environment != "production"
        if self.environment == "production":
            self._check_production()
        if self.secret_key is None:
            self.secret_key = SecretStr(_dev_secret())
        if self.sandbox:
            self._fill_sandbox_credentials()
            self._point_at_sandboxes()
        self.payme_checkout_url = self.payme_checkout_url or (
            "https://test.paycom.uz" if self.payme_test_mode else "https://checkout.paycom.uz"
        )
        self.payme_subscribe_url = self.payme_subscribe_url or (
            "https://checkout.test.paycom.uz/api"
            if self.payme_test_mode
            else "https://checkout.paycom.uz/api"
        )
        self.yookassa_api_url = self.yookassa_api_url or "https://api.yookassa.ru/v3"
        return self

    def _point_at_sandboxes(self) -> None:
        """Every provider address not given explicitly leads to its emulator."""
        base = self.sandbox_url
        self.payme_checkout_url = self.payme_checkout_url or f"{base}/payme"
        self.payme_subscribe_url = self.payme_subscribe_url or f"{base}/payme/api"
        self.stripe_api_base = self.stripe_api_base or f"{base}/stripe"
        self.stripe_elements_page = self.stripe_elements_page or f"{base}/stripe/checkout/"
        self.yookassa_api_url = self.yookassa_api_url or f"{base}/yookassa/v3"
        self.kaspi_api_url = self.kaspi_api_url or f"{base}/kaspi"
        self.kaspi_request_page = self.kaspi_request_page or f"{base}/kaspi/phone/"
        loopback = "127.0.0.0/8,::1/128"
        self.webhook_allowed_networks = ",".join(
            n for n in (self.webhook_allowed_networks, loopback) if n
        )
        self.yookassa_extra_networks = ",".join(
            n for n in (self.yookassa_extra_networks, loopback) if n
        )

    def _check_production(self) -> None:
        """A production kassa never serves the emulators (fault switches and fake payments
        without authentication) and never signs tokens with a guessable key."""
        if self.sandbox:
            raise ValueError("SANDBOX must be off when ENVIRONMENT=production")
        if self.secret_key is None:
            raise ValueError("SECRET_KEY is required when ENVIRONMENT=production")
        weakness = secret_key_weakness(self.secret_key.get_secret_value())
        if weakness is None:
            return
        message = (
            f"SECRET_KEY {weakness}; ENVIRONMENT=production needs at least "
            f"{MIN_SECRET_KEY_BYTES} bytes, {MIN_SECRET_KEY_DISTINCT} distinct characters and "
            f"{MIN_SECRET_KEY_BITS} bits (e.g. `openssl rand -base64 48`)."
        )
        if not self.encryption_key:  # unset or empty (compose passes ENCRYPTION_KEY through)
            message += (
                " Saved cards and shop credentials are sealed with a key derived from "
                "SECRET_KEY while ENCRYPTION_KEY is unset: keep the old key in ENCRYPTION_KEY "
                "first (ENCRYPTION_KEY=<old key>), then set the new SECRET_KEY, or they can no "
                "longer be read."
            )
        raise ValueError(message)

    def _fill_sandbox_credentials(self) -> None:
        self.payme_merchant_id = self.payme_merchant_id or SANDBOX_PAYME_MERCHANT_ID
        self.payme_secret_key = self.payme_secret_key or SecretStr(SANDBOX_PAYME_SECRET_KEY)
        self.stripe_secret_key = self.stripe_secret_key or SecretStr(SANDBOX_STRIPE_SECRET_KEY)
        self.stripe_publishable_key = self.stripe_publishable_key or SANDBOX_STRIPE_PUBLISHABLE_KEY
        self.stripe_webhook_secret = self.stripe_webhook_secret or SecretStr(
            SANDBOX_STRIPE_WEBHOOK_SECRET
        )
        self.yookassa_shop_id = self.yookassa_shop_id or SANDBOX_YOOKASSA_SHOP_ID
        self.yookassa_secret_key = self.yookassa_secret_key or SecretStr(
            SANDBOX_YOOKASSA_SECRET_KEY
        )
        self.kaspi_access_token = self.kaspi_access_token or SecretStr(SANDBOX_KASPI_ACCESS_TOKEN)
        self.kaspi_organization_bin = self.kaspi_organization_bin or "000000000000"

    def value(self, name: str) -> str | None:
        """A setting by its environment name: a declared field (`PAYME_MERCHANT_ID`), else
        the environment or `.env` (settings that provider packages declare, `CLICK_…`)."""
        field = name.lower()
        if field in type(self).model_fields:
            found = getattr(self, field)
            if isinstance(found, SecretStr):
                found = found.get_secret_value()
            return str(found) if found not in (None, "") else None
        if name in os.environ:
            return os.environ[name] or None
        env_file = self._env_file_read
        if isinstance(env_file, str | Path) and Path(env_file).exists():
            return dotenv_values(env_file).get(name) or None
        return None

    @property
    def is_sandbox(self) -> bool:
        return bool(self.sandbox)

    @property
    def signing_key(self) -> str:
        assert self.secret_key is not None
        return self.secret_key.get_secret_value()

    @property
    def at_rest_key(self) -> str:
        """Key material for secrets stored in the database (see kassa.core.crypto)."""
        key = self.encryption_key or self.secret_key
        assert key is not None
        return key.get_secret_value()

    @property
    def sandbox_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/sandbox"

    @cached_property
    def dunning_steps(self) -> tuple[timedelta, ...]:
        return parse_schedule(self.dunning_schedule)

    @property
    def renewal_lead(self) -> timedelta:
        return timedelta(hours=self.renewal_lead_hours)

    @cached_property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def secret_values(self) -> list[str]:
        """Every configured secret, so logs can be scrubbed of them."""
        values = [
            self.secret_key,
            self.encryption_key,
            self.payme_secret_key,
            self.stripe_secret_key,
            self.stripe_webhook_secret,
            self.yookassa_secret_key,
            self.kaspi_access_token,
        ]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]

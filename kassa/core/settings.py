"""Settings: the only place kassa reads its environment (and `.env`)."""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

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

from kassa.core import declared
from kassa.domain.billing import parse_schedule

DEV_SECRET_FILE = Path(".kassa-secret")
MIN_SECRET_KEY_BYTES = 32  # HS256 wants a key at least as long as its 256-bit output
# A long key of few characters ("aaaa…", "abab…") is as guessable as a short one: each
# character is counted at log2 of the distinct characters used (a random hex key: 4 bits).
MIN_SECRET_KEY_DISTINCT = 16
MIN_SECRET_KEY_BITS = 128


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
        settings = Settings(**values)
    except ValidationError as exc:
        raise ConfigurationError(describe_errors(exc)) from None
    settings.check_declared()
    return settings


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
    # the settings packages declare (kassa.core.declared): as given to the constructor (or
    # a copy), the emulators' base when made in sandbox mode, and their values once read
    _given: dict[str, Any] = PrivateAttr(default_factory=dict)
    _sandbox_base: str | None = PrivateAttr(default=None)
    _declared: dict[str, Any] | None = PrivateAttr(default=None)

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self._env_file_read = values.get("_env_file", ".env")
        fields = type(self).model_fields
        self._given = {
            name.upper(): value
            for name, value in values.items()
            if not name.startswith("_") and name not in fields and value not in (None, "")
        }
        # the sandbox's values are the emulators' from the start: a copy told SANDBOX=false
        # keeps reaching them, never a real provider
        self._sandbox_base = self.sandbox_url if self.sandbox else None

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./kassa.db"
    # Transactions a process runs at once (its pool; further requests queue for one, see
    # kassa.db.session). One process is one core of Python, which keeps about this many
    # busy; more only hold row locks longer while they wait for that core, and crowd
    # PostgreSQL (bench: 10 → 5 on 2 API processes, Payme at 64 clients 115-149 → 151-164
    # payments/s, p99 340-372 → 210-220 ms; docs/scaling.md).
    database_pool_size: int = Field(default=5, ge=1, le=200)
    # the throughput machinery (kassa.fast): "on", "off", or pieces off ("-driver,-batch")
    # or alone ("off,driver"); each piece's plain equivalent behaves the same
    fast_paths: str = "on"

    @field_validator("fast_paths")
    @classmethod
    def _known_pieces(cls, value: str) -> str:
        from kassa.fast import switch  # (imports nothing: this module's own hunk stays one)

        switch.parse(value)  # a ValueError names the word that is no piece
        return value

    @cached_property
    def fast(self) -> frozenset[str]:
        """The pieces of kassa.fast this process uses."""
        from kassa.fast import switch

        return switch.parse(self.fast_paths)

    redis_url: str | None = None
    secret_key: SecretStr | None = None
    encryption_key: SecretStr | None = None  # defaults to a key derived from SECRET_KEY
    access_token_expire_minutes: int = Field(default=30, ge=1)
    public_url: str = "http://127.0.0.1:8000"
    sandbox: bool | None = None
    # Each provider's keys and addresses are declared by its package (kassa.core.declared):
    # unset, the provider's own addresses; with SANDBOX on, the emulators and their keys.
    # Providers read only these, never the sandbox switch.
    default_shop_id: str | None = None  # the shop a payment uses when it names none

    events_broker_url: str | None = None
    idempotency_key_ttl: int = Field(default=86400, ge=1)
    idempotency_lock_seconds: int = Field(default=60, ge=1)  # an unfinished claim's lifetime
    cors_origins: str = ""
    # comma-separated CIDRs downstream webhooks may reach although internal (see
    # kassa.services.ops.destinations); sandbox mode adds loopback
    webhook_allowed_networks: str = ""
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
        if self.sandbox:  # the emulators call back from this very machine
            loopback = "127.0.0.0/8,::1/128"
            self.webhook_allowed_networks = ",".join(
                n for n in (self.webhook_allowed_networks, loopback) if n
            )
        return self

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

    def value(self, name: str) -> str | None:
        """A setting by its environment name, as text: a field (`DATABASE_URL`), a setting a
        package declares (a provider's key), else the environment or `.env`."""
        field = name.lower()
        if field in type(self).model_fields:
            found = getattr(self, field)
        elif name.upper() in declared.known():
            found = self._declared_values()[name.upper()]
        else:
            return self._undeclared(name)
        if isinstance(found, SecretStr):
            found = found.get_secret_value()
        return str(found) if found not in (None, "") else None

    # hidden from mypy, so a misspelt setting in kassa's code is caught: kassa reads declared
    # settings with `value`, by their names
    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            """A declared setting by its field's name (`settings.x_api_url` reads
            `X_API_URL`), for scripts and tests."""
            if not name.startswith("_") and name.upper() in declared.known():
                return self._declared_values()[name.upper()]
            return super().__getattr__(name)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with some settings changed, declared ones too (a provider's key: None
        takes it away)."""
        fields = type(self).model_fields
        changes = dict(update or {})
        own = {name: changes.pop(name) for name in list(changes) if name in fields}
        copied = super().model_copy(update=own, deep=deep)
        copied._given = {**self._given, **{name.upper(): v for name, v in changes.items()}}
        copied._declared = None
        return copied

    def check_declared(self) -> None:
        """Raises a ConfigurationError naming each declared setting that cannot be read."""
        try:
            self._declared_values()
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None

    def _declared_values(self) -> dict[str, Any]:
        if self._declared is None:
            environ = {name.upper(): value for name, value in os.environ.items()}
            env_file = self._env_file_read
            from_file: dict[str, str | None] = {}
            if isinstance(env_file, str | Path) and Path(env_file).exists():
                from_file = {k.upper(): v for k, v in dotenv_values(env_file).items()}

            def given(env: str) -> Any:
                if env in self._given:
                    return self._given[env]
                value = environ.get(env) or from_file.get(env)
                return value if value else declared.NOT_GIVEN

            self._declared = declared.resolve(given, self._sandbox_base)
        return self._declared

    def _undeclared(self, name: str) -> str | None:
        if name.upper() in self._given:
            told = self._given[name.upper()]
            return str(told) if told not in (None, "") else None
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
        values = [self.secret_key, self.encryption_key]
        known = declared.known()
        values += [v for k, v in self._declared_values().items() if known[k].secret]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]

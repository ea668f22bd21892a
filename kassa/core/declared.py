"""Settings that packages outside the core declare (a provider's keys and addresses).

kassa.core names no provider: each provider package declares its settings (`Declared`),
the provider registry hands them over (`declare`), and `Settings` reads them as it reads its
own fields: from its arguments, the environment or `.env`, else the declared sandbox value
(in sandbox mode) or default. Their names are the public contract (docs/contract.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import SecretStr, TypeAdapter, ValidationError

# A derived default reads the other settings by their environment names (typed values).
Reader = Callable[[str], Any]
NOT_GIVEN: Any = object()  # what `given` answers for a setting nobody gave


@dataclass(frozen=True, slots=True)
class Declared:
    """One setting: its environment name (`X_API_URL`; `settings.x_api_url` reads it too),
    what it is read as, and where its value comes from when none is given."""

    env: str
    default: Any = None
    sandbox: str | None = None  # in sandbox mode; "{sandbox}" is the emulators' base URL
    secret: bool = False  # read as a SecretStr, scrubbed from logs
    kind: Any = str  # what the text is read as (bool, a Literal of words, ...)
    # a comma-separated list the sandbox value is added to, rather than given in place of
    sandbox_adds: bool = False
    # the default as other settings make it (an address that follows a test-mode switch)
    derive: Callable[[Reader], Any] | None = None


_SOURCES: list[Callable[[], Iterable[Declared]]] = []


def declare(source: Callable[[], Iterable[Declared]]) -> None:
    """Registers where declarations come from (called once it is needed, not at import)."""
    _SOURCES.append(source)
    known.cache_clear()


@cache
def known() -> dict[str, Declared]:
    """Every declared setting, by its environment name in capitals."""
    return {item.env.upper(): item for source in _SOURCES for item in source()}


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def parse(item: Declared, raw: Any) -> Any:
    """The value as the setting reads it; a ValueError names the setting, never the value."""
    if isinstance(raw, SecretStr):
        raw = raw.get_secret_value()
    if raw is None:
        return None
    try:
        value = _adapter(item.kind).validate_python(raw)
    except ValidationError as exc:
        reasons = exc.errors(include_url=False, include_context=False, include_input=False)
        raise ValueError(f"{item.env}: {reasons[0]['msg']}") from None
    return SecretStr(str(value)) if item.secret else value


def resolve(given: Callable[[str], Any], sandbox_base: str | None) -> dict[str, Any]:
    """Every declared setting's value: `given(env)` (the settings' arguments, environment,
    `.env`; NOT_GIVEN when none of them has it, None when told it has none), else its sandbox
    value when `sandbox_base` is set (the emulators' base URL), else its default. Raises
    ValueError naming a setting it cannot read."""
    items = known()
    values: dict[str, Any] = {}

    def read(env: str) -> Any:
        key = env.upper()
        if key in values:
            return values[key]
        item = items[key]
        raw = given(key)
        if sandbox_base is not None and item.sandbox is not None:
            in_sandbox = item.sandbox.replace("{sandbox}", sandbox_base)
            if item.sandbox_adds:
                told = None if raw is NOT_GIVEN else raw
                raw = ",".join(part for part in (told, in_sandbox) if part)
            elif raw is NOT_GIVEN:
                raw = in_sandbox
        if raw is NOT_GIVEN:
            raw = item.derive(read) if item.derive is not None else item.default
        values[key] = parse(item, raw)
        return values[key]

    for env in items:
        read(env)
    return values

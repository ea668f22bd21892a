"""Structured logs (structlog, JSON lines) with every configured secret scrubbed out."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

# structlog's development renderer imports rich whenever it is installed (Typer depends on
# it, for the command line's help) to draw tracebacks, which kassa never logs: an exception
# is logged as its type and place. Left out, it spares every API and worker process 3.5 MB.
# (The command line renders its help before any command imports this module.)
sys.modules.setdefault("rich", None)  # type: ignore[arg-type]

import structlog  # noqa: E402

REDACTED = "[redacted]"
_SENSITIVE_KEYS = re.compile(
    r"(pass(word)?|secret|token|authorization|api[_-]?key|credentials|card|cvc|key_hash)",
    re.IGNORECASE,
)


class SecretScrubber:
    """A structlog processor that masks sensitive keys and any known secret value."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.secrets:
                if secret in value:
                    value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {k: self._scrub_item(k, v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._scrub(v) for v in value]
        return value

    def _scrub_item(self, key: Any, value: Any) -> Any:
        if isinstance(key, str) and _SENSITIVE_KEYS.search(key) and value is not None:
            return REDACTED
        return self._scrub(value)

    def __call__(
        self, _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key in list(event_dict):
            event_dict[key] = self._scrub_item(key, event_dict[key])
        return event_dict


def configure_logging(
    level: str = "INFO", *, json: bool = True, secrets: Iterable[str] = (), file: Any = None
) -> None:
    """Every logger writes by this configuration from now on (`file`: stderr unless given)."""
    global _configurations
    _configurations += 1
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            SecretScrubber(secrets),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=file or sys.stderr),
        cache_logger_on_first_use=False,  # each configuration's loggers: _Logger
    )


def logs_at(configured: str, level: str) -> bool:
    """Whether a logger configured at `configured` lets lines of `level` out."""
    levels = logging.getLevelNamesMapping()
    return levels[level] >= levels.get(configured.upper(), logging.INFO)


_configurations = 0  # how many times configure_logging ran: a logger made before is made again


class _Logger:
    """structlog's logger, made once a configuration. structlog's own lazy logger makes one
    on every call, a line the level filters out included (a tenth of a millisecond a
    payment); caching it in structlog would keep the first configuration's for good, and
    each app configures the secrets it scrubs."""

    __slots__ = ("_bound", "_made_in", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._bound: Any = None
        self._made_in = -1

    def __getattr__(self, attribute: str) -> Any:
        if self._made_in != _configurations:
            self._bound = structlog.get_logger(self._name).bind()
            self._made_in = _configurations
        return getattr(self._bound, attribute)


def get_logger(name: str) -> Any:
    return _Logger(name)


def describe_exception(exc: BaseException) -> dict[str, str]:
    """Where a fault happened, without a stack trace: the exception's type and the
    innermost frame's file and line. Messages are left out (they may quote input)."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = ""
    if frame is not None:
        where = f"{frame.tb_frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.tb_lineno}"
    return {"error": type(exc).__name__, "where": where}

"""Counts and shares as a reader of each language writes them (Unicode CLDR's number
symbols): 12,345 and 93.5% in English; 12 345 and 93,5 % in Russian, split by a no-break
space. Money is written by its currency, whoever reads it (kassa.domain.money)."""

from __future__ import annotations

from kassa.domain.language import current

NBSP = "\u00a0"
# (group separator, decimal mark, before the percent sign) per language
_SYMBOLS = {"en": (",", ".", ""), "ru": (NBSP, ",", NBSP), "uz": (NBSP, ",", ""),
            "kk": (NBSP, ",", "")}  # fmt: skip


def _symbols(language: str | None) -> tuple[str, str, str]:
    return _SYMBOLS.get(language or current.get(), _SYMBOLS["en"])


def count(value: int, language: str | None = None) -> str:
    """A whole number grouped by thousands: 12,345 / 12 345."""
    group, _, _ = _symbols(language)
    return f"{value:,}".replace(",", group)


def share(fraction: float, language: str | None = None, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.935 is 93.5% / 93,5 %."""
    group, point, gap = _symbols(language)
    text = f"{fraction * 100:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", point).replace("\0", group) + gap + "%"

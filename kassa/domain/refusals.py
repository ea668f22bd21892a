"""A refusal or an event note in the reader's language: the English kassa wrote is matched
against the catalogue's sources (kassa.domain.refusal_words), what fills each `{…}` is kept
(a state is named in the language, a nested sentence translated too), and the sentence is
said in the language. A text the catalogue does not know is never shown in English under a
heading of another language: a refusal then says its title alone, a note quotes it as the
provider's answer (providers word their own errors)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from kassa.domain.language import STATES, speaking
from kassa.domain.refusal_words import DETAILS, NOTES, TITLES

PLACE = re.compile(r"\{[^{}]+\}")


def _shape(place: str) -> str:
    """What may fill a `{…}`: a provider's name or a state is one lowercase word."""
    name = place.strip("{}")
    if name.endswith(("provider", "status", ".value")):
        return "[a-z_]+"
    return ".+?"


@functools.cache
def _patterns(
    catalogue_id: int, sources: tuple[str, ...]
) -> list[tuple[re.Pattern[str], str, list[str]]]:
    compiled = []
    for source in sources:
        places = PLACE.findall(source)
        parts = PLACE.split(source)
        body = "".join(
            re.escape(part) + (f"(?P<p{i}>{_shape(places[i])})" if i < len(places) else "")
            for i, part in enumerate(parts)
        )
        compiled.append((re.compile(f"^{body}$", re.DOTALL), source, places))
    # the most literal source first: "a {x} payment cannot be refunded" before "{x}: {y}"
    compiled.sort(key=lambda c: -len(PLACE.sub("", c[1])))
    return compiled


def _said(
    catalogue: Mapping[str, Mapping[str, str]], text: str, language: str, depth: int = 0
) -> str | None:
    """`text` in `language` if the catalogue knows its source, else None."""
    for pattern, source, places in _patterns(id(catalogue), tuple(catalogue)):
        found = pattern.match(text)
        if found is None:
            continue
        words = catalogue[source].get(language)
        if words is None:
            return None
        for i, place in enumerate(places):
            words = words.replace(place, _value(found.group(f"p{i}"), language, depth), 1)
        return words
    return None


def _value(value: str, language: str, depth: int) -> str:
    """What filled a `{…}`: a state in words, a sentence of the catalogue translated."""
    if value in STATES.get(language, {}):
        return STATES[language][value]
    if depth < 3:
        for catalogue in (NOTES, DETAILS):
            nested = _said(catalogue, value, language, depth + 1)
            if nested is not None:
                return nested
    return value


def detail(text: str, language: str | None = None) -> str | None:
    """A problem's detail in the language (the English itself in English), or None when
    the catalogue does not know it."""
    lang = speaking(language)
    if lang == "en":
        return text
    return _said(DETAILS, text, lang)


def title(code: str, english: str, language: str | None = None) -> str:
    """A problem's title in the language, by its code."""
    return TITLES.get(code, {}).get(speaking(language)) or english


def refusal(code: str, english_title: str, text: str, language: str | None = None) -> str:
    """What a person reads when a service refused: the detail in their language under its
    title; the title alone when the detail is not known in that language."""
    lang = speaking(language)
    if lang == "en":
        return text
    heading = title(code, english_title, lang)
    said = detail(text, lang)
    return f"{heading}: {said}" if said else heading


def note(text: str | None, language: str | None = None, source: str = "provider") -> str:
    """An event note in the language: kassa's own notes translated, the words of another
    (`source`: the provider, a downstream endpoint) quoted as its answer."""
    if not text:
        return ""
    lang = speaking(language)
    if lang == "en":
        return text
    said = _said(NOTES, text, lang) or _said(DETAILS, text, lang)
    if said is not None:
        return said
    quoted = _said(NOTES, f"{source}'s answer: {text}", lang)
    return quoted or text

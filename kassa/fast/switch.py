"""FAST_PATHS: which pieces of the throughput machinery (kassa.fast) a process uses.

One setting, read left to right from "everything on": `on` turns every piece on, `off`
every piece off, `-piece` one off and `piece` (or `+piece`) one on. So `on` (the default),
`off`, `-driver` (all but the driver), `off,driver` (the driver alone). Each piece's plain
equivalent behaves the same; only the work it takes differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PIECES = ("driver", "batch", "compare_and_set", "fast_path", "collector")
ALL = frozenset(PIECES)
INFO_KEY = "kassa.fast_paths"  # where a database session finds its process's pieces


def parse(value: str) -> frozenset[str]:
    """The pieces `value` turns on; a ValueError names a word that is not one."""
    found = set(ALL)
    for word in (w.strip().lower() for w in value.split(",")):
        if word == "on":
            found = set(ALL)
        elif word == "off":
            found = set()
        elif not word:
            continue
        elif word.lstrip("+-") in ALL:
            (found.discard if word.startswith("-") else found.add)(word.lstrip("+-"))
        else:
            raise ValueError(
                f"{word!r} is not on, off, nor a piece ({', '.join(PIECES)}), with - to turn it off"
            )
    return frozenset(found)


def uses(info: Mapping[str, Any], piece: str) -> bool:
    """Whether the session whose `info` this is uses `piece` (a session of no kassa
    `Database`: every piece, as before the switch)."""
    pieces: frozenset[str] = info.get(INFO_KEY, ALL)
    return piece in pieces

"""Modules kassa's processes never run, kept from loading.

httpx's package imports its own command-line client whenever click, rich and pygments are
installed (uvicorn and Typer bring them): 4 MB in every API and worker process, which never
run it. A module set to None fails that import, and httpx goes on without it. It must act
before httpx is first imported, so before settings exist: FAST_PATHS does not reach it. It
changes no behaviour (nothing of kassa's runs httpx's command line), only memory, so it has
no plain equivalent to measure against.
"""

from __future__ import annotations

import sys


def leave_out_httpx_cli() -> None:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

"""kassa: a self-hosted payment service."""

import sys

__version__ = "0.1.0"

# httpx's package imports its own command-line client whenever click, rich and pygments are
# installed (uvicorn and Typer bring them): 4 MB in every API and worker process, which
# never run it. A module set to None fails that import, and httpx goes on without it.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

"""kassa: a self-hosted payment service."""

from kassa.fast.unloaded import leave_out_httpx_cli

__version__ = "0.1.0"

leave_out_httpx_cli()  # before anything imports httpx (kassa.fast.unloaded says why)

"""kassa: a self-hosted payment service."""

__version__ = "0.1.0"

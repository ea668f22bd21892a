"""Kaspi Pay (Kazakhstan): remote payments by phone through a Kaspi gateway, polled."""

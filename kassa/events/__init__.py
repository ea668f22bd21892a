"""Downstream events: their wire format and signature."""

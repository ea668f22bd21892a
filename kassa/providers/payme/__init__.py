"""Payme (Uzbekistan): checkout links, the Merchant API protocol, the Subscribe API."""

"""Click (Uzbekistan): the SHOP API, checkout links and the Merchant API."""

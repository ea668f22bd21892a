"""What money buys: tariffs and purchases, a subscription's time and its value (`lifecycle`),
renewals and dunning, promo codes, invoices and credit notes, wallets, and the clock billing
reads."""

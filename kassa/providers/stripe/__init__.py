"""Stripe: PaymentIntents, customers and saved cards, through the official SDK."""

"""Why a payment did not go through, as the customer is told: the reasons a provider
package files its failure codes under (`ProviderPlugin.failure_reasons`), each of which the
portal says in the customer's words (kassa.portal.failures)."""

from __future__ import annotations

DECLINED = "declined"  # the bank said no (a fraud or lost-card code reads so too)
NO_MONEY = "no_money"
CONFIRM = "confirm"  # the bank wants the customer to confirm it themselves (3-D Secure)
EXPIRED = "expired"
DETAILS = "details"  # the card's number, code or expiry were not accepted
LIMIT = "limit"
LATER = "later"  # nobody's fault: try again in a few minutes

REASONS = (DECLINED, NO_MONEY, CONFIRM, EXPIRED, DETAILS, LIMIT, LATER)

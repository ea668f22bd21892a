"""Why a payment did not go through, in the customer's words: the provider's failure code, as
kassa records it, to a sentence the portal shows in the customer's language (its Russian is
in `kassa.portal.i18n`). A code not listed reads as the general sentence, never as itself."""

from __future__ import annotations

DECLINED = "Your bank declined the card. Try another card, or ask your bank why."
NO_MONEY = "There is not enough money on the card. Top it up, or try another card."
CONFIRM = (
    "Your bank wants you to confirm this payment yourself: choose "
    "“another card, on the payment page” and pay there."
)
EXPIRED = "The card has expired. Try another card."
DETAILS = "The card's details were not accepted. Try another card."
LIMIT = "The card's limit does not allow this payment. Try another card, or ask your bank."
LATER = "The payment could not be made just now. Please try again in a few minutes."
OTHER = "The payment did not go through. Try another card, or try again later."

SENTENCES = (DECLINED, NO_MONEY, CONFIRM, EXPIRED, DETAILS, LIMIT, LATER, OTHER)

WHY: dict[str, str] = {
    # Stripe's decline codes (https://docs.stripe.com/declines/codes); a fraud or lost-card
    # code reads as a plain decline, as Stripe advises telling the customer
    "generic_decline": DECLINED, "card_declined": DECLINED, "do_not_honor": DECLINED,
    "call_issuer": DECLINED, "fraudulent": DECLINED, "lost_card": DECLINED,
    "stolen_card": DECLINED, "pickup_card": DECLINED, "restricted_card": DECLINED,
    "security_violation": DECLINED, "transaction_not_allowed": DECLINED,
    "card_not_supported": DECLINED, "currency_not_supported": DECLINED,
    "not_permitted": DECLINED, "revocation_of_authorization": DECLINED,
    "insufficient_funds": NO_MONEY,
    "authentication_required": CONFIRM,
    "expired_card": EXPIRED,
    "incorrect_cvc": DETAILS, "invalid_cvc": DETAILS, "incorrect_number": DETAILS,
    "invalid_number": DETAILS, "invalid_expiry_month": DETAILS, "invalid_expiry_year": DETAILS,
    "card_velocity_exceeded": LIMIT, "withdrawal_count_limit_exceeded": LIMIT,
    "processing_error": LATER, "try_again_later": LATER, "issuer_not_available": LATER,
    "reenter_transaction": LATER,
    # YooKassa's cancellation reasons
    # (https://yookassa.ru/en/developers/payment-acceptance/after-the-payment/declined-payments)
    "3d_secure_failed": CONFIRM, "card_expired": EXPIRED, "country_forbidden": DECLINED,
    "fraud_suspected": DECLINED, "general_decline": DECLINED,
    "identification_required": DECLINED, "invalid_card_number": DETAILS,
    "invalid_csc": DETAILS, "issuer_unavailable": LATER,
    "payment_method_limit_exceeded": LIMIT, "payment_method_restricted": DECLINED,
    "permission_revoked": DECLINED, "internal_timeout": LATER,
    # Payme's Subscribe API errors (kassa records -31630 as payme_31630)
    "payme_31630": NO_MONEY, "payme_31300": DETAILS,
    # Click's Complete errors (kassa/providers/click/README.md: -5017, insufficient funds)
    "click_-5017": NO_MONEY,
}  # fmt: skip


def why(code: str | None) -> str:
    """The sentence for a failure code (in English, the catalogue's key)."""
    return WHY.get(code or "", OTHER)

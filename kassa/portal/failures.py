"""Why a payment did not go through, in the customer's words: the provider's failure code, as
kassa records it and its plug-in files it (kassa.domain.failures), to a sentence the portal
shows in the customer's language (its Russian is in `kassa.portal.i18n`). A code not listed
reads as the general sentence, never as itself."""

from __future__ import annotations

from kassa.domain import failures as reasons
from kassa.providers import plugins

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

# what the customer is told for each reason a provider package files its codes under
SAY = {
    reasons.DECLINED: DECLINED, reasons.NO_MONEY: NO_MONEY, reasons.CONFIRM: CONFIRM,
    reasons.EXPIRED: EXPIRED, reasons.DETAILS: DETAILS, reasons.LIMIT: LIMIT, reasons.LATER: LATER,
}  # fmt: skip
# every provider's failure codes, as its plug-in files them (`failure_reasons`)
WHY: dict[str, str] = {code: SAY[reason] for code, reason in plugins.failure_reasons().items()}


def why(code: str | None) -> str:
    """The sentence for a failure code (in English, the catalogue's key)."""
    return WHY.get(code or "", OTHER)

"""The customer portal in Uzbek (Latin script; oʻ and gʻ with U+02BB, the tutuq belgisi
U+02BC), keyed by the English as kassa.portal.i18n's Russian is; terms as in
docs/glossary.md (obuna, toʻlov, hisobvaraq, fiskal chek)."""

from __future__ import annotations

UZ: dict[str, str] = {
    "Your subscriptions": "Obunalaringiz", "This link has expired": "Havolaning muddati tugagan",
    "Portal links work for an hour. Open the portal again from the service you subscribe to.":
        "Havola bir soat amal qiladi. Kabinetni obuna boʻlgan xizmatingizdan qaytadan oching.",
    "Link expired": "Havola eskirgan",
    "every {n} days": "har {n} kunda", "for {n} days": "{n} kunga",
    "paid until": "toʻlangan muddat tugaydi:", "ended": "tugagan",
    "Next try": "Keyingi urinish", "Next charge": "Keyingi yechib olish",
    "to your card": "kartangizdan", "(you will be asked to pay)": "(sizdan toʻlash soʻraladi)",
    "Your last renewal did not go through. Your subscription stays on while we retry.":
        "Oxirgi uzaytirish amalga oshmadi. Qayta urinib koʻrayotganimizda obunangiz amal "
        "qilib turadi.",
    "Pay now": "Hozir toʻlash", "Turn renewal off": "Uzaytirishni oʻchirish",
    "Pay with": "Nima bilan toʻlash", "renewals use it": "uzaytirish shu bilan",
    "another card, on the payment page": "boshqa karta, toʻlov sahifasida",
    "use this card for renewals from now on":
        "bundan buyon uzaytirish uchun shu kartadan foydalanish",
    "renewals of": "uzaytirish:",
    "Turn renewal on": "Uzaytirishni yoqish", "You have no subscriptions.": "Sizda obunalar yoʻq.",
    "Saved cards": "Saqlangan kartalar", "Card": "Karta", "Expires": "Amal qilish muddati",
    "default": "asosiy", "Make default": "Asosiy qilish", "Remove": "Oʻchirish",
    "No saved cards.": "Saqlangan kartalar yoʻq.", "Invoices": "Hisobvaraqlar",
    "Number": "Raqam", "Date": "Sana", "Amount": "Summa", "Status": "Holat",
    "fiscal receipt": "fiskal chek", "No invoices yet.": "Hozircha hisobvaraqlar yoʻq.",
    "← Back": "← Orqaga",
    # messages after a button
    "Renewal turned on.": "Uzaytirish yoqildi.",
    "Renewal turned off: it ends with its period.":
        "Uzaytirish oʻchirildi: obuna toʻlangan davr bilan birga tugaydi.",
    "Paid: your subscription is renewed.": "Toʻlandi: obunangiz uzaytirildi.",
    "Paid: your subscription is renewed, and renews with this card.":
        "Toʻlandi: obunangiz uzaytirildi va bundan buyon shu karta bilan uzaytiriladi.",
    # why a payment did not go through (kassa.portal.failures)
    "Your bank declined the card. Try another card, or ask your bank why.":
        "Bankingiz kartani rad etdi. Boshqa kartani sinab koʻring yoki sababini bankingizdan "
        "soʻrang.",
    "There is not enough money on the card. Top it up, or try another card.":
        "Kartada mablagʻ yetarli emas. Uni toʻldiring yoki boshqa kartani tanlang.",
    "Your bank wants you to confirm this payment yourself: choose “another card, on the "
    "payment page” and pay there.": "Bankingiz bu toʻlovni oʻzingiz tasdiqlashingizni soʻraydi: "
    "«boshqa karta, toʻlov sahifasida» ni tanlang va oʻsha yerda toʻlang.",
    "The card has expired. Try another card.":
        "Kartaning amal qilish muddati tugagan. Boshqa kartani tanlang.",
    "The card's details were not accepted. Try another card.":
        "Karta maʼlumotlari qabul qilinmadi. Boshqa kartani tanlang.",
    "The card's limit does not allow this payment. Try another card, or ask your bank.":
        "Karta limiti bu toʻlovga imkon bermaydi. Boshqa kartani tanlang yoki bankingizga "
        "murojaat qiling.",
    "The payment could not be made just now. Please try again in a few minutes.":
        "Hozir toʻlovni amalga oshirib boʻlmadi. Bir necha daqiqadan soʻng qayta urinib koʻring.",
    "The payment did not go through. Try another card, or try again later.":
        "Toʻlov amalga oshmadi. Boshqa kartani tanlang yoki keyinroq urinib koʻring.",
    "The payment is on its way: confirm it where your provider asks you to.":
        "Toʻlov yoʻlda: uni toʻlov xizmatingiz soʻragan joyda tasdiqlang.",
    "Default card changed.": "Asosiy karta oʻzgartirildi.",
    "Card removed. Renewals that used it will ask you to pay.":
        "Karta oʻchirildi. Shu karta bilan uzaytiriladigan obunalar sizdan toʻlovni soʻraydi.",
    "That did not work:": "Amalga oshmadi:",
}  # fmt: skip

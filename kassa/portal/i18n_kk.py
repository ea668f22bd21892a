"""The customer portal in Kazakh, keyed by the English as kassa.portal.i18n's Russian is;
terms as in docs/glossary.md (жазылым, төлем, шот, фискалдық чек)."""

from __future__ import annotations

KK: dict[str, str] = {
    "Your subscriptions": "Жазылымдарыңыз", "This link has expired": "Сілтеменің мерзімі өтті",
    "Portal links work for an hour. Open the portal again from the service you subscribe to.":
        "Сілтеме бір сағат жарамды. Кабинетті жазылған сервисіңізден қайта ашыңыз.",
    "Link expired": "Сілтеме ескірді",
    "every {n} days": "әр {n} күн сайын", "for {n} days": "{n} күнге",
    "paid until": "төленген мерзім аяқталады:", "ended": "аяқталды",
    "Next try": "Келесі әрекет", "Next charge": "Келесі есептен шығару",
    "to your card": "картаңыздан", "(you will be asked to pay)": "(сізден төлеу сұралады)",
    "Your last renewal did not go through. Your subscription stays on while we retry.":
        "Соңғы ұзарту өтпеді. Біз қайта әрекеттенгенше жазылымыңыз жарамды болып қала береді.",
    "Pay now": "Қазір төлеу", "Turn renewal off": "Ұзартуды өшіру",
    "Pay with": "Немен төлеу", "renewals use it": "ұзарту осымен",
    "another card, on the payment page": "басқа карта, төлем бетінде",
    "use this card for renewals from now on": "бұдан былай ұзарту үшін осы картаны пайдалану",
    "renewals of": "ұзарту:",
    "Turn renewal on": "Ұзартуды қосу", "You have no subscriptions.": "Сізде жазылымдар жоқ.",
    "Saved cards": "Сақталған карталар", "Card": "Карта", "Expires": "Мерзімі",
    "default": "негізгі", "Make default": "Негізгі ету", "Remove": "Жою",
    "No saved cards.": "Сақталған карталар жоқ.", "Invoices": "Шоттар",
    "Number": "Нөмір", "Date": "Күні", "Amount": "Сома", "Status": "Күйі",
    "fiscal receipt": "фискалдық чек", "No invoices yet.": "Әзірге шоттар жоқ.",
    "← Back": "← Артқа",
    # messages after a button
    "Renewal turned on.": "Ұзарту қосылды.",
    "Renewal turned off: it ends with its period.":
        "Ұзарту өшірілді: жазылым төленген кезеңмен бірге аяқталады.",
    "Paid: your subscription is renewed.": "Төленді: жазылымыңыз ұзартылды.",
    "Paid: your subscription is renewed, and renews with this card.":
        "Төленді: жазылымыңыз ұзартылды және бұдан былай осы картамен ұзартылады.",
    # why a payment did not go through (kassa.portal.failures)
    "Your bank declined the card. Try another card, or ask your bank why.":
        "Банкіңіз картаны қабылдамады. Басқа картаны қолданып көріңіз немесе себебін "
        "банкіңізден сұраңыз.",
    "There is not enough money on the card. Top it up, or try another card.":
        "Картада қаражат жеткіліксіз. Оны толтырыңыз немесе басқа картаны таңдаңыз.",
    "Your bank wants you to confirm this payment yourself: choose “another card, on the "
    "payment page” and pay there.": "Банкіңіз бұл төлемді өзіңіз растауыңызды сұрайды: "
    "«басқа карта, төлем бетінде» дегенді таңдап, сол жерде төлеңіз.",
    "The card has expired. Try another card.":
        "Картаның жарамдылық мерзімі өтіп кеткен. Басқа картаны таңдаңыз.",
    "The card's details were not accepted. Try another card.":
        "Карта деректері қабылданбады. Басқа картаны таңдаңыз.",
    "The card's limit does not allow this payment. Try another card, or ask your bank.":
        "Карта лимиті бұл төлемге мүмкіндік бермейді. Басқа картаны таңдаңыз немесе "
        "банкіңізге хабарласыңыз.",
    "The payment could not be made just now. Please try again in a few minutes.":
        "Қазір төлем жасалмады. Бірнеше минуттан кейін қайталап көріңіз.",
    "The payment did not go through. Try another card, or try again later.":
        "Төлем өтпеді. Басқа картаны таңдаңыз немесе кейінірек қайталап көріңіз.",
    "The payment is on its way: confirm it where your provider asks you to.":
        "Төлем жолда: оны төлем сервисіңіз сұраған жерде растаңыз.",
    "Default card changed.": "Негізгі карта өзгертілді.",
    "Card removed. Renewals that used it will ask you to pay.":
        "Карта жойылды. Осы картамен ұзартылатын жазылымдар сізден төлемді сұрайды.",
    "That did not work:": "Орындалмады:",
}  # fmt: skip

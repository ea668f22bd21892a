"""The admin UI in Uzbek (Latin script; oʻ and gʻ with U+02BB, the tutuq belgisi U+02BC),
keyed by the English as kassa.admin.i18n's Russian is; terms as in docs/glossary.md."""

from __future__ import annotations

UZ: dict[str, str] = {
    # navigation and frame
    "Dashboard": "Umumiy koʻrinish", "Payments": "Toʻlovlar", "Subscriptions": "Obunalar",
    "Customers": "Mijozlar", "Tariffs": "Tariflar", "Promo codes": "Promokodlar",
    "Shops": "Doʻkonlar", "Sellers": "Sotuvchilar", "Audit log": "Audit jurnali",
    "Webhooks": "Vebhuklar", "Log out": "Chiqish", "Log in": "Kirish",
    "kassa admin": "kassa: kirish", "E-mail": "E-mail", "Password": "Parol", "Language": "Til",
    # common words
    "Search": "Qidiruv", "Filter": "Topish", "Status": "Holat", "Provider": "Provayder",
    "Shop": "Doʻkon", "From": "Dan", "To": "Gacha", "Show": "Koʻrsatish", "any": "istalgan",
    "Created": "Yaratilgan", "Payment": "Toʻlov", "User": "Foydalanuvchi", "Amount": "Summa",
    "Customer": "Mijoz", "Tariff": "Tarif", "Period": "Davr", "Next": "Keyingisi",
    "Renews": "Uzaytiriladi", "Cancel": "Bekor qilish", "Name": "Nomi", "Price": "Narxi",
    "Currency": "Valyuta", "Days": "Kunlar", "Trial days": "Sinov kunlari", "Group": "Guruh",
    "Save": "Saqlash", "Id": "Id", "Active": "Faol", "Billing": "Toʻlov tartibi",
    "Code": "Kod", "Discount": "Chegirma", "Value": "Qiymat", "Limit": "Limit",
    "Expires": "Muddati", "Every period": "Har bir davr", "Redeemed": "Ishlatilgan",
    "Applies to": "Amal qiladi", "Description": "Tavsif", "Date": "Sana", "Kind": "Turi",
    "Receipt": "Chek", "Check": "Tekshirish", "Count": "Soni", "Day": "Kun",
    "Succeeded": "Muvaffaqiyatli", "Failure code": "Xato kodi", "Refund": "Qaytarish",
    "noun|Refund": "Qaytarish", "Refunded": "Qaytarilgan", "Refunds": "Qaytarishlar",
    "Reason": "Sabab", "Note": "Izoh", "Started by": "Tashabbuskor",
    "Provider's id": "Provayderdagi id", "Credit note": "Kredit-nota",
    "At": "Vaqt", "Operation": "Amal", "Actor": "Kim", "Error": "Xato",
    "Request": "Soʻrov", "Shop / BIN": "Doʻkon / BIN", "BIN": "BIN", "Card": "Karta",
    "Default": "Asosiy", "Until": "Gacha", "Open": "Ochish", "None.": "Yoʻq.",
    "none": "yoʻq", "now": "hozir", "Remove": "Oʻchirish", "Event": "Hodisa",
    "Delivery": "Yetkazish", "Attempts": "Urinishlar", "Last answer": "Oxirgi javob",
    "Redeliver": "Qayta yetkazish", "URL": "URL", "Address": "Manzil", "Contacts": "Aloqa",
    "Bank": "Bank", "Bank details": "Bank rekvizitlari", "Legal name": "Yuridik nomi",
    "Tax id": "STIR / INN / BIN", "Phone": "Telefon", "For": "Kim uchun",
    "Lines": "Pozitsiyalar", "Qty": "Soni", "Unit price": "Birlik narxi",
    "Fiscal": "Fiskal maʼlumotlar", "Fiscal receipts": "Fiskal cheklar",
    "open the receipt": "chekni ochish", "Event trail": "Hodisalar tarixi",
    "Credentials": "Kalitlar", "Device token": "Qurilma tokeni",
    "Organisation BIN": "Tashkilot BIN", "Shop id": "Doʻkon id",
    "Test payment": "Sinov toʻlovi", "Create shop": "Doʻkon yaratish",
    "Create tariff": "Tarif yaratish", "Create code": "Kod yaratish",
    "Add endpoint": "Manzil qoʻshish", "Save seller": "Sotuvchini saqlash",
    "card": "karta", "never": "muddatsiz", "all": "barchasi", "Activate": "Yoqish",
    "Deactivate": "Oʻchirib qoʻyish", "no: ends": "yoʻq: tugaydi",
    "asks customer": "mijozdan soʻraydi", "{n} d": "{n} kun", "{n} s": "{n} s", "MRR": "MRR",
    # the providers' own settings, as their plug-ins name them
    "Service id": "Servis id", "Merchant id": "Merchant id",
    "Merchant user id": "Merchant foydalanuvchisi id", "Secret key": "Maxfiy kalit",
    "Checkout address": "Toʻlov sahifasi manzili",
    "Merchant API address": "Merchant API manzili",
    "Gateway access token": "Shlyuzga kirish tokeni", "Merchant API key": "Merchant API kaliti",
    "54-FZ receipts (on/off)": "54-FZ cheklari (on/off)",
    "Payme checkout payments are refunded in the Payme merchant cabinet; Payme then calls "
    "CancelTransaction and kassa records the refund.": "Payme toʻlov sahifasi orqali toʻlovlar "
    "Payme merchant kabinetida qaytariladi; soʻng Payme CancelTransaction ni chaqiradi va kassa "
    "qaytarishni qayd etadi.",
    # pages
    "Success rate": "Muvaffaqiyatlilar ulushi", "Median time to success": "Toʻlovgacha mediana",
    "Subscriptions active / past due": "Obunalar: faol / muddati oʻtgan",
    "Webhooks applied / not": "Vebhuklar: qoʻllangan / yoʻq",
    "Webhooks applied / duplicates ignored":
        "Vebhuklar: qoʻllangan / takrorlari eʼtiborsiz qoldirilgan",
    "Webhooks rejected (amount or provider wrong)":
        "Rad etilgan vebhuklar (summa yoki provayder notoʻgʻri)",
    "Webhooks refused": "Rad etilgan vebhuklar",
    "Outbox pending / dead": "Chiquvchi: navbatda / yetkazilmagan",
    "Payments per day (all, succeeded)": "Kunlik toʻlovlar (barchasi, muvaffaqiyatli)",
    "Revenue per day, net of refunds": "Kunlik tushum, qaytarishlarsiz",
    "Export CSV": "CSV yuklab olish", "No payments.": "Toʻlovlar yoʻq.",
    "older →": "eskiroq →",
    "Open the checkout page": "Toʻlov sahifasini ochish",
    "Refund in the sandbox cabinet": "Sandbox kabinetida qaytarish",
    "Advance the clock": "Soatni oldinga surish", "Sandbox billing time:": "Sandbox billing vaqti:",
    "at period end": "davr oxirida", "No subscriptions.": "Obunalar yoʻq.",
    "User or organisation id": "Foydalanuvchi yoki tashkilot id",
    "Saved cards": "Saqlangan kartalar", "Subscription": "Obuna",
    "All tariffs": "Barcha tariflar", "Its subscriptions": "Uning obunalari",
    "percent off": "foizli chegirma", "amount off": "summali chegirma",
    "Currency (amount off)": "Valyuta (summali chegirma uchun)",
    "No promo codes.": "Promokodlar yoʻq.", "Per customer": "Bir mijozga",
    "Per customer: the purchases one customer may hold with the code; left empty, 1 for a "
    "first-period code and any number for an every-period one.": "Bir mijozga: bitta mijozning "
    "shu kod bilan qilishi mumkin boʻlgan xaridlari soni; boʻsh qoldirilsa, birinchi davr kodi "
    "uchun 1, har bir davr kodi uchun cheklanmagan.",
    "20 or 5 000,00": "20 yoki 5 000,00",
    "Percent off is a whole number; an amount off is typed in its currency, as prices are "
    "(5 000,00 UZS).": "Foizli chegirma butun son; summali chegirma narxlar kabi oʻz valyutasida "
    "kiritiladi (5 000,00 UZS).",
    "every shop (default)": "barcha doʻkonlar (asosiy)",
    "No sellers yet: invoices name INVOICE_SELLER only.":
        "Hozircha sotuvchilar yoʻq: hisobvaraqlarda faqat INVOICE_SELLER koʻrsatiladi.",
    "Printed on invoices and credit notes: a shop's own details, else the default seller's.":
        "Hisobvaraqlar va kredit-notalarda chop etiladi: doʻkonning oʻz rekvizitlari, "
        "boʻlmasa asosiy sotuvchiniki.",
    "No shops yet.": "Hozircha doʻkonlar yoʻq.", "Downstream webhooks": "Chiquvchi vebhuklar",
    "Signing secret (shown once):": "Imzo siri (bir marta koʻrsatiladi):",
    "Events (comma-separated, empty: all)": "Hodisalar (vergul bilan, boʻsh: barchasi)",
    "no deliveries yet": "hozircha yetkazishlar yoʻq",
    "the last 14 days": "oxirgi 14 kun", "Revenue": "Tushum",
    "net of refunds": "qaytarishlarsiz",
    "payments": "ta toʻlov", "page": "sahifa", "of": "/",
    "id, provider id or user": "id, provayderdagi id yoki foydalanuvchi",
    "failed renewals": "muvaffaqiyatsiz uzaytirishlar",
    "Renewals per day (renewed, failed)": "Kunlik uzaytirishlar (uzaytirilgan, muvaffaqiyatsiz)",
    "succeeded": "muvaffaqiyatli", "renewed": "uzaytirilgan", "failed": "muvaffaqiyatsiz",
    "Time": "Vaqt",
    # payment detail, tariffs, sellers, shops, subscriptions
    "organisation": "tashkilot", "shop": "doʻkon", "Purpose": "Maqsad",
    "one_off": "bir martalik toʻlov", "tariff": "tarif", "wallet_topup": "hamyonni toʻldirish",
    "paid": "toʻlangan", "Invoice": "Hisobvaraq", "Promo code": "Promokod",
    "discount": "chegirma", "renewal for period": "davr uchun uzaytirish", "Failure": "Xato",
    "Refund it in the sandbox cabinet?": "Sandbox kabinetida qaytarilsinmi?",
    "Amount in": "Summa,", "empty: the rest,": "boʻsh: qolgani,",
    "why the money goes back": "pul nega qaytarilmoqda",
    "Cancel this payment?": "Bu toʻlov bekor qilinsinmi?", "Wallet": "Hamyon",
    "renewal": "uzaytirish", "← newer": "← yangiroq", "every shop": "barcha doʻkonlar",
    "digits": "raqamlar", "days ahead": "kun oldinda",
    "Subscriptions shown (newest 200):": "Koʻrsatilgan obunalar (eng yangi 200 ta):",
    "active": "faol", "inactive": "faol emas", "fiscal": "fiskal maʼlumotlar",
    "renews": "uzaytiriladi", "once": "bir martalik", "trial days": "sinov kunlari",
    "yes": "ha", "no": "yoʻq", "Remove this endpoint?": "Bu manzil oʻchirilsinmi?",
    "letters, digits, dots, colons, hyphens and underscores":
        "harflar, raqamlar, nuqtalar, ikki nuqtalar, chiziqchalar va pastki chiziqlar",
    "12 digits": "12 ta raqam", "from": "manba:", "default": "asosiy",
    "Series": "Seriya", "Time zone": "Vaqt mintaqasi", "from the shop's id": "doʻkon id sidan",
    "A document keeps the seller it was issued with. Each seller numbers its own documents, a "
    "series a year (INV-SERIES-2026-000001), dated in its time zone; a series is fixed once "
    "set.": "Hujjat qaysi sotuvchi bilan yozib berilgan boʻlsa, oʻsha sotuvchini saqlaydi. Har "
    "bir sotuvchi oʻz hujjatlarini har yili oʻz seriyasida raqamlaydi (INV-SERIYA-2026-000001), "
    "sanalari uning vaqt mintaqasida; seriya bir marta berilgach oʻzgarmaydi.",
    # messages after a button (tests/test_admin_i18n.py finds each in the views)
    "Cancelled at the period's end.": "Bekor qilindi: davr oxirigacha amal qiladi.",
    "Ended.": "Tugatildi.",
    "Give 1 to 400 days (sandbox only).": "1 dan 400 kungacha kiriting (faqat sandboxda).",
    "Billing time is now {now} UTC.": "Billing vaqti endi: {now} UTC.",
    "A code is 3 to 64 letters, digits, - or _.":
        "Kod 3 tadan 64 tagacha harf, raqam, - yoki _ dan iborat.",
    "Percent off is a whole number from 1 to 100.": "Foizli chegirma 1 dan 100 gacha butun son.",
    "An amount off is more than zero.": "Summali chegirma noldan katta boʻladi.",
    "The limit is a whole number.": "Limit butun son boʻladi.",
    "The limit per customer is a whole number from 1.":
        "Bir mijozga limit 1 dan boshlab butun son boʻladi.",
    "The expiry is a date, YYYY-MM-DD.": "Muddat sana boʻladi: YYYY-MM-DD.",
    "An amount off needs its currency.": "Summali chegirma uchun valyuta kerak.",
    "Promo code {code} created.": "{code} promokodi yaratildi.",
    "A seller needs its legal name.": "Sotuvchining yuridik nomi kerak.",
    "A tax id (INN, STIR, BIN) is 9 to 12 digits.":
        "STIR (INN, BIN) 9 tadan 12 tagacha raqamdan iborat.",
    "Seller for {shop} saved.": "{shop} uchun sotuvchi saqlandi.",
    "Seller for every shop saved.": "Barcha doʻkonlar uchun sotuvchi saqlandi.",
    "The sign-in form expired; please try again.":
        "Kirish shakli eskirdi, qaytadan urinib koʻring.",
    "Wrong e-mail or password. After several failures, wait a little and retry.":
        "E-mail yoki parol notoʻgʻri. Bir necha xatodan soʻng biroz kutib, qayta urinib koʻring.",
    "Only sandbox payments refunded in a cabinet.":
        "Kabinetda faqat sandbox toʻlovlari qaytariladi.",
    "The sandbox cabinet could not refund it.": "Sandbox kabineti toʻlovni qaytara olmadi.",
    "Refunded in the sandbox cabinet.": "Sandbox kabinetida qaytarildi.",
    "No such payment.": "Bunday toʻlov yoʻq.",
    "Type the amount in {currency}, like {example}.":
        "Summani {currency} da kiriting, masalan: {example}.",
    "{currency} has {decimals} decimal places: {typed} has more.":
        "{currency} da verguldan keyin {decimals} ta raqam bor, {typed} da esa koʻproq.",
    "{currency} is not a currency kassa knows.": "kassa {currency} valyutasini bilmaydi.",
    "Refunded {amount} ({status}).": "{amount} qaytarildi ({status}).",
    "Cancelled.": "Bekor qilindi.",
    "A name, a price in its currency, days, and 0 to 365 trial days.":
        "Nomi, oʻz valyutasidagi narxi, kunlar va 0 dan 365 gacha sinov kunlari.",
    "Tariff created.": "Tarif yaratildi.", "No such tariff.": "Bunday tarif yoʻq.",
    "Tariff saved. Subscriptions renew at the new price from their next period.":
        "Tarif saqlandi. Obunalar keyingi davrdan boshlab yangi narxda uzaytiriladi.",
    "A shop id and a provider are needed.": "Doʻkon id va provayder kerak.",
    "Shop {shop} created.": "{shop} doʻkoni yaratildi.",
    "Test payment created: open its checkout page.":
        "Sinov toʻlovi yaratildi: uning toʻlov sahifasini oching.",
    "An http(s) URL is needed.": "http(s) manzil kerak.", "Endpoint removed.": "Manzil oʻchirildi.",
    "Queued for redelivery.": "Qayta yetkazish navbatiga qoʻyildi.",
    "Not found": "Topilmadi",
}  # fmt: skip

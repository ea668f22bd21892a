"""What kassa says when it refuses something, and the notes its event trail keeps, in each
language a person reads them in (the admin: Russian, Uzbek; the portal: Kazakh too). The
English is the source as the code writes it, `{…}` standing for what is filled in; the API
answers the English (clients match on `code`). tests/test_admin_i18n.py finds every detail
the services raise and every note apply_update writes, and fails on one missing here."""

from __future__ import annotations

# A problem's title by its code, in each language: said when the detail is not known here.
TITLES: dict[str, dict[str, str]] = {
    "validation_error": {"en": "Invalid request", "ru": "Неверные данные",
                         "uz": "Notoʻgʻri maʼlumotlar", "kk": "Қате деректер"},
    "unauthorized": {"en": "Authentication required", "ru": "Нужно войти",
                     "uz": "Tizimga kirish kerak", "kk": "Жүйеге кіру қажет"},
    "forbidden": {"en": "Not allowed", "ru": "Нельзя", "uz": "Ruxsat yoʻq", "kk": "Рұқсат жоқ"},
    "not_found": {"en": "Not found", "ru": "Не найдено", "uz": "Topilmadi", "kk": "Табылмады"},
    "idempotency_key_reused": {"en": "Idempotency key reused",
                               "ru": "Ключ идемпотентности уже использован",
                               "uz": "Idempotentlik kaliti allaqachon ishlatilgan",
                               "kk": "Идемпотенттілік кілті бұрын қолданылған"},
    "idempotency_conflict": {"en": "Request with this key in progress",
                             "ru": "Запрос с этим ключом ещё выполняется",
                             "uz": "Shu kalitli soʻrov hali bajarilmoqda",
                             "kk": "Осы кілтпен сұрау әлі орындалуда"},
    "invalid_state": {"en": "Invalid state", "ru": "Нельзя в этом состоянии",
                      "uz": "Bu holatda mumkin emas", "kk": "Бұл күйде мүмкін емес"},
    "provider_error": {"en": "Payment provider error", "ru": "Ошибка провайдера",
                       "uz": "Provayder xatosi", "kk": "Провайдер қатесі"},
    "rate_limited": {"en": "Too many requests", "ru": "Слишком много запросов",
                     "uz": "Soʻrovlar juda koʻp", "kk": "Сұраулар тым көп"},
    "payload_too_large": {"en": "Payload too large", "ru": "Слишком большой запрос",
                          "uz": "Soʻrov juda katta", "kk": "Сұрау тым үлкен"},
    "internal_error": {"en": "Internal error", "ru": "Внутренняя ошибка", "uz": "Ichki xato",
                       "kk": "Ішкі қате"},
}  # fmt: skip

# The details kassa's services raise (and the messages of providers and rules they pass on).
DETAILS: dict[str, dict[str, str]] = {
    # who may
    "only the payment's owner may do this": {
        "ru": "это может только владелец платежа", "uz": "buni faqat toʻlov egasi qila oladi",
        "kk": "мұны тек төлем иесі жасай алады"},
    "admin role required": {
        "ru": "нужна роль администратора", "uz": "administrator roli kerak",
        "kk": "әкімші рөлі қажет"},
    "only admins and services may {what}": {
        "ru": "это могут только администраторы и сервисы ({what})",
        "uz": "buni faqat administratorlar va servislar qila oladi ({what})",
        "kk": "мұны тек әкімшілер мен сервистер жасай алады ({what})"},
    "only services may create {what} for another user": {
        "ru": "для другого пользователя это может создать только сервис ({what})",
        "uz": "boshqa foydalanuvchi uchun buni faqat servis yarata oladi ({what})",
        "kk": "басқа пайдаланушы үшін мұны тек сервис жасай алады ({what})"},
    "user_id is required when a service or admin creates {what}": {
        "ru": "user_id обязателен, когда это создаёт сервис или администратор ({what})",
        "uz": "buni servis yoki administrator yaratganda user_id majburiy ({what})",
        "kk": "мұны сервис немесе әкімші жасағанда user_id міндетті ({what})"},
    # idempotency
    "the request with this key is in progress": {
        "ru": "запрос с этим ключом ещё выполняется", "uz": "shu kalitli soʻrov hali bajarilmoqda",
        "kk": "осы кілтпен сұрау әлі орындалуда"},
    "the request with this key is still in progress": {
        "ru": "запрос с этим ключом ещё выполняется", "uz": "shu kalitli soʻrov hali bajarilmoqda",
        "kk": "осы кілтпен сұрау әлі орындалуда"},
    "this Idempotency-Key was used with a different request": {
        "ru": "этот Idempotency-Key уже использован с другим запросом",
        "uz": "bu Idempotency-Key boshqa soʻrov bilan ishlatilgan",
        "kk": "бұл Idempotency-Key басқа сұраумен қолданылған"},
    "Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters": {
        "ru": "Idempotency-Key — от 1 до {MAX_KEY_LENGTH} печатных символов",
        "uz": "Idempotency-Key 1 tadan {MAX_KEY_LENGTH} tagacha bosma belgidan iborat",
        "kk": "Idempotency-Key 1-ден {MAX_KEY_LENGTH}-ге дейін басылатын таңбадан тұрады"},
    # things not found
    "credit note not found": {"ru": "кредит-нота не найдена", "uz": "kredit-nota topilmadi",
                              "kk": "кредит-нота табылмады"},
    "delivery not found": {"ru": "доставка не найдена", "uz": "yetkazish topilmadi",
                           "kk": "жеткізу табылмады"},
    "invoice not found": {"ru": "счёт не найден", "uz": "hisobvaraq topilmadi",
                          "kk": "шот табылмады"},
    "organization not found": {"ru": "организация не найдена", "uz": "tashkilot topilmadi",
                               "kk": "ұйым табылмады"},
    "payment method not found": {"ru": "карта не найдена", "uz": "karta topilmadi",
                                 "kk": "карта табылмады"},
    "payment not found": {"ru": "платёж не найден", "uz": "toʻlov topilmadi",
                          "kk": "төлем табылмады"},
    "shop not found": {"ru": "магазин не найден", "uz": "doʻkon topilmadi",
                       "kk": "дүкен табылмады"},
    "subscription not found": {"ru": "подписка не найдена", "uz": "obuna topilmadi",
                               "kk": "жазылым табылмады"},
    "tariff not found": {"ru": "тариф не найден", "uz": "tarif topilmadi",
                         "kk": "тариф табылмады"},
    "webhook endpoint not found": {"ru": "адрес вебхука не найден",
                                   "uz": "vebhuk manzili topilmadi",
                                   "kk": "вебхук мекенжайы табылмады"},
    "unknown shop {shop_id!r}": {"ru": "неизвестный магазин {shop_id!r}",
                                 "uz": "nomaʼlum doʻkon {shop_id!r}",
                                 "kk": "белгісіз дүкен {shop_id!r}"},
    # payments and their states
    "a {payment.status} payment cannot be cancelled": {
        "ru": "платёж в состоянии «{payment.status}» нельзя отменить",
        "uz": "«{payment.status}» holatidagi toʻlovni bekor qilib boʻlmaydi",
        "kk": "«{payment.status}» күйіндегі төлемнің күшін жою мүмкін емес"},
    "a {payment.status} payment cannot be captured": {
        "ru": "платёж в состоянии «{payment.status}» нельзя подтвердить",
        "uz": "«{payment.status}» holatidagi toʻlovni tasdiqlab boʻlmaydi",
        "kk": "«{payment.status}» күйіндегі төлемді растау мүмкін емес"},
    "a {payment.status} payment cannot be refunded": {
        "ru": "платёж в состоянии «{payment.status}» нельзя вернуть",
        "uz": "«{payment.status}» holatidagi toʻlovni qaytarib boʻlmaydi",
        "kk": "«{payment.status}» күйіндегі төлемді қайтару мүмкін емес"},
    "the payment is {result.payment.status} and cannot be cancelled": {
        "ru": "платёж в состоянии «{result.payment.status}», его нельзя отменить",
        "uz": "toʻlov «{result.payment.status}» holatida, uni bekor qilib boʻlmaydi",
        "kk": "төлем «{result.payment.status}» күйінде, оның күшін жою мүмкін емес"},
    "{payment.provider} payments are captured by the provider": {
        "ru": "платежи {payment.provider} подтверждает сам провайдер",
        "uz": "{payment.provider} toʻlovlarini provayderning oʻzi tasdiqlaydi",
        "kk": "{payment.provider} төлемдерін провайдердің өзі растайды"},
    "refund exceeds what is left: {exc}": {
        "ru": "возврат больше остатка: {exc}", "uz": "qaytarish qoldiqdan koʻp: {exc}",
        "kk": "қайтару қалдықтан көп: {exc}"},
    "{amount} asked, {left} left to refund": {
        "ru": "запрошено {amount}, к возврату осталось {left}",
        "uz": "{amount} soʻralgan, qaytarish uchun {left} qolgan",
        "kk": "{amount} сұралды, қайтаруға {left} қалды"},
    "{payment.provider} accepts {', '.join(sorted(allowed))}, not {payment.currency}": {
        "ru": "{payment.provider} принимает {', '.join(sorted(allowed))}, "
              "а не {payment.currency}",
        "uz": "{payment.provider} {payment.currency} emas, {', '.join(sorted(allowed))} "
              "qabul qiladi",
        "kk": "{payment.provider} {payment.currency} емес, {', '.join(sorted(allowed))} "
              "қабылдайды"},
    "a payment for this tariff must be {price} {tariff.currency}": {
        "ru": "платёж за этот тариф должен быть {price} {tariff.currency}",
        "uz": "bu tarif uchun toʻlov {price} {tariff.currency} boʻlishi kerak",
        "kk": "бұл тариф үшін төлем {price} {tariff.currency} болуы керек"},
    "a tariff payment needs tariff_id": {
        "ru": "для платежа за тариф нужен tariff_id", "uz": "tarif toʻlovi uchun tariff_id kerak",
        "kk": "тариф төлеміне tariff_id қажет"},
    "a wallet top-up needs organization_id": {
        "ru": "для пополнения кошелька нужен organization_id",
        "uz": "hamyonni toʻldirish uchun organization_id kerak",
        "kk": "әмиянды толтыруға organization_id қажет"},
    "tariff_id goes only with purpose=tariff": {
        "ru": "tariff_id указывают только с purpose=tariff",
        "uz": "tariff_id faqat purpose=tariff bilan beriladi",
        "kk": "tariff_id тек purpose=tariff болғанда беріледі"},
    "amount: {problem}": {"ru": "сумма: {problem}", "uz": "summa: {problem}",
                          "kk": "сома: {problem}"},
    "amount must be between 1 and {MAX_AMOUNT}": {
        "ru": "сумма должна быть от 1 до {MAX_AMOUNT}",
        "uz": "summa 1 dan {MAX_AMOUNT} gacha boʻlishi kerak",
        "kk": "сома 1-ден {MAX_AMOUNT}-ге дейін болуы керек"},
    "unknown or unsupported currency {code!r}": {
        "ru": "неизвестная или неподдерживаемая валюта {code!r}",
        "uz": "nomaʼlum yoki qoʻllab-quvvatlanmaydigan valyuta {code!r}",
        "kk": "белгісіз немесе қолдау көрсетілмейтін валюта {code!r}"},
    "items: their prices sum to {total}, the amount is {new.amount}": {
        "ru": "позиции: их сумма {total}, а сумма платежа {new.amount}",
        "uz": "pozitsiyalar: ularning yigʻindisi {total}, toʻlov summasi esa {new.amount}",
        "kk": "позициялар: олардың қосындысы {total}, ал төлем сомасы {new.amount}"},
    "phone: a {new.provider} payment is a request to the customer's phone; send their number "
    "(a Kazakh mobile, +7 7XX XXX XX XX)": {
        "ru": "телефон: платёж {new.provider} — это запрос на телефон клиента; укажите его номер "
              "(казахстанский мобильный, +7 7XX XXX XX XX)",
        "uz": "telefon: {new.provider} toʻlovi — mijoz telefoniga soʻrov; uning raqamini kiriting "
              "(Qozogʻiston mobil raqami, +7 7XX XXX XX XX)",
        "kk": "телефон: {new.provider} төлемі — клиенттің телефонына сұрау; оның нөмірін "
              "көрсетіңіз (Қазақстанның ұялы нөмірі, +7 7XX XXX XX XX)"},
    "phone: {exc}": {"ru": "телефон: {exc}", "uz": "telefon: {exc}", "kk": "телефон: {exc}"},
    "a phone number has only digits, spaces, brackets, dashes and a leading +": {
        "ru": "в номере телефона только цифры, пробелы, скобки, дефисы и + в начале",
        "uz": "telefon raqamida faqat raqamlar, boʻshliqlar, qavslar, chiziqchalar va boshida + "
              "boʻladi",
        "kk": "телефон нөмірінде тек цифрлар, бос орындар, жақшалар, сызықшалар және басында + "
              "болады"},
    "not a Kazakh mobile number (+7 7xx xxx xx xx)": {
        "ru": "это не казахстанский мобильный номер (+7 7xx xxx xx xx)",
        "uz": "bu Qozogʻiston mobil raqami emas (+7 7xx xxx xx xx)",
        "kk": "бұл Қазақстанның ұялы нөмірі емес (+7 7xx xxx xx xx)"},
    # providers
    "provider {provider!r} is not enabled on this kassa": {
        "ru": "провайдер {provider!r} не включён в этой kassa",
        "uz": "{provider!r} provayderi bu kassada yoqilmagan",
        "kk": "{provider!r} провайдері бұл kassa-да қосылмаған"},
    "{provider} does not keep payment methods": {
        "ru": "{provider} не хранит карты", "uz": "{provider} kartalarni saqlamaydi",
        "kk": "{provider} карталарды сақтамайды"},
    "its credential {name!r} is not configured": {
        "ru": "его ключ {name!r} не настроен", "uz": "uning {name!r} kaliti sozlanmagan",
        "kk": "оның {name!r} кілті бапталмаған"},
    "{name} is not configured on this kassa: {exc.message}": {
        "ru": "{name} не настроен в этой kassa: {exc.message}",
        "uz": "{name} bu kassada sozlanmagan: {exc.message}",
        "kk": "{name} бұл kassa-да бапталмаған: {exc.message}"},
    "save_payment_method: {new.provider} keeps no card from a payment; a card it can charge "
    "later is saved with POST /payment-methods, where it offers that": {
        "ru": "save_payment_method: {new.provider} не сохраняет карту после платежа; карту для "
              "будущих списаний сохраняют через POST /payment-methods, где провайдер это "
              "позволяет",
        "uz": "save_payment_method: {new.provider} toʻlovdan keyin kartani saqlamaydi; keyingi "
              "yechib olishlar uchun karta POST /payment-methods orqali saqlanadi, provayder "
              "bunga imkon bergan joyda",
        "kk": "save_payment_method: {new.provider} төлемнен кейін картаны сақтамайды; кейінгі "
              "есептен шығаруларға арналған карта POST /payment-methods арқылы сақталады, "
              "провайдер мүмкіндік берген жерде"},
    "{payment.provider}: {exc.message}": {
        "ru": "{payment.provider} ответил ошибкой: «{exc.message}»",
        "uz": "{payment.provider} xato bilan javob berdi: «{exc.message}»",
        "kk": "{payment.provider} қатемен жауап берді: «{exc.message}»"},
    "{method.provider}: {exc.message}": {
        "ru": "{method.provider} ответил ошибкой: «{exc.message}»",
        "uz": "{method.provider} xato bilan javob berdi: «{exc.message}»",
        "kk": "{method.provider} қатемен жауап берді: «{exc.message}»"},
    "{provider}: {exc.message}": {
        "ru": "{provider} ответил ошибкой: «{exc.message}»",
        "uz": "{provider} xato bilan javob berdi: «{exc.message}»",
        "kk": "{provider} қатемен жауап берді: «{exc.message}»"},
    "Kaspi's gateway cannot cancel a payment request; it expires in the customer's Kaspi app if "
    "they do not pay": {
        "ru": "шлюз Kaspi не отменяет запрос на оплату: если клиент не заплатит, срок запроса "
              "истечёт в его приложении Kaspi",
        "uz": "Kaspi shlyuzi toʻlov soʻrovini bekor qilmaydi: mijoz toʻlamasa, soʻrov muddati "
              "uning Kaspi ilovasida tugaydi",
        "kk": "Kaspi шлюзі төлем сұрауының күшін жоймайды: клиент төлемесе, сұраудың мерзімі "
              "оның Kaspi қосымшасында аяқталады"},
    "Kaspi refunds whole tenge only": {
        "ru": "Kaspi возвращает только целые тенге", "uz": "Kaspi faqat butun tengeni qaytaradi",
        "kk": "Kaspi тек бүтін теңгені қайтарады"},
    "YooKassa cannot cancel a payment the customer has not paid; it expires by itself": {
        "ru": "ЮKassa не отменяет неоплаченный платёж: его срок истечёт сам",
        "uz": "YooKassa toʻlanmagan toʻlovni bekor qilmaydi: uning muddati oʻzi tugaydi",
        "kk": "YooKassa төленбеген төлемнің күшін жоймайды: оның мерзімі өзі аяқталады"},
    "Payme checkout payments are refunded in the Payme cabinet; Payme then calls "
    "CancelTransaction and kassa records the refund": {
        "ru": "платежи через страницу Payme возвращают в кабинете Payme; затем Payme вызывает "
              "CancelTransaction, и kassa записывает возврат",
        "uz": "Payme toʻlov sahifasi orqali toʻlovlar Payme kabinetida qaytariladi; soʻng Payme "
              "CancelTransaction ni chaqiradi va kassa qaytarishni qayd etadi",
        "kk": "Payme төлем беті арқылы төлемдер Payme кабинетінде қайтарылады; содан кейін Payme "
              "CancelTransaction шақырады, kassa қайтаруды тіркейді"},
    "Payme cancels a paid receipt only in full": {
        "ru": "Payme отменяет оплаченный чек только целиком",
        "uz": "Payme toʻlangan chekni faqat toʻliq bekor qiladi",
        "kk": "Payme төленген чекті тек толық жояды"},
    "Click reverses a payment only in full": {
        "ru": "Click отменяет платёж только целиком",
        "uz": "Click toʻlovni faqat toʻliq bekor qiladi",
        "kk": "Click төлемді тек толық кері қайтарады"},
    "fiscal: this shop sends 54-FZ receipts; the tariff or items need vat_code, payment_subject "
    "and payment_mode": {
        "ru": "фискальные данные: этот магазин отправляет чеки по 54-ФЗ; тарифу или позициям "
              "нужны vat_code, payment_subject и payment_mode",
        "uz": "fiskal maʼlumotlar: bu doʻkon 54-FZ boʻyicha cheklar yuboradi; tarif yoki "
              "pozitsiyalarga vat_code, payment_subject va payment_mode kerak",
        "kk": "фискалдық деректер: бұл дүкен 54-ФЗ бойынша чектер жібереді; тарифке немесе "
              "позицияларға vat_code, payment_subject және payment_mode қажет"},
    "email: this shop sends 54-FZ receipts; give the buyer's email or phone": {
        "ru": "email: этот магазин отправляет чеки по 54-ФЗ; укажите e-mail или телефон "
              "покупателя",
        "uz": "email: bu doʻkon 54-FZ boʻyicha cheklar yuboradi; xaridorning e-mail manzili yoki "
              "telefonini kiriting",
        "kk": "email: бұл дүкен 54-ФЗ бойынша чектер жібереді; сатып алушының e-mail "
              "мекенжайын немесе телефонын көрсетіңіз"},
    # shops and sellers
    "shop {shop_id!r} already exists": {
        "ru": "магазин {shop_id!r} уже есть", "uz": "{shop_id!r} doʻkoni allaqachon bor",
        "kk": "{shop_id!r} дүкені бұрыннан бар"},
    "shop {shop_id!r} is inactive": {
        "ru": "магазин {shop_id!r} не действует", "uz": "{shop_id!r} doʻkoni faol emas",
        "kk": "{shop_id!r} дүкені белсенді емес"},
    "shop {shop_id!r} pays through {merchant.provider}, not {provider}": {
        "ru": "магазин {shop_id!r} принимает оплату через {merchant.provider}, а не {provider}",
        "uz": "{shop_id!r} doʻkoni toʻlovni {provider} emas, {merchant.provider} orqali qabul "
              "qiladi",
        "kk": "{shop_id!r} дүкені төлемді {provider} емес, {merchant.provider} арқылы қабылдайды"},
    "a {merchant.provider} shop needs its organization_bin": {
        "ru": "магазину {merchant.provider} нужен organization_bin",
        "uz": "{merchant.provider} doʻkoni uchun organization_bin kerak",
        "kk": "{merchant.provider} дүкеніне organization_bin қажет"},
    "organization_bin must be 12 digits": {
        "ru": "organization_bin — 12 цифр", "uz": "organization_bin 12 ta raqamdan iborat",
        "kk": "organization_bin 12 цифрдан тұрады"},
    "device_token must be a UUID": {
        "ru": "device_token должен быть UUID", "uz": "device_token UUID boʻlishi kerak",
        "kk": "device_token UUID болуы керек"},
    "the seller's series is {seller.series}: it does not change": {
        "ru": "серия продавца — {seller.series}, она не меняется",
        "uz": "sotuvchining seriyasi {seller.series}, u oʻzgarmaydi",
        "kk": "сатушының сериясы — {seller.series}, ол өзгермейді"},
    "the series {series!r} is another seller's": {
        "ru": "серия {series!r} принадлежит другому продавцу",
        "uz": "{series!r} seriyasi boshqa sotuvchiniki",
        "kk": "{series!r} сериясы басқа сатушыныкі"},
    "another seller took that series meanwhile: try again": {
        "ru": "эту серию только что занял другой продавец, попробуйте ещё раз",
        "uz": "bu seriyani hozirgina boshqa sotuvchi egalladi, qaytadan urinib koʻring",
        "kk": "бұл серияны жаңа ғана басқа сатушы алды, қайталап көріңіз"},
    "a series is 1 to 10 capital letters and digits, a letter first": {
        "ru": "серия — от 1 до 10 заглавных букв и цифр, первой идёт буква",
        "uz": "seriya 1 tadan 10 tagacha bosh harf va raqamdan iborat, birinchisi harf",
        "kk": "серия 1-ден 10-ға дейін бас әріп пен цифрдан тұрады, біріншісі әріп"},
    "{time_zone!r} is not a time zone (an IANA name: Asia/Tashkent)": {
        "ru": "{time_zone!r} — не часовой пояс (нужно имя IANA: Asia/Tashkent)",
        "uz": "{time_zone!r} vaqt mintaqasi emas (IANA nomi kerak: Asia/Tashkent)",
        "kk": "{time_zone!r} уақыт белдеуі емес (IANA атауы қажет: Asia/Tashkent)"},
    "the database does not know the time zone {time_zone!r}": {
        "ru": "база данных не знает часовой пояс {time_zone!r}",
        "uz": "maʼlumotlar bazasi {time_zone!r} vaqt mintaqasini bilmaydi",
        "kk": "дерекқор {time_zone!r} уақыт белдеуін білмейді"},
    # subscriptions, tariffs, promo codes
    "a trial is for customers who never subscribed in this group": {
        "ru": "пробный период — только для тех, кто ещё не подписывался в этой группе",
        "uz": "sinov davri faqat bu guruhda hali obuna boʻlmaganlar uchun",
        "kk": "сынақ кезеңі тек осы топқа әлі жазылмағандарға арналған"},
    "this tariff has no trial": {
        "ru": "у этого тарифа нет пробного периода", "uz": "bu tarifda sinov davri yoʻq",
        "kk": "бұл тарифте сынақ кезеңі жоқ"},
    "the customer holds a subscription in this group already": {
        "ru": "у клиента уже есть подписка в этой группе",
        "uz": "mijozda bu guruhda obuna allaqachon bor",
        "kk": "клиенттің осы топта жазылымы бұрыннан бар"},
    "the customer holds paid time in another currency in this tariff group; a change would "
    "lose it (let it run out, or refund it first)": {
        "ru": "у клиента есть оплаченное время в другой валюте в этой группе тарифов; при смене "
              "оно пропадёт (дождитесь его окончания или сначала верните оплату)",
        "uz": "mijozda bu tariflar guruhida boshqa valyutada toʻlangan vaqt bor; almashtirilsa "
              "u yoʻqoladi (tugashini kuting yoki avval toʻlovni qaytaring)",
        "kk": "клиенттің осы тарифтер тобында басқа валютада төленген уақыты бар; ауыстырса ол "
              "жоғалады (аяқталуын күтіңіз немесе алдымен төлемді қайтарыңыз)"},
    "a {sub.status} subscription cannot be changed": {
        "ru": "подписку в состоянии «{sub.status}» нельзя изменить",
        "uz": "«{sub.status}» holatidagi obunani oʻzgartirib boʻlmaydi",
        "kk": "«{sub.status}» күйіндегі жазылымды өзгерту мүмкін емес"},
    "the subscription is {sub.status} already": {
        "ru": "подписка уже в состоянии «{sub.status}»",
        "uz": "obuna allaqachon «{sub.status}» holatida",
        "kk": "жазылым қазірдің өзінде «{sub.status}» күйінде"},
    "there is nothing to pay for this subscription now": {
        "ru": "по этой подписке сейчас нечего оплачивать",
        "uz": "bu obuna boʻyicha hozir toʻlanadigan narsa yoʻq",
        "kk": "бұл жазылым бойынша қазір төлейтін ештеңе жоқ"},
    "there is no card or provider to pay this subscription with": {
        "ru": "для этой подписки нет ни карты, ни платёжного сервиса",
        "uz": "bu obunani toʻlash uchun na karta, na toʻlov xizmati bor",
        "kk": "бұл жазылымды төлеуге карта да, төлем сервисі де жоқ"},
    "the tariff is one-off: the subscription does not renew": {
        "ru": "тариф разовый: подписка не продлевается",
        "uz": "tarif bir martalik: obuna uzaytirilmaydi",
        "kk": "тариф бір реттік: жазылым ұзартылмайды"},
    "this payment method is already saved": {
        "ru": "эта карта уже сохранена", "uz": "bu karta allaqachon saqlangan",
        "kk": "бұл карта бұрыннан сақталған"},
    "promo code {promo.code!r} exists already": {
        "ru": "промокод {promo.code!r} уже есть", "uz": "{promo.code!r} promokodi allaqachon bor",
        "kk": "{promo.code!r} промокоды бұрыннан бар"},
    "promo_code: no such promo code": {
        "ru": "промокод: такого промокода нет", "uz": "promokod: bunday promokod yoʻq",
        "kk": "промокод: мұндай промокод жоқ"},
    "promo_code: this code gives nothing off a {currency} price": {
        "ru": "промокод: этот код не даёт скидки на цену в {currency}",
        "uz": "promokod: bu kod {currency} dagi narxga chegirma bermaydi",
        "kk": "промокод: бұл код {currency} бағасына жеңілдік бермейді"},
    "promo_code: this code has been used by this customer": {
        "ru": "промокод: этот клиент уже использовал этот код",
        "uz": "promokod: bu mijoz bu koddan foydalanib boʻlgan",
        "kk": "промокод: бұл клиент бұл кодты пайдаланып қойған"},
    "promo_code: this code has expired or been used up": {
        "ru": "промокод: срок действия кода истёк или он исчерпан",
        "uz": "promokod: kodning muddati tugagan yoki u tugab qolgan",
        "kk": "промокод: кодтың мерзімі өткен немесе ол таусылған"},
    "promo_code: this code is not valid for this tariff": {
        "ru": "промокод: этот код не действует для этого тарифа",
        "uz": "promokod: bu kod bu tarif uchun amal qilmaydi",
        "kk": "промокод: бұл код бұл тарифке жарамайды"},
    "tariff_ids: no tariff {sorted(unknown)[0]!r}": {
        "ru": "tariff_ids: нет тарифа {sorted(unknown)[0]!r}",
        "uz": "tariff_ids: {sorted(unknown)[0]!r} tarifi yoʻq",
        "kk": "tariff_ids: {sorted(unknown)[0]!r} тарифі жоқ"},
    # operators and webhooks
    "that operator exists already": {
        "ru": "такой оператор уже есть", "uz": "bunday operator allaqachon bor",
        "kk": "мұндай оператор бұрыннан бар"},
    "an operator is named by an e-mail address": {
        "ru": "оператор задаётся адресом e-mail", "uz": "operator e-mail manzili bilan belgilanadi",
        "kk": "оператор e-mail мекенжайымен белгіленеді"},
    "passwords have at least {MIN_PASSWORD} characters": {
        "ru": "в пароле не меньше {MIN_PASSWORD} символов",
        "uz": "parolda kamida {MIN_PASSWORD} ta belgi boʻladi",
        "kk": "құпиясөзде кемінде {MIN_PASSWORD} таңба болады"},
    "unknown event types: {', '.join(unknown)}": {
        "ru": "неизвестные типы событий: {', '.join(unknown)}",
        "uz": "nomaʼlum hodisa turlari: {', '.join(unknown)}",
        "kk": "белгісіз оқиға түрлері: {', '.join(unknown)}"},
    "url: {exc}": {"ru": "адрес: {exc}", "uz": "manzil: {exc}", "kk": "мекенжай: {exc}"},
    "webhook URLs are http or https with a host": {
        "ru": "адрес вебхука — http или https с именем хоста",
        "uz": "vebhuk manzili xost nomi bilan http yoki https boʻladi",
        "kk": "вебхук мекенжайы хост атауымен http немесе https болады"},
    "{host}: {reason}; WEBHOOK_ALLOWED_NETWORKS may name it": {
        "ru": "{host}: {reason}; его можно разрешить в WEBHOOK_ALLOWED_NETWORKS",
        "uz": "{host}: {reason}; unga WEBHOOK_ALLOWED_NETWORKS da ruxsat berish mumkin",
        "kk": "{host}: {reason}; оған WEBHOOK_ALLOWED_NETWORKS ішінде рұқсат беруге болады"},
    "{host} does not resolve": {
        "ru": "имя {host} не находится в DNS", "uz": "{host} nomi DNS da topilmadi",
        "kk": "{host} атауы DNS-те табылмады"},
    "webhooks are sent over TCP only": {
        "ru": "вебхуки отправляются только по TCP", "uz": "vebhuklar faqat TCP orqali yuboriladi",
        "kk": "вебхуктер тек TCP арқылы жіберіледі"},
}  # fmt: skip

# The notes apply_update writes on an update it does not apply (the event trail, the audit
# log): "{outcome}: {reason}". The admin shows them; operators read Russian or Uzbek.
NOTES: dict[str, dict[str, str]] = {
    "ignored: {reason}": {"ru": "пропущено: {reason}", "uz": "eʼtiborsiz qoldirildi: {reason}"},
    "rejected: {reason}": {"ru": "отклонено: {reason}", "uz": "rad etildi: {reason}"},
    "already {previous.value}": {"ru": "платёж уже «{previous.value}»",
                                 "uz": "toʻlov allaqachon «{previous.value}»"},
    "{previous.value} cannot move to {target.value}": {
        "ru": "из «{previous.value}» нельзя перейти в «{target.value}»",
        "uz": "«{previous.value}» holatidan «{target.value}» holatiga oʻtib boʻlmaydi"},
    "update from {update.provider} for a {payment.provider} payment": {
        "ru": "уведомление от {update.provider} о платеже {payment.provider}",
        "uz": "{payment.provider} toʻlovi haqida {update.provider} xabari"},
    "provider reports {update.amount}, payment is {payment.amount}": {
        "ru": "провайдер сообщает {update.amount}, а в платеже {payment.amount}",
        "uz": "provayder {update.amount} deydi, toʻlovda esa {payment.amount}"},
    "provider reports {update.currency.upper()}, payment is {payment.currency}": {
        "ru": "провайдер сообщает {update.currency.upper()}, а в платеже {payment.currency}",
        "uz": "provayder {update.currency.upper()} deydi, toʻlovda esa {payment.currency}"},
    "provider reports {update.refunded_amount} refunded of {payment.amount}": {
        "ru": "провайдер сообщает о возврате {update.refunded_amount} из {payment.amount}",
        "uz": "provayder {payment.amount} dan {update.refunded_amount} qaytarilganini aytadi"},
    "provider reports {plan.refunded} refunded of {payment.amount}": {
        "ru": "провайдер сообщает о возврате {plan.refunded} из {payment.amount}",
        "uz": "provayder {payment.amount} dan {plan.refunded} qaytarilganini aytadi"},
    # a note kassa did not write itself: the provider's own words, quoted
    "provider's answer: {answer}": {"ru": "ответ провайдера: «{answer}»",
                                    "uz": "provayder javobi: «{answer}»"},
    # what a downstream endpoint answered a delivery with
    "endpoint's answer: {answer}": {"ru": "ответ адреса: «{answer}»",
                                    "uz": "manzil javobi: «{answer}»"},
}  # fmt: skip

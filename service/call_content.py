"""The texts a new call starts with (officers edit them): who may apply, documents, FAQ.

Content, not rules: the rules (amounts, share, deadline, sectors, provinces) are the call's own
fields, and the page shows them from there.
"""

from __future__ import annotations

from typing import Final

from domain.call_texts import CallDescription, Question, RequiredDocument

CONTACT_EMAIL: Final = "appels@draa-tafilalet.ma"


def _doc(kind: str, ar: str, fr: str, en: str, *, mandatory: bool = True) -> RequiredDocument:
    return RequiredDocument(
        kind=kind, labels={"ar": ar, "fr": fr, "en": en}, languages=("ar", "fr"),
        mandatory=mandatory,
    )  # fmt: skip


DOCUMENTS: Final = (
    _doc("business_plan", "مخطط الأعمال", "Plan d'affaires (business plan)", "Business plan"),
    _doc("ice_certificate", "شهادة التعريف الموحد للمقاولة (ICE)", "Attestation ICE",
         "ICE certificate"),
    _doc("rc_extract", "مستخرج من السجل التجاري (النموذج 7) — للشركات",
         "Extrait du registre de commerce (modèle 7) — sociétés",
         "Commercial register extract (model 7) — companies", mandatory=False),
    _doc("rnae_card", "بطاقة المقاول الذاتي (RNAE) — للأشخاص الذاتيين",
         "Carte d'auto-entrepreneur (RNAE) — personnes physiques",
         "Auto-entrepreneur card (RNAE) — sole traders", mandatory=False),
    _doc("tax_certificate", "شهادة الوضعية الجبائية", "Attestation de régularité fiscale",
         "Tax compliance certificate"),
)  # fmt: skip

WHO_MAY_APPLY: Final = {
    "ar": "الشركات والمقاولون الذاتيون الذين يستثمرون في مشروع يقع في أحد أقاليم جهة درعة تافيلالت "
    "الخمسة (الرشيدية، ورزازات، ميدلت، تنغير، زاكورة) وفي قطاع مؤهل.",
    "fr": "Les sociétés et les auto-entrepreneurs qui investissent dans un projet situé dans l'une "
    "des cinq provinces de Drâa-Tafilalet (Errachidia, Ouarzazate, Midelt, Tinghir, Zagora), "
    "dans un secteur éligible.",
    "en": "Companies and auto-entrepreneurs investing in a project located in one of the five "
    "provinces of Drâa-Tafilalet (Errachidia, Ouarzazate, Midelt, Tinghir, Zagora), in an "
    "eligible sector.",
}

FAQ: Final = (
    Question(
        question={
            "ar": "هل يمكن للمقاول الذاتي أن يترشح؟",
            "fr": "Un auto-entrepreneur peut-il déposer un dossier ?",
            "en": "Can an auto-entrepreneur apply?",
        },
        answer={
            "ar": "نعم: يقدم رقم تسجيله في السجل الوطني للمقاول الذاتي (أو رقم ICE)، ولا يطلب منه رقم السجل التجاري.",
            "fr": "Oui : il indique son numéro au registre national de l'auto-entrepreneur "
            "(RNAE) ou son ICE ; aucun numéro de registre de commerce n'est demandé.",
            "en": "Yes: give your number in the national auto-entrepreneur register (RNAE) or "
            "your ICE; no commercial register number is asked for.",
        },
    ),
    Question(
        question={
            "ar": "ما هو المبلغ الذي يمكنني طلبه؟",
            "fr": "Combien puis-je demander ?",
            "en": "How much can I ask for?",
        },
        answer={
            "ar": "مبلغا بين الحد الأدنى والحد الأقصى لطلب العروض، دون تجاوز الحصة القصوى من مجموع الاستثمار المبينة أعلاه.",
            "fr": "Un montant compris entre le minimum et le maximum de l'appel, sans dépasser la "
            "part maximale de l'investissement total indiquée plus haut.",
            "en": "An amount between the call's minimum and maximum, and no more than the "
            "maximum share of the total investment shown above.",
        },
    ),
    Question(
        question={
            "ar": "هل تنشر معطياتي الشخصية؟",
            "fr": "Mes données personnelles sont-elles publiées ?",
            "en": "Is my personal data published?",
        },
        answer={
            "ar": "لا. ينشر السجل العمومي اسم الشركة والمبلغ والقطاع والإقليم فقط؛ ويظهر المقاولون الذاتيون دون اسم.",
            "fr": "Non. Le registre public ne montre que la société, le montant, le secteur et la "
            "province ; les auto-entrepreneurs y apparaissent sans leur nom.",
            "en": "No. The public ledger shows only the company, the amount, the sector and the "
            "province; auto-entrepreneurs appear without their name.",
        },
    ),
)


def default_description(title: str) -> CallDescription:
    """The texts of a new call titled ``title`` (in every language until officers translate it)."""
    return CallDescription.make(
        titles={"fr": title},
        who_may_apply=WHO_MAY_APPLY,
        contact_email=CONTACT_EMAIL,
        documents=DOCUMENTS,
        faq=FAQ,
    )

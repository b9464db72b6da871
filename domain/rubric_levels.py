"""What a 0, a 3 and a 5 look like for each criterion of the default rubric, in ar/fr/en.

Published with the rubric so that an investor reads, before applying, the scale the reviewers
score against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final


def _l(ar: str, fr: str, en: str) -> dict[str, str]:
    return {"ar": ar, "fr": fr, "en": en}


LEVEL_DESCRIPTORS: Final[Mapping[str, Mapping[str, Mapping[str, str]]]] = {
    "stable_jobs": {
        "0": _l("لا منصب شغل قار", "Aucun emploi stable créé", "No stable job created"),
        "3": _l("من 10 إلى 49 منصبا قارا", "De 10 à 49 emplois stables", "10 to 49 stable jobs"),
        "5": _l("100 منصب قار أو أكثر", "100 emplois stables ou plus", "100 stable jobs or more"),
    },
    "women_share": {
        "0": _l("أقل من 10 % من المناصب للنساء", "Moins de 10 % des emplois pour des femmes",
                "Under 10 % of the jobs held by women"),
        "3": _l("من 30 إلى 49 % للنساء", "De 30 à 49 % des emplois pour des femmes",
                "30 to 49 % of the jobs held by women"),
        "5": _l("50 % أو أكثر للنساء", "50 % ou plus des emplois pour des femmes",
                "50 % or more of the jobs held by women"),
    },
    "province_category": {
        "0": _l("خارج أقاليم الجهة", "Hors des provinces de la région",
                "Outside the region's provinces"),
        "3": _l("إقليم من الصنف أ (ورزازات)", "Province de catégorie A (Ouarzazate)",
                "Category A province (Ouarzazate)"),
        "5": _l("إقليم من الصنف ب (الرشيدية، ميدلت، تنغير، زاكورة)",
                "Province de catégorie B (Errachidia, Midelt, Tinghir, Zagora)",
                "Category B province (Errachidia, Midelt, Tinghir, Zagora)"),
    },
    "priority_sector": {
        "0": _l("قطاع غير ذي أولوية", "Secteur non prioritaire", "Not a priority sector"),
        "3": _l("قطاع ذو أولوية جهوية (الفلاحة الغذائية، السياحة، الطاقات المتجددة...)",
                "Secteur prioritaire régional (agroalimentaire, tourisme, énergies renouvelables…)",
                "Regional priority sector (agri-food, tourism, renewable energy…)"),
        "5": _l("ترحيل الخدمات (الأوفشورينغ)", "Offshoring", "Offshoring"),
    },
    "sustainability": {
        "0": _l("لا إجراء لتوفير الماء أو الطاقة", "Aucune mesure d'économie d'eau ou d'énergie",
                "No water or energy saving measure"),
        "3": _l("إجراءات موثقة لتوفير الماء أو الطاقة", "Mesures chiffrées d'économie d'eau ou d'énergie",
                "Quantified water or energy savings"),
        "5": _l("طاقة متجددة وتدبير مقتصد للماء في صلب المشروع",
                "Énergie renouvelable et gestion sobre de l'eau au cœur du projet",
                "Renewable energy and frugal water use at the heart of the project"),
    },
    "local_integration": {
        "0": _l("لا مورد ولا شريك محلي", "Aucun fournisseur ni partenaire local",
                "No local supplier or partner"),
        "3": _l("جزء من المشتريات لدى مقاولات الجهة", "Une partie des achats auprès d'entreprises de la région",
                "Some purchases from companies of the region"),
        "5": _l("سلسلة قيمة محلية وشراكات مع تعاونيات أو مؤسسات تكوين بالجهة",
                "Chaîne de valeur locale, partenariats avec des coopératives ou des écoles de la région",
                "Local value chain, partnerships with cooperatives or schools of the region"),
    },
    "export_share": {
        "0": _l("لا صادرات", "Aucune exportation", "No exports"),
        "3": _l("من 20 إلى 49 % من رقم المعاملات في التصدير", "De 20 à 49 % du chiffre d'affaires à l'export",
                "20 to 49 % of turnover exported"),
        "5": _l("50 % أو أكثر من رقم المعاملات في التصدير", "50 % ou plus du chiffre d'affaires à l'export",
                "50 % or more of turnover exported"),
    },
    "business_plan": {
        "0": _l("مخطط أعمال غائب أو غير قابل للتحقق", "Business plan absent ou invérifiable",
                "Business plan missing or unverifiable"),
        "3": _l("مخطط كامل مع فرضيات معقولة", "Plan complet aux hypothèses raisonnables",
                "Complete plan with reasonable assumptions"),
        "5": _l("مخطط مفصل وممول، بتمويلات مؤكدة ومخاطر محددة",
                "Plan détaillé, financement bouclé, risques identifiés",
                "Detailed plan, financing secured, risks identified"),
    },
}  # fmt: skip

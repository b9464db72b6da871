"""Plausible, fake demo applications: companies, projects and contacts of Drâa-Tafilalet.

Deterministic for a given ``random.Random``; nothing here touches the database.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Final

from domain.identifiers import ice_with_check
from domain.publication import Publication
from domain.reference import PROVINCES, SOLE_TRADER
from service.applications import Applicant, Contact, Project

if TYPE_CHECKING:
    import random
    from collections.abc import Sequence

    from domain.documents import RequiredDocument

MAD: Final = 100  # centimes
PLACES: Final = (
    "Atlas", "Dadès", "Drâa", "Tafilalet", "Ziz", "Todgha", "Saghro", "Oasis", "Kasbah",
    "Sahara", "Erg Chebbi", "M'Goun", "Palmeraie", "Tamegroute", "Skoura", "Rheris", "Sijilmassa",
)  # fmt: skip
#: sector -> (weight, company-name words, French project titles)
SECTORS: Final[dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]]] = {
    "offshoring": (30, ("Offshoring", "Digital Services", "Contact Center", "Data Services", "BPO"),
                   ("Centre de relation client multilingue", "Plateforme de services numériques",
                    "Centre de traitement de données", "Centre de développement logiciel")),
    "agri_food": (14, ("Argan Coop", "Dattes", "Agro", "Safran", "Roses"),
                  ("Unité de conditionnement de dattes Mejhoul", "Huilerie d'argan et d'olive",
                   "Valorisation de la rose de Kalaat M'Gouna")),
    "mining": (6, ("Mines", "Minerals", "Carrières"), ("Unité de traitement de minerai",)),
    "tourism": (12, ("Voyages", "Hôtels", "Bivouac"),
                ("Écolodge et circuits dans le désert", "Réhabilitation d'une kasbah en hôtel")),
    "cinema": (6, ("Studios", "Films", "Productions"),
               ("Studio de tournage et de post-production",)),
    "crafts": (8, ("Artisanat", "Tapis", "Poterie"), ("Atelier coopératif de tapis et poterie",)),
    "renewable_energy": (10, ("Solaire", "Énergie", "Green Power"),
                         ("Centrale solaire pour pompage agricole", "Installation photovoltaïque")),
    "logistics": (8, ("Logistique", "Transport", "Froid"), ("Plateforme logistique frigorifique",)),
    "other": (6, ("Services", "Industries", "Distribution"), ("Unité de services aux entreprises",)),
}  # fmt: skip
LEGAL_FORMS: Final = (("sarl", "SARL"), ("sarl_au", "SARL AU"), ("sa", "SA"), ("snc", "SNC"))
FIRST_NAMES: Final = (
    "Salma", "Youssef", "Fatima", "Hamid", "Khadija", "Omar", "Nadia", "Brahim", "Aicha", "Said",
    "Meryem", "Lahcen", "Zineb", "Driss", "Hanane", "Mustapha", "Imane", "Rachid",
)  # fmt: skip
LAST_NAMES: Final = (
    "Ait Benhaddou", "Ouali", "El Amrani", "Boutaleb", "Idrissi", "Oubella", "Zerhouni", "Amzil",
    "Bennani", "Tazi", "Ait Ouarab", "Lahlou", "Moussaoui", "Filali",
)  # fmt: skip


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == ".")


def pick_sector(rng: random.Random) -> str:
    """A sector, offshoring (the priority) the most frequent."""
    keys = list(SECTORS)
    return rng.choices(keys, weights=[SECTORS[k][0] for k in keys])[0]


def applicant(rng: random.Random, sector: str, province_label: str) -> Applicant:
    """A company (about 85 %) or a sole trader, with a valid ICE and an RC number."""
    words = SECTORS[sector][1]
    ice = ice_with_check(f"{rng.randrange(10**12, 10**13):013d}")
    rc = str(rng.randrange(1_000, 60_000))
    if rng.random() < 0.15:
        name = f"{rng.choice(('Atelier', 'Entreprise', 'Maison'))} {rng.choice(PLACES)} {rng.choice(words)}"
        # An auto-entrepreneur: registered in the RNAE, not the commercial register.
        rnae = str(rng.randrange(10**6, 10**8))
        return Applicant(applicant_kind=SOLE_TRADER, company_name=name, legal_form=SOLE_TRADER,
                         ice=ice, rc_court="", rc_number="", rnae_number=rnae)  # fmt: skip
    form, suffix = rng.choice(LEGAL_FORMS)
    name = f"{rng.choice(PLACES)} {rng.choice(words)} {suffix}"
    return Applicant(applicant_kind="company", company_name=name, legal_form=form, ice=ice,
                     rc_court=province_label, rc_number=rc)  # fmt: skip


def project(rng: random.Random, sector: str) -> Project:
    """A project: 0.5 to 40 M MAD invested (more small than large), at most 30 % requested."""
    province = rng.choice(PROVINCES)
    commune = rng.choice(province.communes)
    total = int(round(500_000 * 80 ** rng.random(), -3)) * MAD  # log-uniform 0.5 .. 40 M MAD
    requested = min(int(round(total * rng.uniform(0.12, 0.30) / MAD, -3)) * MAD, total * 3 // 10)
    jobs = max(2, int(total / MAD / rng.uniform(150_000, 400_000)))
    jobs_women = int(jobs * rng.uniform(0.2, 0.7))
    months = rng.randrange(6, 36)
    millions = f"{total / MAD / 1_000_000:.1f}".replace(".", ",")  # French decimal comma
    title = f"{rng.choice(SECTORS[sector][2])} à {commune.labels.fr}"
    summary = (
        f"Investissement de {millions} M MAD à {commune.labels.fr} ({province.labels.fr}) : "
        f"{jobs} emplois directs, dont {jobs_women} occupés par des femmes ; mise en service "
        f"en {months} mois."
    )
    return Project(title=title, summary=summary, sector=sector, province=province.key,
                   commune=commune.key, total_investment_centimes=total,
                   requested_centimes=requested, jobs=jobs, jobs_women=jobs_women,
                   timeline_months=months)  # fmt: skip


#: The demo's French project titles in Arabic and English, for the public title's translations
#: (issue 18: demo projects named in the three languages).
TITLE_TRANSLATIONS: Final[dict[str, tuple[str, str]]] = {
    "Centre de relation client multilingue": ("مركز متعدد اللغات لخدمة الزبناء",
                                              "Multilingual customer contact centre"),
    "Plateforme de services numériques": ("منصة للخدمات الرقمية", "Digital services platform"),
    "Centre de traitement de données": ("مركز لمعالجة البيانات", "Data processing centre"),
    "Centre de développement logiciel": ("مركز لتطوير البرمجيات", "Software development centre"),
    "Unité de conditionnement de dattes Mejhoul": ("وحدة لتلفيف تمور المجهول",
                                                   "Medjool date packing unit"),
    "Huilerie d'argan et d'olive": ("معصرة لزيت الأركان والزيتون", "Argan and olive oil mill"),
    "Valorisation de la rose de Kalaat M'Gouna": ("تثمين ورد قلعة مكونة",
                                                  "Adding value to the Kalaat M'Gouna rose"),
    "Unité de traitement de minerai": ("وحدة لمعالجة المعادن", "Ore processing unit"),
    "Écolodge et circuits dans le désert": ("نزل بيئي وجولات في الصحراء",
                                            "Eco-lodge and desert tours"),
    "Réhabilitation d'une kasbah en hôtel": ("تأهيل قصبة وتحويلها إلى فندق",
                                             "Restoring a kasbah as a hotel"),
    "Studio de tournage et de post-production": ("استوديو للتصوير وما بعد الإنتاج",
                                                 "Film shooting and post-production studio"),
    "Atelier coopératif de tapis et poterie": ("ورشة تعاونية للزرابي والفخار",
                                               "Cooperative carpet and pottery workshop"),
    "Centrale solaire pour pompage agricole": ("محطة شمسية للضخ الفلاحي",
                                               "Solar plant for farm irrigation pumping"),
    "Installation photovoltaïque": ("منشأة للطاقة الشمسية الكهروضوئية", "Photovoltaic installation"),
    "Plateforme logistique frigorifique": ("منصة لوجستيكية مبردة", "Refrigerated logistics hub"),
    "Unité de services aux entreprises": ("وحدة لخدمات المقاولات", "Business services unit"),
}  # fmt: skip


def publication(project: Project) -> Publication:
    """The demo investor's public title in ar/fr/en and a public summary, approved for nine files
    in ten (the tenth shows the neutral title). Draws nothing from the demo's random stream, so
    that every other figure of the demo stays as it was."""
    base, _, _ = project.title.partition(" à ")
    ar, en = TITLE_TRANSLATIONS.get(base, ("", ""))
    place = next(c for p in PROVINCES for c in p.communes if c.key == project.commune).labels
    titles = {"fr": project.title}
    if ar:
        titles |= {"ar": f"{ar} في {place.ar}", "en": f"{en} in {place.en}"}
    summary = (
        f"{project.jobs} emplois directs prévus, dont {project.jobs_women} pour des femmes ; "
        f"mise en service en {project.timeline_months} mois."
    )
    return Publication(approved=project.jobs % 10 != 3, title=project.title, summary=summary,
                       language="fr", titles=titles)  # fmt: skip


def contact(rng: random.Random) -> Contact:
    """A fake contact person (encrypted by the submit use case)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return Contact(
        name=f"{first} {last}",
        email=f"{_ascii(first)}.{_ascii(last)}@exemple.ma",
        phone=f"+2126{rng.randrange(10**7, 10**8)}",
        national_id=f"{rng.choice('DJKUZ')}{rng.randrange(100_000, 999_999)}",
    )


def _pdf_text(text: str) -> str:
    """A PDF string literal's body: WinAnsi covers French; anything else becomes '?'."""
    latin = text.encode("cp1252", errors="replace").decode("cp1252")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(lines: list[str]) -> bytes:
    """A one-page A4 PDF showing ``lines`` in Helvetica: the demo's stand-in for a document an
    investor would upload (a business plan, a registry extract), readable in any PDF viewer.

    Written by hand (PDF 1.4, ISO 32000-1 7.5): five objects and a cross-reference table whose
    offsets are the objects' byte positions.
    """
    shown = " ".join(f"({_pdf_text(line)}) Tj T*" for line in lines)
    stream = f"BT /F1 12 Tf 16 TL 56 780 Td {shown} ET".encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)  # fmt: skip
    return bytes(out)


def documents(
    applicant: Applicant, project: Project, required: Sequence[RequiredDocument]
) -> dict[str, bytes]:
    """The documents a demo file sends: the call's mandatory ones, and the registry extract
    (RC) or the auto-entrepreneur card (RNAE) that fits the applicant, as PDFs that say they
    are demonstration ones."""
    register = "rnae_card" if applicant.applicant_kind == SOLE_TRADER else "rc_extract"
    number = (f"RNAE {applicant.rnae_number}" if applicant.applicant_kind == SOLE_TRADER
              else f"RC {applicant.rc_number} ({applicant.rc_court})")  # fmt: skip
    millions = project.total_investment_centimes / MAD / 1_000_000
    unit = "millions" if millions >= 2 else "million"  # French: plural from two
    facts = {
        "business_plan": [
            project.title,
            f"Investissement total : {f'{millions:.1f}'.replace('.', ',')} {unit} de dirhams",
            f"Emplois directs : {project.jobs}, dont {project.jobs_women} occupés par des femmes",
            f"Durée de réalisation : {project.timeline_months} mois",
        ],
        "ice_certificate": [f"ICE {applicant.ice}"],
        register: [number, f"ICE {applicant.ice}"],
    }
    sent = {}
    for doc in required:
        if doc.mandatory or doc.kind == register:
            title = dict(doc.labels).get("fr", doc.kind)
            lines = [title, "", applicant.company_name, *facts.get(doc.kind, [])]
            sent[doc.kind] = pdf([*lines, "", "Document de démonstration - Draâ-Tafilalet"])
    return sent

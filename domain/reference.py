"""Reference data of the programme: provinces, communes, sectors and legal forms.

Keys are stable ASCII slugs stored in events; labels are for display in Arabic, French, English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from domain.errors import UnknownReferenceError

LANGUAGES: Final = ("ar", "fr", "en")


@dataclass(frozen=True, slots=True)
class Labels:
    """A label in the three languages of the platform."""

    ar: str
    fr: str
    en: str

    def get(self, language: str) -> str:
        """Return the label in ``language``, falling back to French (the administration's)."""
        if language == "ar":
            return self.ar
        return self.en if language == "en" else self.fr


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune within a province."""

    key: str
    labels: Labels


@dataclass(frozen=True, slots=True)
class Province:
    """A province of the region, with its Investment-Charter category (A or B)."""

    key: str
    labels: Labels
    category: str
    communes: tuple[Commune, ...]

    def commune(self, key: str) -> Commune:
        """Return the commune ``key`` of this province, or raise ``UnknownReferenceError``."""
        for commune in self.communes:
            if commune.key == key:
                return commune
        raise UnknownReferenceError("commune", key)


@dataclass(frozen=True, slots=True)
class Term:
    """An entry of a controlled vocabulary (sector, legal form)."""

    key: str
    labels: Labels


def _communes(*names: tuple[str, str, str]) -> tuple[Commune, ...]:
    # Latin spellings are the official French ones; English keeps them.
    return tuple(Commune(key, Labels(ar=ar, fr=fr, en=fr)) for key, ar, fr in names)


PROVINCES: Final[tuple[Province, ...]] = (
    Province(
        "errachidia",
        Labels("الرشيدية", "Errachidia", "Errachidia"),
        "B",
        _communes(
            ("errachidia", "الرشيدية", "Errachidia"),
            ("erfoud", "أرفود", "Erfoud"),
            ("rissani", "الريصاني", "Rissani"),
            ("goulmima", "كلميمة", "Goulmima"),
            ("jorf", "الجرف", "Jorf"),
            ("aoufous", "أوفوس", "Aoufous"),
        ),
    ),
    Province(
        "ouarzazate",
        Labels("ورزازات", "Ouarzazate", "Ouarzazate"),
        "A",
        _communes(
            ("ouarzazate", "ورزازات", "Ouarzazate"),
            ("skoura", "سكورة", "Skoura"),
            ("tarmigte", "ترميكت", "Tarmigte"),
            ("taznakht", "تازناخت", "Taznakht"),
        ),
    ),
    Province(
        "midelt",
        Labels("ميدلت", "Midelt", "Midelt"),
        "B",
        _communes(
            ("midelt", "ميدلت", "Midelt"),
            ("rich", "الريش", "Rich"),
            ("boumia", "بومية", "Boumia"),
            ("zaida", "زايدة", "Zaida"),
        ),
    ),
    Province(
        "tinghir",
        Labels("تنغير", "Tinghir", "Tinghir"),
        "B",
        _communes(
            ("tinghir", "تنغير", "Tinghir"),
            ("boumalne_dades", "بومالن دادس", "Boumalne Dadès"),
            ("kalaat_mgouna", "قلعة مكونة", "Kalaat M'Gouna"),
            ("alnif", "ألنيف", "Alnif"),
        ),
    ),
    Province(
        "zagora",
        Labels("زاكورة", "Zagora", "Zagora"),
        "B",
        _communes(
            ("zagora", "زاكورة", "Zagora"),
            ("tagounite", "تاكونيت", "Tagounite"),
            ("mhamid_el_ghizlane", "امحاميد الغزلان", "M'Hamid El Ghizlane"),
            ("agdz", "أكدز", "Agdz"),
            ("tamegroute", "تامكروت", "Tamegroute"),
        ),
    ),
)

#: Offshoring comes first: it is the programme's priority sector.
SECTORS: Final[tuple[Term, ...]] = (
    Term(
        "offshoring",
        Labels(
            "ترحيل الخدمات (الأوفشورينغ)",
            "Offshoring",
            "Offshoring (business-process and IT services)",
        ),
    ),
    Term("agri_food", Labels("الصناعات الغذائية", "Agroalimentaire", "Agri-food")),
    Term("mining", Labels("المعادن", "Mines", "Mining")),
    Term("tourism", Labels("السياحة", "Tourisme", "Tourism")),
    Term("cinema", Labels("السينما", "Cinéma", "Cinema")),
    Term("crafts", Labels("الصناعة التقليدية", "Artisanat", "Crafts")),
    Term(
        "renewable_energy", Labels("الطاقات المتجددة", "Énergies renouvelables", "Renewable energy")
    ),
    Term("logistics", Labels("اللوجستيك", "Logistique", "Logistics")),
    Term("other", Labels("قطاعات أخرى", "Autres secteurs", "Other sectors")),
)
PRIORITY_SECTOR: Final = "offshoring"

LEGAL_FORMS: Final[tuple[Term, ...]] = (
    Term("sarl", Labels("شركة ذات مسؤولية محدودة", "SARL", "Limited liability company (SARL)")),
    Term("sa", Labels("شركة مساهمة", "Société anonyme (SA)", "Public limited company (SA)")),
    Term(
        "sarl_au",
        Labels(
            "شركة ذات مسؤولية محدودة بشريك وحيد",
            "SARL à associé unique (SARL AU)",
            "Single-member limited liability company (SARL AU)",
        ),
    ),
    Term(
        "snc", Labels("شركة التضامن", "Société en nom collectif (SNC)", "General partnership (SNC)")
    ),
    Term(
        "sole_trader",
        Labels(
            "شخص ذاتي / مقاول ذاتي",
            "Personne physique / auto-entrepreneur",
            "Sole trader / auto-entrepreneur",
        ),
    ),
)
SOLE_TRADER: Final = "sole_trader"
APPLICANT_KINDS: Final = ("company", "sole_trader")


def province(key: str) -> Province:
    """Return the province ``key``, or raise ``UnknownReferenceError``."""
    for candidate in PROVINCES:
        if candidate.key == key:
            return candidate
    raise UnknownReferenceError("province", key)


def _term(kind: str, terms: tuple[Term, ...], key: str) -> Term:
    for term in terms:
        if term.key == key:
            return term
    raise UnknownReferenceError(kind, key)


def sector(key: str) -> Term:
    """Return the sector ``key``, or raise ``UnknownReferenceError``."""
    return _term("sector", SECTORS, key)


def legal_form(key: str) -> Term:
    """Return the legal form ``key``, or raise ``UnknownReferenceError``."""
    return _term("legal_form", LEGAL_FORMS, key)


#: French elides "de" before a vowel or a mute h: "d’Errachidia", "d’Ouarzazate", "de Midelt".
_ELIDING: Final = frozenset("aeiouyhàâäéèêëîïôöûüAEIOUYHÀÂÄÉÈÊËÎÏÔÖÛÜ")


def french_of(name: str) -> str:
    """``de`` + a French place name, elided where French elides it: ``d’Errachidia``."""
    return f"d’{name}" if name[:1] in _ELIDING else f"de {name}"

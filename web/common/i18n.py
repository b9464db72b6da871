"""Languages: Babel catalogs (compiled when built), per-request locale, Jinja i18n and filters."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent, get_decimal_symbol
from babel.support import Translations
from jinja2 import pass_context

from domain.local_time import MOROCCO, in_morocco, moroccan_day

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context
    from litestar.connection import ASGIConnection
    from litestar.types import Scope

LOCALES_DIR = Path(__file__).parent.parent / "locales"
LANGUAGES = ("ar", "fr", "en")
DEFAULT_LANGUAGE = "ar"
# Formatting locales: Moroccan Arabic conventions (Western digits); French with narrow spaces;
# British English (day before month: "15 June 2022"), as Moroccan readers of English expect.
FORMAT_LOCALES = {"ar": "ar_MA", "fr": "fr", "en": "en_GB"}
LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français", "en": "English"}
SCOPE_KEY = "grants.locale"


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def compile_catalog(po_path: Path) -> bytes:
    """The ``.mo`` bytes of one ``.po`` catalog (``setup.py`` writes them into the build)."""
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=po_path.parts[-3])
    mo = BytesIO()
    write_mo(mo, catalog)
    return mo.getvalue()


def _catalog(folder: Path, name: str) -> Translations:
    """One catalog: compiled in memory from its ``.po`` in a source checkout (a few ms, always
    current), read from the ``.mo`` compiled at build time in an installed package, which ships
    no ``.po``. Nothing is ever written: the install may be read-only."""
    po_path = folder / f"{name}.po"
    data = compile_catalog(po_path) if po_path.exists() else (folder / f"{name}.mo").read_bytes()
    return Translations(BytesIO(data), domain=name)


def load_catalogs(directory: Path = LOCALES_DIR) -> dict[str, Translations]:
    """One ``Translations`` per language: ``messages`` merged with every other catalog of that
    language (one per part of the site, so each part owns its file)."""
    catalogs = {}
    for lang in LANGUAGES:
        folder = directory / lang / "LC_MESSAGES"
        names = sorted({path.stem for path in folder.glob("*.[pm]o")} - {"messages"})
        translations = _catalog(folder, "messages")
        for name in names:
            translations.merge(_catalog(folder, name))
        catalogs[lang] = translations
    return catalogs


def parse_accept_language(header: str) -> list[str]:
    """Language tags from an ``Accept-Language`` header, best first (``q=0`` dropped)."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().replace("_", "-")))
    return [tag for *_, tag in sorted(weighted)]


def query_language(scope: Scope) -> str | None:
    """The language a link asked for with ``?lang=xx`` (one of ours), else None."""
    wanted = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [])
    return wanted[0] if wanted and wanted[0] in LANGUAGES else None


def choose_language(scope: Scope) -> str:
    """The link's ``?lang=``, else the session's explicit choice, else the best
    ``Accept-Language`` match, else Arabic: a visitor who chose a language keeps it on every
    page, error pages included, whatever the browser says."""
    if linked := query_language(scope):
        return linked
    session = scope.get("session")
    chosen = session.get("lang") if isinstance(session, dict) else None
    if chosen in LANGUAGES:
        return str(chosen)
    header = next((v for k, v in scope.get("headers", ()) if k == b"accept-language"), b"")
    preferred = parse_accept_language(header.decode("latin-1"))
    return negotiate_locale(preferred, list(LANGUAGES), sep="-") or DEFAULT_LANGUAGE


def language_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The request's language, chosen once per request."""
    scope: Any = connection.scope
    if SCOPE_KEY not in scope:
        scope[SCOPE_KEY] = choose_language(connection.scope)
    return str(scope[SCOPE_KEY])


def remember_language(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Keep a ``?lang=`` choice in the session (pages that have one: register, log in, portal),
    so that the forms, redirects and pages after it stay in that language."""
    linked = query_language(connection.scope)
    session = connection.scope.get("session")
    if linked and isinstance(session, dict) and session.get("lang") != linked:
        session["lang"] = linked


def translations_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Translations:
    """The catalog of the request's language, for text composed in Python (mails, messages)."""
    catalogs: dict[str, Translations] = connection.app.state.catalogs
    return catalogs[language_of(connection)]


def text_direction(language: str) -> str:
    """``rtl`` or ``ltr``."""
    return (Locale.parse(language).character_order == "right-to-left" and "rtl") or "ltr"


def format_mad(centimes: int, language: str) -> str:
    """An amount of MAD from integer centimes, in the language's conventions, Western digits."""
    amount = Decimal(centimes).scaleb(-2)
    locale = FORMAT_LOCALES[language]
    # English CLDR puts the code first ("MAD 1.00"); the programme writes amounts as "1.00 MAD".
    pattern = "#,##0.00\xa0¤" if language == "en" else None
    return format_currency(amount, "MAD", format=pattern, locale=locale, numbering_system="latn")


def format_hundredths(value: int, language: str) -> str:
    """Hundredths (a score of 7 523 -> "75.23" / "75,23"), with the decimal mark the page's amounts
    use, so that one page never mixes "75.23" and "1 234,56"."""
    amount = Decimal(value).scaleb(-2)
    locale = FORMAT_LOCALES[language]
    return format_decimal(amount, format="#,##0.00", locale=locale, numbering_system="latn")


def format_share(basis_points: int, language: str) -> str:
    """A share kept in basis points (1 488 -> "14,88 %" / "14.88%"), by the language's CLDR
    percent pattern, its decimals kept rather than rounded away."""
    return format_percent(
        Decimal(basis_points).scaleb(-4), locale=FORMAT_LOCALES[language],
        decimal_quantization=False, numbering_system="latn",
    )  # fmt: skip


def decimal_mark(language: str) -> str:
    """The decimal mark of the language's amounts ("," in Arabic and French, "." in English)."""
    return str(get_decimal_symbol(FORMAT_LOCALES[language], numbering_system="latn"))


def format_day(value: date | datetime, language: str) -> str:
    """A date (or the Moroccan date of an instant) in the language's long form."""
    day = moroccan_day(value) if isinstance(value, datetime) else value
    return format_date(day, format="long", locale=FORMAT_LOCALES[language])


def format_moment(value: datetime, language: str) -> str:
    """A date and time on Moroccan clocks, medium form."""
    return format_datetime(
        in_morocco(value), format="medium", tzinfo=MOROCCO, locale=FORMAT_LOCALES[language]
    )


def format_deadline(value: datetime, language: str) -> str:
    """The last moment something is accepted, on Moroccan clocks, to the minute. A deadline kept
    as the first instant it no longer is (midnight starting 1 July) reads as the end of the day
    before ("30 June 2027, 23:59"), as people write deadlines; CLDR's own date-time pattern joins
    the long date and the short time."""
    local = in_morocco(value)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        local -= timedelta(minutes=1)
    locale = Locale.parse(FORMAT_LOCALES[language])
    pattern: str = locale.datetime_formats["long"]
    return pattern.format(
        format_time(local, format="short", locale=locale),
        format_date(local.date(), format="long", locale=locale),
    )


def _language(context: Context) -> str:
    return language_of(context["request"])


def install(env: Environment, catalogs: dict[str, Translations]) -> None:
    """``_()``/``ngettext``/``{% trans %}`` per request, plus the ``mad`` and ``date`` filters."""

    @pass_context
    def gettext(context: Context, message: str) -> str:
        return catalogs[_language(context)].gettext(message)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int) -> str:
        return catalogs[_language(context)].ngettext(singular, plural, n)

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["mad"] = pass_context(lambda ctx, v: format_mad(v, _language(ctx)))
    env.filters["hundredths"] = pass_context(lambda ctx, v: format_hundredths(v, _language(ctx)))
    env.filters["share"] = pass_context(lambda ctx, v: format_share(v, _language(ctx)))
    env.globals["decimal_mark"] = pass_context(lambda ctx: decimal_mark(_language(ctx)))
    env.filters["date"] = pass_context(lambda ctx, v: format_day(v, _language(ctx)))
    env.filters["datetime"] = pass_context(lambda ctx, v: format_moment(v, _language(ctx)))
    env.filters["deadline"] = pass_context(lambda ctx, v: format_deadline(v, _language(ctx)))
    env.globals["language"] = pass_context(_language)
    env.globals["direction"] = pass_context(lambda ctx: text_direction(_language(ctx)))
    env.globals["languages"] = LANGUAGE_NAMES

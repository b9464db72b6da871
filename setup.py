"""Compile the message catalogs at build time: the built package carries each ``.mo`` (and no
``.po``), so the server never compiles nor writes into its own install, which may be read-only.

Everything else about the package is declared in ``pyproject.toml``.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "web" / "locales"


class BuildWithCatalogs(build_py):
    """``build_py`` that also writes ``web/locales/*/LC_MESSAGES/*.mo`` from the sources."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the source tree, which compiles in memory
        # Imported here: the build environment of an editable install has no Babel.
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in sorted(SOURCE.glob("*/LC_MESSAGES/*.po")):
            target = Path(self.build_lib) / po_path.relative_to(SOURCE.parent.parent)
            target = target.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parts[-3])
            with target.open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildWithCatalogs})

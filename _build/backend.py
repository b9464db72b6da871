"""setuptools' build backend, asking for Babel only when a wheel is built.

``setup.py`` compiles the message catalogs into a wheel with Babel; an editable install (what
``dev.py`` makes) compiles nothing, so its isolated build environment need not download and
unpack Babel: seconds off a first start on a small machine.
"""

from __future__ import annotations

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - this module is setuptools' backend

CATALOG_COMPILER = "babel>=2.14,<3"


def get_requires_for_build_wheel(config_settings: dict[str, object] | None = None) -> list[str]:
    """What setuptools needs, and Babel to compile the catalogs into the wheel."""
    return [*_setuptools.get_requires_for_build_wheel(config_settings), CATALOG_COMPILER]

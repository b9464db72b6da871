"""Small helpers shared by the page controllers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import MediaType
from litestar.response import Redirect, Template

if TYPE_CHECKING:
    from web.common.forms import Form


def page(template: str, status: int = 200, *, form: Form | None = None, **context: Any) -> Template:
    """A page; a form is passed on without its secrets."""
    if form is not None:
        context["form"] = form.shown()
    return Template(
        template_name=template, context=context, status_code=status, media_type=MediaType.HTML
    )


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything that could leave the site becomes ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def see_other(path: str) -> Redirect:
    """Post/redirect/get."""
    return Redirect(path=path, status_code=303)

"""Form view model: what was typed and a message per wrong field, re-rendered with status 422."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

# Never sent back to the browser, even when the form is re-rendered.
SECRET_FIELDS = frozenset({"password", "current_password", "new_password", "_csrf"})


@dataclass
class Form:
    """``values`` as typed (secrets dropped); ``errors`` maps a field to an untranslated message."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, object], fields: Iterable[str]) -> Form:
        """Keep only the expected ``fields``, as stripped strings."""
        return cls({name: str(data.get(name) or "").strip() for name in fields})

    def raw(self, data: Mapping[str, object], name: str) -> str:
        """A field exactly as typed (passwords are not stripped), never kept for re-rendering."""
        return str(data.get(name) or "")

    def error(self, name: str, message: str) -> Form:
        """Record ``message`` (a msgid marked with ``N_``) against ``name``; the first one wins."""
        self.errors.setdefault(name, message)
        return self

    @property
    def valid(self) -> bool:
        """True when no field has an error."""
        return not self.errors

    def shown(self) -> Form:
        """The form as it goes back to the page, without secrets."""
        return Form({k: v for k, v in self.values.items() if k not in SECRET_FIELDS}, self.errors)
